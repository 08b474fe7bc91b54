"""Stump Tracks: a Box2D walker on a track of stumps (the seed papers' parameterized walker).

Task ``(stump_height, stump_spacing)`` in ``[0, 3] x [0, 6]`` (metres): the mean stump height
(each stump's height is drawn from ``N(mean, 0.1)`` and floored at 0.05) and the free ground
between consecutive stumps. Taller, denser stumps are harder; stumps taller than the legs are
unfeasible.

Bodies (``body=`` kwarg): ``"default"`` (BipedalWalker's), ``"short"`` (legs 60% as long),
``"quadruped"`` (a long hull on two leg pairs). Observation: hull angle, angular velocity,
velocity (2), 5 values per leg (hip/knee angle and speed, foot contact) and 10 lidar fractions
(24 values for the bipeds, 34 for the quadruped). Action: hip and knee torque per leg in
``[-1, 1]``.

Reward: ``130 x / 30`` progress shaping minus ``5 |hull angle|`` shaping, minus a torque cost
``0.00035 x 80 x |a|`` per motor; ``-100`` and termination when the hull touches the terrain
(a fall) or the walker leaves the track backwards. Episodes end at the track's end or after
2000 steps (``max_episode_steps``). Success: episode return > 230.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from Box2D import b2
from gymnasium import spaces

from envs.base import ParameterizedEnv, TaskEzPickle, make_task_space
from envs.walker.bodies import BODIES, Walker
from envs.walker.terrain import (
    GROUND_CATEGORY,
    GROUND_Y,
    SCALE,
    STARTPAD_STEPS,
    TERRAIN_END,
    TERRAIN_STEP,
    build_terrain,
    generate_stumps,
)

__all__ = ["StumpTracksEnv"]

FPS = 50
LIDAR_COUNT = 10
LIDAR_RANGE = 160 / SCALE
INITIAL_PUSH = 5.0
FALL_REWARD = -100.0
TORQUE_COST = 0.00035
VIEWPORT_W, VIEWPORT_H = 600, 400

# Lidar ray directions: a fan from straight down to 1.35 rad forward.
_LIDAR_DIRS = [(math.sin(1.5 * i / LIDAR_COUNT) * LIDAR_RANGE, -math.cos(1.5 * i / LIDAR_COUNT) * LIDAR_RANGE) for i in range(LIDAR_COUNT)]


class _Lidar(b2.rayCastCallback):
    """Closest terrain hit along one ray, as a fraction of the range (1 = nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.fraction = 1.0

    def ReportFixture(self, fixture, point, normal, fraction):
        if (fixture.filterData.categoryBits & GROUND_CATEGORY) == 0:
            return -1.0
        self.fraction = fraction
        return fraction


class _Contacts(b2.contactListener):
    """Marks a fall when the hull touches anything, and each foot's ground contact."""

    def __init__(self, walker: Walker) -> None:
        super().__init__()
        self.walker = walker
        self.fallen = False

    def _set(self, contact, value: bool) -> None:
        a, b = contact.fixtureA.body, contact.fixtureB.body
        w = self.walker
        if value and (a == w.hull or b == w.hull):
            self.fallen = True
        for i, foot in enumerate(w.feet):
            if a == foot or b == foot:
                w.foot_contact[i] = value

    def BeginContact(self, contact):
        self._set(contact, True)

    def EndContact(self, contact):
        self._set(contact, False)


class StumpTracksEnv(ParameterizedEnv, TaskEzPickle):
    """Walker on a procedurally generated stump track (see the module docstring).

    :param body: ``"default"``, ``"short"`` or ``"quadruped"``.
    :param task: optional initial task ``(stump_height, stump_spacing)``.
    :param render_mode: ``None`` or ``"rgb_array"``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": FPS}
    task_names = ("stump_height", "stump_spacing")
    success_threshold = 230.0

    def __init__(self, body: str = "default", task: Any = None, render_mode: str | None = None) -> None:
        if body not in BODIES:
            raise ValueError(f"body must be one of {sorted(BODIES)}, got {body!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        TaskEzPickle.__init__(self, body=body, task=task, render_mode=render_mode)
        self.body = body
        self.body_spec = BODIES[body]
        self.render_mode = render_mode
        self.task_space = make_task_space([0.0, 0.0], [3.0, 6.0])
        self.default_task = np.array([0.0, 6.0])
        # TeachMyAgent's Stump Tracks knowledge (environment_args_handler.py): returns in
        # (-150, 350) (also teachDeepRL's), easy tasks N((0, 6), (10% of each range)²).
        self.expert_knowledge = {
            "reward_range": (-150.0, 350.0),
            "initial_dist": {"mean": [0.0, 6.0], "std": [0.3, 0.6]},
        }
        n_legs = self.body_spec.n_legs
        leg_low = [-math.pi, -5.0, -math.pi, -5.0, 0.0]
        leg_high = [math.pi, 5.0, math.pi, 5.0, 5.0]
        low = [-math.pi, -5.0, -5.0, -5.0] + leg_low * n_legs + [-1.0] * LIDAR_COUNT
        high = [math.pi, 5.0, 5.0, 5.0] + leg_high * n_legs + [1.0] * LIDAR_COUNT
        self.observation_space = spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2 * n_legs,), dtype=np.float32)
        self.world = None
        self.terrain = None
        self.walker: Walker | None = None
        self.stumps = []
        self._lidars = [_Lidar() for _ in range(LIDAR_COUNT)]
        self._screen = None
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self._stump_height = float(task[0])
        self._stump_spacing = float(task[1])

    # ------------------------------------------------------------------------------- episode
    def _reset_episode(self, seed, options):
        gym.Env.reset(self, seed=seed)
        # A fresh world per episode: the simulation then depends only on (seed, task).
        self.world = b2.world()
        self.stumps = generate_stumps(self.np_random, self._stump_height, self._stump_spacing)
        self.terrain = build_terrain(self.world, self.stumps)
        x0 = TERRAIN_STEP * STARTPAD_STEPS / 2
        # BipedalWalker's start pose (its joints settle the legs in the first steps);
        # gymnasium's scripted gait relies on starting with both feet on the ground.
        y0 = GROUND_Y + self.body_spec.leg_length
        self.walker = Walker(self.world, self.body_spec, x0, y0)
        self._contacts = _Contacts(self.walker)
        self.world.contactListener = self._contacts
        self.walker.hull.ApplyForceToCenter((float(self.np_random.uniform(-INITIAL_PUSH, INITIAL_PUSH)), 0.0), True)
        self._prev_shaping = None
        obs, _, _, _, _ = self._step_episode(np.zeros(self.action_space.shape, dtype=np.float32))
        return obs, {}

    def _lidar_scan(self) -> list[float]:
        px, py = self.walker.hull.position
        for lidar, (dx, dy) in zip(self._lidars, _LIDAR_DIRS, strict=True):
            lidar.fraction = 1.0
            self.world.RayCast(lidar, (px, py), (px + dx, py + dy))
        return [lidar.fraction for lidar in self._lidars]

    def _step_episode(self, action):
        walker = self.walker
        effort = walker.apply_action(action)
        self.world.Step(1.0 / FPS, 6 * 30, 2 * 30)
        state = walker.proprioception() + self._lidar_scan()
        x = walker.hull.position[0]
        shaping = 130.0 * x / SCALE - 5.0 * abs(state[0])
        reward = 0.0 if self._prev_shaping is None else shaping - self._prev_shaping
        self._prev_shaping = shaping
        reward -= TORQUE_COST * walker.spec.motor_torque * effort
        terminated = False
        if self._contacts.fallen or x < 0:
            reward = FALL_REWARD
            terminated = True
        elif x > TERRAIN_END:
            terminated = True
        return np.array(state, dtype=np.float32), reward, terminated, False, {}

    # ------------------------------------------------------------------------------ rendering
    def render(self) -> np.ndarray | None:
        """An RGB frame (400 x 600) following the walker."""
        if self.render_mode != "rgb_array" or self.walker is None:
            return None
        from envs.walker.render import draw_frame

        frame, self._screen = draw_frame(self._screen, self.walker, self.stumps, VIEWPORT_W, VIEWPORT_H)
        return frame

    def close(self) -> None:
        self._screen = None
        self.walker = None
        self.world = None
