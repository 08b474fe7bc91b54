"""Hexagon Tracks: teachDeepRL's walker track of hexagon-like obstacles with a 12-D shape task.

Each obstacle starts from the default hexagon ``(-0.5, 0), (-0.5, 0.25), (-0.25, 0.5),
(0.25, 0.5), (0.5, 0.25), (0.5, 0)`` (in terrain steps, 14/30 m) whose vertex ``k`` is moved by
``N((s[2k], s[2k+1]), 0.1)`` terrain steps, the task ``s`` being ``poly_shape`` in ``[0, 4]^12``
(the first and last vertices only move along x: they stay on the ground). Box2D keeps the convex
hull of the six points. Obstacles start at the start pad's end, one every ``1 + 4`` m (teachDeepRL
adds 1 m per obstacle and the obstacle spacing, 4 in its Hexagon Tracks runs), to the track's end.
Source: teachDeepRL ``gym_flowers/envs/bipedal_walker_continuous.py`` (``poly_shape``), run with
its quadrupedal walker.

Everything else (bodies, observation, reward, termination, success > 230, 2000-step cap) is
Stump Tracks' (:mod:`envs.stump_tracks`). Differences from teachDeepRL: the vertex noise comes
from the env's seeded generator (teachDeepRL draws it from numpy's global one); the default body
is ``big_quadru`` (:mod:`envs.bodies`; teachDeepRL's quadruped: hull, 2 leg pairs of 10 x 51 px,
torque 300).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from Box2D.b2 import fixtureDef, polygonShape

from envs.base import make_task_space
from envs.stump_tracks import StumpTracksEnv
from envs.walker.terrain import (
    FRICTION,
    GROUND_CATEGORY,
    GROUND_Y,
    STARTPAD_STEPS,
    TERRAIN_END,
    TERRAIN_STEP,
    build_terrain,
)

__all__ = ["HEXAGON", "HexagonTracksEnv", "hexagon_polygons"]

#: teachDeepRL's default obstacle polygon (terrain steps).
HEXAGON = ((-0.5, 0.0), (-0.5, 0.25), (-0.25, 0.5), (0.25, 0.5), (0.5, 0.25), (0.5, 0.0))
OBSTACLE_SPACING = 4.0
OBSTACLE_ADVANCE = 1.0
VERTEX_NOISE = 0.1


def hexagon_polygons(rng: np.random.Generator, shape: np.ndarray) -> list[list[tuple[float, float]]]:
    """The track's obstacles, each a list of 6 world points (metres).

    :param rng: the env's generator.
    :param shape: the 12-D ``poly_shape`` task.
    """
    pairs = np.asarray(shape, dtype=np.float64).reshape(6, 2)
    x = STARTPAD_STEPS * TERRAIN_STEP
    polygons = []
    while x < TERRAIN_END - TERRAIN_STEP:
        delta = rng.normal(pairs, VERTEX_NOISE)
        poly = []
        for k, ((bx, by), (dx, dy)) in enumerate(zip(HEXAGON, delta, strict=True)):
            on_ground = k in (0, len(HEXAGON) - 1)
            px = x + (bx + dx) * TERRAIN_STEP
            py = GROUND_Y + (by if on_ground else by + dy) * TERRAIN_STEP
            poly.append((float(px), float(py)))
        polygons.append(poly)
        x += OBSTACLE_ADVANCE + OBSTACLE_SPACING
    return polygons


class HexagonTracksEnv(StumpTracksEnv):
    """A walker on a track of hexagon obstacles (see the module docstring).

    :param body: a walker of :mod:`envs.bodies` (default ``"big_quadru"``, teachDeepRL's quadrupedal
        walker as TeachMyAgent rebuilt it: torque 300, legs 10 x 51 px).
    :param task: optional initial task (12 values in ``[0, 4]`` or a dict).
    :param render_mode: ``None`` or ``"rgb_array"``.
    """

    task_names = tuple(f"poly_{i}" for i in range(12))

    def __init__(self, body: str = "big_quadru", task: Any = None, render_mode: str | None = None) -> None:
        self._polygons: list = []
        super().__init__(body=body, task=task, render_mode=render_mode)

    def _init_task(self, task: Any = None) -> None:
        # Replace Stump Tracks' task space before the base class validates the initial task.
        self.task_space = make_task_space([0.0] * 12, [4.0] * 12)
        self.default_task = np.zeros(12)
        super()._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self._poly_shape = task.copy()

    def _build_track(self):
        self.stumps = []
        body = build_terrain(self.world, [])
        self._polygons = []
        for poly in hexagon_polygons(self.np_random, self._poly_shape):
            try:
                shape = polygonShape(vertices=poly)
            except (AssertionError, ValueError, RuntimeError):
                continue  # a degenerate draw (all points nearly collinear): no obstacle
            body.CreateFixture(fixtureDef(shape=shape, friction=FRICTION, categoryBits=GROUND_CATEGORY))
            self._polygons.append([tuple(v) for v in shape.vertices])  # the convex hull Box2D keeps
        return body

    def _obstacle_polygons(self) -> list:
        return self._polygons
