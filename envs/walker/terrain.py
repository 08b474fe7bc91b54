"""Stump Tracks terrain: flat ground with a row of rectangular stumps.

Units are Box2D metres; one *terrain step* is ``14 / 30`` m and a track is 200 steps long, as in
BipedalWalker. The walker starts on a flat start pad (20 steps); stumps run from the pad's end to
10 steps before the track's end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from Box2D.b2 import edgeShape, fixtureDef, polygonShape

__all__ = [
    "GROUND_Y",
    "TERRAIN_END",
    "TRACK_LENGTH",
    "Stump",
    "build_terrain",
    "generate_stumps",
]

SCALE = 30.0  # pixels per metre, for rendering and for the original's pixel-sized constants
TERRAIN_STEP = 14 / SCALE
TRACK_STEPS = 200
STARTPAD_STEPS = 20
END_STEPS = 10
TRACK_LENGTH = TRACK_STEPS * TERRAIN_STEP
#: x beyond which the walker has finished the track.
TERRAIN_END = (TRACK_STEPS - END_STEPS) * TERRAIN_STEP
GROUND_Y = 400 / SCALE / 4
STUMP_WIDTH = 2 * TERRAIN_STEP
STUMP_HEIGHT_STD = 0.1
STUMP_MIN_HEIGHT = 0.05
FRICTION = 2.5
GROUND_CATEGORY = 0x0001


@dataclass(frozen=True)
class Stump:
    """One stump: left edge ``x``, ``width`` and ``height`` above the ground (metres)."""

    x: float
    width: float
    height: float


def generate_stumps(rng: np.random.Generator, mean_height: float, spacing: float) -> list[Stump]:
    """Stumps along the track: gaps of ``spacing`` m, heights ``max(N(mean, 0.1), 0.05)``.

    :param rng: the env's generator (the track is a function of the seed and the task).
    :param mean_height: mean stump height (m).
    :param spacing: free ground between consecutive stumps (m); 0 gives a continuous rugged block.
    """
    start = STARTPAD_STEPS * TERRAIN_STEP
    end = TERRAIN_END - STUMP_WIDTH
    lefts = np.arange(start, end, STUMP_WIDTH + spacing)
    heights = np.maximum(rng.normal(mean_height, STUMP_HEIGHT_STD, size=lefts.shape[0]), STUMP_MIN_HEIGHT)
    return [Stump(float(x), STUMP_WIDTH, float(h)) for x, h in zip(lefts, heights, strict=True)]


def build_terrain(world, stumps: list[Stump]):
    """Create one static body holding the ground and every stump; return it.

    The ground is a chain of one-terrain-step edges, as in BipedalWalker: a single long edge
    makes Box2D's foot contacts behave differently (gymnasium's scripted walker stalls on it).
    """
    body = world.CreateStaticBody(position=(0, 0))
    # One fixture definition, its shape's vertices changed per fixture (as BipedalWalker does):
    # pybox2d's keyword construction of a definition costs more than the fixture itself.
    edge = fixtureDef(shape=edgeShape(vertices=[(0, 0), (1, 0)]), friction=FRICTION, categoryBits=GROUND_CATEGORY)
    for i in range(TRACK_STEPS - 1):
        edge.shape.vertices = [(i * TERRAIN_STEP, GROUND_Y), ((i + 1) * TERRAIN_STEP, GROUND_Y)]
        body.CreateFixture(edge)
    block = fixtureDef(shape=polygonShape(box=(1, 1)), friction=FRICTION, categoryBits=GROUND_CATEGORY)
    for s in stumps:
        block.shape.vertices = [
            (s.x, GROUND_Y),
            (s.x + s.width, GROUND_Y),
            (s.x + s.width, GROUND_Y + s.height),
            (s.x, GROUND_Y + s.height),
        ]
        body.CreateFixture(block)
    return body
