"""Parkour: TeachMyAgent's parametric continuous parkour, walked, climbed or swum.

Task (6-D, TeachMyAgent's bounds): the CPPN's 3-D input ``cppn_1..3`` in
``[-0.35, 0.05] x [0.6, 1.0] x [-0.1, 0.3]`` shapes ground and ceiling; ``water_level`` in
``[0, 1]`` (fraction of the height from 100 m below the ground to the highest ceiling point);
``creeper_height`` in ``[0, 4]`` (mean, m; 0: none) and ``creeper_spacing`` in ``[0, 5]`` (m).
Creeper width (0.25 m) and terrain scale (10) are constant (TeachMyAgent's benchmark).

Observation: head angle, angular velocity, velocity (2), under-water flag, dead flag; the body's
motors (angle, speed, and contact where observed); grip sensors (contact, attached); 10 lidar
fractions and 10 lidar flags (-1 water, +1 creeper, 0 other). Action: the body's motors in
``[-1, 1]``, then one grasp action per grip sensor (> 0 grasps, <= 0 releases).

Reward: the change of ``130 x / 30 - 5 |head angle|`` (no angle term for bodies that drop it)
minus ``penalty x 80 x |a|`` per action; ``-100`` and termination on a critical contact or when
x < 0. The episode ends past the course's end; capped at 2000 steps. A walker or climber dies
after 600 steps with its head under water, a swimmer after 600 out of water: its actions are
then zeroed (the episode goes on). Success: return > 230.
Source: TeachMyAgent ``environments/envs/parametric_continuous_parkour.py``.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from Box2D import b2
from gymnasium import spaces

from envs.base import ParameterizedEnv, TaskEzPickle, make_task_space
from envs.parkour.agent import ParkourAgent, body_kind, body_names
from envs.parkour.terrain import (
    CREEPER_CATEGORY,
    GROUND_CATEGORY,
    INPUT_HIGH,
    INPUT_LOW,
    WATER_CATEGORY,
    build_parkour,
    make_creepers,
    make_profile,
    startpad_steps,
    water_height,
)
from envs.parkour.water import WaterForces
from envs.walker.terrain import GROUND_Y, SCALE, TERRAIN_STEP

__all__ = ["ParkourEnv"]

FPS = 50
LIDAR_COUNT = 10
LIDAR_RANGE = 160 / SCALE
INITIAL_PUSH = 5.0
FALL_REWARD = -100.0
VIEWPORT_W, VIEWPORT_H = 600, 400
HANG_STEPS = 5
#: TeachMyAgent's lidar fans per kind: (angle span, offset) in radians from straight down.
LIDAR_FANS = {"walker": (1.5, 0.0), "climber": (2.3, 1.5), "swimmer": (math.pi, 0.0), "amphibian": (math.pi, 0.0)}
_TERRAIN_BITS = GROUND_CATEGORY | CREEPER_CATEGORY | WATER_CATEGORY


class _Lidar(b2.rayCastCallback):
    """Closest terrain, water or creeper hit along a ray: fraction and flag."""

    def __init__(self) -> None:
        super().__init__()
        self.fraction = 1.0
        self.flag = 0.0

    def ReportFixture(self, fixture, point, normal, fraction):
        bits = fixture.filterData.categoryBits
        if (bits & _TERRAIN_BITS) == 0:
            return -1.0
        self.fraction = fraction
        self.flag = -1.0 if bits & WATER_CATEGORY else (1.0 if bits & CREEPER_CATEGORY else 0.0)
        return fraction


class _Contacts(b2.contactListener):
    """Critical contacts (end of episode) and observed part contacts."""

    def __init__(self, agent: ParkourAgent, ceiling) -> None:
        super().__init__()
        self.agent = agent
        self.ceiling = ceiling
        self.critical = set(agent.critical_parts)
        self.critical_contact = False

    def _set(self, contact, value: bool) -> None:
        if contact.fixtureA.sensor or contact.fixtureB.sensor:
            return
        a, b = contact.fixtureA.body, contact.fixtureB.body
        for part, other in ((a, b), (b, a)):
            self.agent.set_contact(part, value)
            if value and part in self.critical:
                if not (self.agent.kind == "climber" and other == self.ceiling):
                    self.critical_contact = True

    def BeginContact(self, contact):
        self._set(contact, True)

    def EndContact(self, contact):
        self._set(contact, False)


class ParkourEnv(ParameterizedEnv, TaskEzPickle):
    """Parkour (see the module docstring).

    :param body: the body's name (:func:`envs.parkour.agent.body_names`).
    :param task: optional initial task (6 values or a dict).
    :param render_mode: ``None`` or ``"rgb_array"``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": FPS}
    task_names = ("cppn_1", "cppn_2", "cppn_3", "water_level", "creeper_height", "creeper_spacing")
    success_threshold = 230.0

    def __init__(self, body: str = "default", task: Any = None, render_mode: str | None = None) -> None:
        names = body_names()
        if body not in names:
            raise ValueError(f"body must be one of {names}, got {body!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        TaskEzPickle.__init__(self, body=body, task=task, render_mode=render_mode)
        self.body = body
        self.kind = body_kind(body)
        self.render_mode = render_mode
        self.task_space = make_task_space([*INPUT_LOW, 0.0, 0.0, 0.0], [*INPUT_HIGH, 1.0, 4.0, 5.0])
        # An easy default: middle of the CPPN box, dry ground, no creepers.
        self.default_task = np.array([*(INPUT_LOW + INPUT_HIGH) / 2, 0.0, 0.0, 5.0])
        self._startpad = startpad_steps(ParkourAgent.width(body))
        # Sizes from a throwaway world (bodies define their own motor counts).
        probe = ParkourAgent.build(b2.world(), body, 0.0, GROUND_Y)
        self._n_motor_actions = probe.action_dim
        self._n_sensors = len(probe.sensors)
        obs_dim = 6 + probe.motor_state_dim + 2 * self._n_sensors + 2 * LIDAR_COUNT
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(obs_dim,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(self._n_motor_actions + self._n_sensors,), dtype=np.float32)
        span, offset = LIDAR_FANS[self.kind]
        self._lidar_dirs = [
            (math.sin(span * i / LIDAR_COUNT + offset) * LIDAR_RANGE, -math.cos(span * i / LIDAR_COUNT + offset) * LIDAR_RANGE)
            for i in range(LIDAR_COUNT)
        ]
        self._lidars = [_Lidar() for _ in range(LIDAR_COUNT)]
        self.world = None
        self.agent: ParkourAgent | None = None
        self.profile = None
        self.creepers = []
        self.water_y = -math.inf
        self._screen = None
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self._cppn_input = task[:3].copy()
        self._water_level = float(task[3])
        self._creeper_height = float(task[4])
        self._creeper_spacing = float(task[5])

    # ------------------------------------------------------------------------------- episode
    def _reset_episode(self, seed, options):
        gym.Env.reset(self, seed=seed)
        self.world = b2.world()
        self.profile = make_profile(self._cppn_input, self._startpad)
        self.creepers = make_creepers(self.profile, self.np_random, self._creeper_height, self._creeper_spacing)
        self.water_y = water_height(self.profile, self._water_level)
        self._ground, self._ceiling, _, _ = build_parkour(self.world, self.profile, self.creepers, self.water_y)
        x0 = TERRAIN_STEP * self._startpad / 2
        self.agent = ParkourAgent.build(self.world, self.body, x0, GROUND_Y)
        self._water = WaterForces(tuple(self.world.gravity), self.agent.parts)
        self._contacts = _Contacts(self.agent, self._ceiling)
        self.world.contactListener = self._contacts
        self.agent.head.ApplyForceToCenter((float(self.np_random.uniform(-INITIAL_PUSH, INITIAL_PUSH)), 0.0), True)
        self._prev_shaping = None
        self._steps_under_water = 0
        self._steps_out_of_water = 0
        self._dead = False
        obs, _, _, _, _ = self._step_episode(np.zeros(self.action_space.shape, dtype=np.float32))
        self._steps_under_water = 0
        self._steps_out_of_water = 0
        return obs, {}

    def _lidar_scan(self) -> tuple[list[float], list[float]]:
        px, py = self.agent.head.position
        for lidar, (dx, dy) in zip(self._lidars, self._lidar_dirs, strict=True):
            lidar.fraction, lidar.flag = 1.0, 0.0
            self.world.RayCast(lidar, (px, py), (px + dx, py + dy))
        return [lidar.fraction for lidar in self._lidars], [lidar.flag for lidar in self._lidars]

    def _is_dead(self) -> bool:
        limit = self.agent.survival_steps
        if limit is None:
            return False
        if self.kind == "swimmer":
            return self._steps_out_of_water > limit
        if self.kind == "amphibian":
            return False
        return self._steps_under_water > limit

    def _step_episode(self, action):
        agent = self.agent
        action = np.asarray(action, dtype=np.float64)
        self._dead = self._is_dead()
        if self._dead:
            action = np.zeros_like(action)
        effort = agent.apply_action(action[: self._n_motor_actions])
        self.world.Step(1.0 / FPS, 6 * 30, 2 * 30)
        self._water.apply(self.water_y, FPS)
        head = agent.head
        pos, vel = head.position, head.linearVelocity
        under_water = pos[1] <= self.water_y
        if not self._dead:
            if under_water:
                self._steps_under_water += 1
                self._steps_out_of_water = 0
            else:
                self._steps_out_of_water += 1
                self._steps_under_water = 0
        state = [
            head.angle,
            2.0 * head.angularVelocity / FPS,
            0.3 * vel.x * (VIEWPORT_W / SCALE) / FPS,
            0.3 * vel.y * (VIEWPORT_H / SCALE) / FPS,
            1.0 if under_water else 0.0,
            1.0 if self._dead else 0.0,
        ]
        state += agent.motor_state()
        fractions, flags = self._lidar_scan()
        state += fractions + flags
        shaping = 130.0 * pos[0] / SCALE
        if agent.angle_reward:
            shaping -= 5.0 * abs(state[0])
        reward = 0.0 if self._prev_shaping is None else shaping - self._prev_shaping
        self._prev_shaping = shaping
        reward -= agent.torque_penalty * 80.0 * float(np.sum(np.clip(np.abs(action), 0.0, 1.0)))
        del effort
        terminated = False
        if self._contacts.critical_contact or pos[0] < 0:
            reward = FALL_REWARD
            terminated = True
        elif pos[0] > self.profile.end_x:
            terminated = True
        return np.array(state, dtype=np.float32), reward, terminated, False, {}

    # ------------------------------------------------------------------------------ rendering
    def render(self) -> np.ndarray | None:
        """An RGB frame (400 x 600) following the agent's head."""
        if self.render_mode != "rgb_array" or self.agent is None:
            return None
        from envs.parkour.render import draw_parkour

        frame, self._screen = draw_parkour(self._screen, self, VIEWPORT_W, VIEWPORT_H)
        return frame

    def close(self) -> None:
        self._screen = None
        self.agent = None
        self.world = None
