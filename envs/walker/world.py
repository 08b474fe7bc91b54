"""Simulation constants shared by the Box2D walker envs (Stump Tracks, Hexagon Tracks, Parkour).

All are BipedalWalker's, which teachDeepRL and TeachMyAgent keep.
"""

from __future__ import annotations

from envs.walker.terrain import SCALE

__all__ = [
    "FALL_REWARD", "FPS", "INITIAL_PUSH", "LIDAR_COUNT", "LIDAR_RANGE", "POSITION_ITERATIONS",
    "VELOCITY_ITERATIONS", "VIEWPORT_H", "VIEWPORT_W",
]

FPS = 50
#: Box2D solver iterations per world step (BipedalWalker's ``6 * 30`` and ``2 * 30``).
VELOCITY_ITERATIONS = 6 * 30
POSITION_ITERATIONS = 2 * 30
LIDAR_COUNT = 10
LIDAR_RANGE = 160 / SCALE
#: The start's random horizontal push on the hull, ``U(-5, 5)``.
INITIAL_PUSH = 5.0
FALL_REWARD = -100.0
VIEWPORT_W, VIEWPORT_H = 600, 400
