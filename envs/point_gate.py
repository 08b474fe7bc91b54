"""PointGate: a fast numpy env in which a curriculum matters.

A point mass (radius 0.05) starts near ``(0, -0.8)`` in the arena ``[-6, 6] x [-1, 1]`` and must
reach the goal disc (radius 0.15) at ``(0, 0.8)``. A wall along ``y = 0`` (thickness 0.1) has one
gate; the task is ``(gate_position, gate_width)``. The reward is dense but *misleading* for far
gates: ``10 x`` the decrease of the distance to the goal each step, plus 10 on reaching it (which
ends the episode). Greedy progress pins the agent against the wall under the goal, so a gate
far to the side of the goal is practically never found from scratch, while a gate under the goal
is learned in a few thousand episodes; gates learned close to the goal transfer to gates a
little further out (the observation holds the offset to the gate), which is what a curriculum
exploits. The action is a 2-D velocity (norm clipped to 1, times 0.05 per step); episodes last
at most 100 steps (``max_episode_steps`` at registration).

Unfeasible tasks: a gate narrower than the agent (width <= 0.1) is closed, and the goal is out of
reach within 100 steps when the gate's near edge is more than ~2.35 to the side of the goal.

Success rule: the agent reached the goal (``info["success"]``).

Expert knowledge (``expert_knowledge``, for the run option of the same name): returns in
``(0, 26)``; easy tasks ``N((0, 1.5), (10% of each range)²)``, the wide gate under the goal.

Variants (same dynamics, different task spaces):

- ``teachrl/PointGate-v0``: position in ``[-2, 2]``, width in ``[0, 1.5]``.
- ``teachrl/PointGate-Unfeasible-v0``: position in ``[-6, 6]`` (about 65% of the tasks put the
  gate out of reach in time).
- ``teachrl/PointGate-Trivial-v0``: width in ``[0, 8]`` (about 75% of the gates span the line
  under the goal, so going straight up succeeds).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.base import ParameterizedEnv, make_task_space

__all__ = ["LEVELS", "PointGateEnv"]

ARENA_X = 6.0
ARENA_Y = 1.0
WALL_HALF = 0.05
RADIUS = 0.05
SPEED = 0.05
GOAL = (0.0, 0.8)
GOAL_RADIUS = 0.15
START_Y = -0.8
START_X_NOISE = 0.1
PROGRESS_SCALE = 10.0
GOAL_BONUS = 10.0

VARIANTS: dict[str, tuple[list[float], list[float]]] = {
    "default": ([-2.0, 0.0], [2.0, 1.5]),
    "unfeasible": ([-6.0, 0.0], [6.0, 1.5]),
    "trivial": ([-2.0, 0.0], [2.0, 8.0]),
}

#: A discrete view of the default task space: level ``i`` -> ``(gate_position, gate_width)``,
#: from trivial (gate under the goal) to unfeasible (gate narrower than the agent).
LEVELS: tuple[tuple[float, float], ...] = (
    (0.0, 1.5),
    (0.5, 1.0),
    (1.0, 0.6),
    (1.5, 0.4),
    (2.0, 0.2),
    (2.0, 0.05),
)


class PointGateEnv(ParameterizedEnv):
    """Point mass that must pass a gate in a wall to reach a goal (see the module docstring).

    Observation (float32): ``[x, y, gate_position - x, gate_width]``.

    :param variant: ``"default"``, ``"unfeasible"`` or ``"trivial"`` (task space bounds).
    :param task: optional initial task.
    :param render_mode: ``None`` or ``"rgb_array"`` (a small top-down image).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}
    task_names = ("gate_position", "gate_width")

    def __init__(
        self, variant: str = "default", task: Any = None, render_mode: str | None = None
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.variant = variant
        self.render_mode = render_mode
        low, high = VARIANTS[variant]
        self.task_space = make_task_space(low, high)
        self.default_task = np.array([0.0, 1.0])
        # Expert knowledge (our definition, after TeachMyAgent's Stump Tracks rule): returns
        # in (0, 26) (26 = 10 x the 1.6 start-goal distance + the goal bonus 10; a student
        # that does not move scores 0), easy tasks around the wide gate under the goal,
        # (0, 1.5), with std 10% of each dimension's range.
        span = np.subtract(high, low)
        self.expert_knowledge = {
            "reward_range": (0.0, PROGRESS_SCALE * (GOAL[1] - START_Y) + GOAL_BONUS),
            "initial_dist": {"mean": [0.0, 1.5], "std": np.round(0.1 * span, 9).tolist()},
        }
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        obs_high = np.array(
            [ARENA_X, ARENA_Y, max(abs(low[0]), abs(high[0])) + ARENA_X, high[1]], dtype=np.float32
        )
        obs_low = np.array([-ARENA_X, -ARENA_Y, -obs_high[2], low[1]], dtype=np.float32)
        self.observation_space = spaces.Box(obs_low, obs_high, dtype=np.float32)
        self._x = self._y = 0.0
        self._init_task(task)

    @staticmethod
    def level_task(level: int) -> np.ndarray:
        """The task of difficulty ``level`` (index into :data:`LEVELS`)."""
        if not 0 <= level < len(LEVELS):
            raise ValueError(f"level must be in [0, {len(LEVELS) - 1}], got {level}")
        return np.array(LEVELS[level], dtype=np.float64)

    def _apply_task(self, task: np.ndarray) -> None:
        self._gate = float(task[0])
        self._width = float(task[1])
        # The opening the agent's centre can pass through (empty if lo > hi: gate closed).
        self._open_lo = max(self._gate - self._width / 2, -ARENA_X) + RADIUS
        self._open_hi = min(self._gate + self._width / 2, ARENA_X) - RADIUS

    def _obs(self) -> np.ndarray:
        return np.array([self._x, self._y, self._gate - self._x, self._width], dtype=np.float32)

    def _goal_distance(self) -> float:
        return math.hypot(self._x - GOAL[0], self._y - GOAL[1])

    def _reset_episode(self, seed, options):
        gym.Env.reset(self, seed=seed)
        self._x = float(self.np_random.uniform(-START_X_NOISE, START_X_NOISE))
        self._y = START_Y
        self._dist = self._goal_distance()
        self._reached = False
        return self._obs(), {}

    def _step_episode(self, action):
        ax, ay = float(action[0]), float(action[1])
        norm = math.hypot(ax, ay)
        if norm > 1.0:
            ax, ay = ax / norm, ay / norm
        x, y = self._x, self._y
        nx = min(max(x + SPEED * ax, -ARENA_X), ARENA_X)
        ny = min(max(y + SPEED * ay, -ARENA_Y), ARENA_Y)
        lo, hi = self._open_lo, self._open_hi
        if abs(y) > WALL_HALF:
            # Outside the wall: entering it is allowed only through the opening (a step is
            # shorter than the wall's thickness, so the wall cannot be jumped over).
            if abs(ny) <= WALL_HALF and not (lo <= nx <= hi):
                ny = math.copysign(WALL_HALF + 1e-9, y)
        else:
            # Inside the gate: the gate's sides bound the motion.
            nx = min(max(nx, lo), hi)
        self._x, self._y = nx, ny
        dist = self._goal_distance()
        reward = PROGRESS_SCALE * (self._dist - dist)
        self._dist = dist
        self._reached = dist <= GOAL_RADIUS
        if self._reached:
            reward += GOAL_BONUS
        return self._obs(), reward, self._reached, False, {}

    def _is_success(self, terminated, truncated, info) -> bool:
        return self._reached

    def render(self) -> np.ndarray | None:
        """Top-down RGB image (wall grey, opening white, goal green, agent blue)."""
        if self.render_mode != "rgb_array":
            return None
        px = 40  # pixels per unit
        w, h = int(2 * ARENA_X * px), int(2 * ARENA_Y * px)
        img = np.full((h, w, 3), 255, dtype=np.uint8)

        def to_px(x: float, y: float) -> tuple[int, int]:
            return int((x + ARENA_X) * px), int((ARENA_Y - y) * px)

        _, wall_top = to_px(0.0, WALL_HALF)
        _, wall_bot = to_px(0.0, -WALL_HALF)
        img[wall_top:wall_bot + 1] = 90
        if self._open_lo <= self._open_hi:
            a, _ = to_px(self._open_lo - RADIUS, 0.0)
            b, _ = to_px(self._open_hi + RADIUS, 0.0)
            img[wall_top:wall_bot + 1, max(a, 0):b] = 255
        yy, xx = np.mgrid[0:h, 0:w]
        for (cx, cy), r, color in (
            (GOAL, GOAL_RADIUS, (60, 180, 75)),
            ((self._x, self._y), RADIUS, (0, 90, 200)),
        ):
            pcx, pcy = to_px(cx, cy)
            img[(xx - pcx) ** 2 + (yy - pcy) ** 2 <= (r * px) ** 2] = color
        return img
