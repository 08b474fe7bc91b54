"""Parkour terrain: CPPN ground and ceiling, creepers hanging from the ceiling, and water.

Follows TeachMyAgent's ``parametric_continuous_parkour.py`` (constants in the docstrings of
:func:`make_profile` and :func:`build_parkour`): a flat start pad, then 200 terrain steps whose
ground and ceiling heights are the CPPN's outputs divided by the terrain scale (10) and shifted
so that the ground starts at the start pad's height (3.33 m) and the ceiling ``200 / scale``
above it; the ceiling is clipped to stay above the ground. Only the ceiling (and creepers) can be
grasped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from Box2D.b2 import edgeShape, fixtureDef, polygonShape

from envs.bodies import FixtureTag
from envs.parkour.cppn import TerrainCPPN
from envs.walker.terrain import FRICTION, GROUND_Y, TERRAIN_STEP

__all__ = [
    "CEILING_CATEGORY", "CEILING_TAG", "CREEPER_TAG", "GROUND_TAG", "WATER_TAG", "CREEPER_CATEGORY", "Creeper", "GROUND_CATEGORY", "INPUT_HIGH", "INPUT_LOW",
    "ParkourTerrain", "TRACK_STEPS", "WATER_CATEGORY", "build_parkour", "make_creepers", "make_profile",
    "startpad_steps",
]

TRACK_STEPS = 200
STARTPAD_STEPS = 20
END_STEPS = 5
TERRAIN_SCALE = 10.0
CEILING_OFFSET = 200 / TERRAIN_SCALE
GROUND_LIMIT = -1000 / TERRAIN_SCALE
CREEPER_WIDTH = 0.25
CREEPER_MIN_SIZE = 0.2
CREEPER_HEIGHT_STD = 0.1
#: Bounds of the CPPN's 3-D input (TeachMyAgent's default "medium" box).
INPUT_LOW = np.array([-0.35, 0.6, -0.1])
INPUT_HIGH = np.array([0.05, 1.0, 0.3])

# Collision categories: bodies collide with ground and ceiling (the walkers' mask is 0x0001, so
# both share it; contacts tell them apart by body); lidars also see water and creepers, sensors
# that collide with nothing (grasping and water forces are computed from geometry).
GROUND_CATEGORY = 0x0001
CEILING_CATEGORY = 0x0001
CREEPER_CATEGORY = 0x0004
WATER_CATEGORY = 0x0008

#: Fixture tags: the ceiling and creepers can be grasped (TeachMyAgent's GRIP_TERRAIN), not the ground.
GROUND_TAG = FixtureTag("ground")
CEILING_TAG = FixtureTag("ceiling", graspable=True)
CREEPER_TAG = FixtureTag("creeper", graspable=True)
WATER_TAG = FixtureTag("water")

_CPPN: TerrainCPPN | None = None


def _cppn() -> TerrainCPPN:
    # The shipped weights are read once per process; the network is immutable.
    global _CPPN
    if _CPPN is None:
        _CPPN = TerrainCPPN(n_points=TRACK_STEPS)
    return _CPPN


def startpad_steps(agent_width: float) -> int:
    """Start-pad length in terrain steps: ``max(20, width / step + 5)`` (TeachMyAgent)."""
    return int(max(STARTPAD_STEPS, np.ceil(agent_width / TERRAIN_STEP + 5)))


@dataclass(frozen=True)
class ParkourTerrain:
    """Heights at the terrain points ``x`` (metres; start pad included)."""

    x: np.ndarray
    ground: np.ndarray
    ceiling: np.ndarray
    startpad: int

    @property
    def end_x(self) -> float:
        """x beyond which the agent has finished: ``(200 + startpad - 5) * step``."""
        return (TRACK_STEPS + self.startpad - END_STEPS) * TERRAIN_STEP


@dataclass(frozen=True)
class Creeper:
    """A creeper: left edge ``x``, ``top`` (where it hangs from the ceiling), width and height."""

    x: float
    top: float
    width: float
    height: float


def make_profile(cppn_input: np.ndarray, startpad: int = STARTPAD_STEPS) -> ParkourTerrain:
    """Ground and ceiling of the track for a CPPN input (TeachMyAgent's post-processing).

    :param cppn_input: the task's 3-D CPPN input.
    :param startpad: start-pad length in steps (:func:`startpad_steps`).
    """
    y = _cppn().generate(cppn_input) / TERRAIN_SCALE
    ground = y[:, 0] - y[0, 0] + GROUND_Y
    ceiling = y[:, 1] - y[0, 1] + GROUND_Y + CEILING_OFFSET
    ceiling = np.maximum(ceiling, ground)
    ground = np.concatenate([np.full(startpad, GROUND_Y), ground])
    ceiling = np.concatenate([np.full(startpad, GROUND_Y + CEILING_OFFSET), ceiling])
    x = np.arange(ground.shape[0]) * TERRAIN_STEP
    return ParkourTerrain(x=x, ground=ground, ceiling=ceiling, startpad=startpad)


def make_creepers(
    terrain: ParkourTerrain, rng: np.random.Generator, height: float, spacing: float
) -> list[Creeper]:
    """Creepers along the ceiling: one wherever ``spacing`` m passed since the previous one.

    Heights are ``max(0.2, N(height, 0.1))``, width 0.25 (TeachMyAgent). A creeper hangs from
    the higher of the two ceiling points it spans. ``height == 0`` means no creepers.

    :param rng: the env's generator (creepers are a function of the seed and the task).
    """
    if height <= 0.0:
        return []
    spacing = max(0.01, spacing)
    x, ceiling = terrain.x, terrain.ceiling
    width = max(CREEPER_MIN_SIZE, CREEPER_WIDTH)
    span = max(1, int(np.floor(width / TERRAIN_STEP)))
    creepers = []
    since = spacing
    for i in range(len(x) - 1):
        if since >= spacing:
            h = max(CREEPER_MIN_SIZE, float(rng.normal(height, CREEPER_HEIGHT_STD)))
            top = float(max(ceiling[i], ceiling[min(i + span, len(x) - 1)]))
            creepers.append(Creeper(float(x[i]), top, width, h))
            since = 0.0
        else:
            since += TERRAIN_STEP
    return creepers


def water_height(terrain: ParkourTerrain, level: float) -> float:
    """Water surface: ``GROUND_LIMIT + level * (max ceiling - GROUND_LIMIT)`` (TeachMyAgent
    floors the level at 0.01)."""
    level = max(0.01, level)
    return float(GROUND_LIMIT + level * (terrain.ceiling.max() - GROUND_LIMIT))


def build_parkour(world, terrain: ParkourTerrain, creepers: list[Creeper], water_y: float):
    """Create the static bodies: ground edges, ceiling edges, creeper sensors, the water sensor.

    Returns ``(ground, ceiling, creepers, water)`` bodies (``creepers`` may be ``None``).
    """
    ground = world.CreateStaticBody()
    ceiling = world.CreateStaticBody()
    # One fixture definition per kind, its shape's vertices changed per fixture (as BipedalWalker
    # does): pybox2d's keyword construction of a definition costs more than the fixture itself.
    ground_edge = fixtureDef(
        shape=edgeShape(vertices=[(0, 0), (1, 0)]), friction=FRICTION, categoryBits=GROUND_CATEGORY,
        userData=GROUND_TAG,
    )
    ceiling_edge = fixtureDef(
        shape=edgeShape(vertices=[(0, 0), (1, 0)]), friction=FRICTION, categoryBits=CEILING_CATEGORY,
        userData=CEILING_TAG,
    )
    xs, gs, cs = terrain.x.tolist(), terrain.ground.tolist(), terrain.ceiling.tolist()
    for i in range(len(xs) - 1):
        ground_edge.shape.vertices = [(xs[i], gs[i]), (xs[i + 1], gs[i + 1])]
        ground.CreateFixture(ground_edge)
        ceiling_edge.shape.vertices = [(xs[i], cs[i]), (xs[i + 1], cs[i + 1])]
        ceiling.CreateFixture(ceiling_edge)
    creeper_body = None
    if creepers:
        creeper_body = world.CreateStaticBody()
        block = fixtureDef(shape=polygonShape(box=(1, 1)), isSensor=True, categoryBits=CREEPER_CATEGORY,
                           userData=CREEPER_TAG)
        for c in creepers:
            block.shape.vertices = [
                (c.x, c.top), (c.x + c.width, c.top), (c.x + c.width, c.top - c.height), (c.x, c.top - c.height),
            ]
            creeper_body.CreateFixture(block)
    x_end = float(terrain.x[-1])
    water = world.CreateStaticBody()
    water.CreateFixture(fixtureDef(
        shape=polygonShape(vertices=[(0.0, GROUND_LIMIT), (x_end, GROUND_LIMIT), (x_end, water_y), (0.0, water_y)]),
        isSensor=True, categoryBits=WATER_CATEGORY, userData=WATER_TAG,
    ))
    return ground, ceiling, creeper_body, water
