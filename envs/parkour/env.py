"""Parkour: TeachMyAgent's parametric continuous parkour, walked, climbed or swum.

Task (6-D, TeachMyAgent's bounds): the CPPN's 3-D input ``cppn_1..3`` in
``[-0.35, 0.05] x [0.6, 1.0] x [-0.1, 0.3]`` shapes ground and ceiling; ``water_level`` in
``[0, 1]`` (fraction of the height from 100 m below the ground to the highest ceiling point);
``creeper_height`` in ``[0, 4]`` (mean, m; 0: none) and ``creeper_spacing`` in ``[0, 5]`` (m).
Creeper width (0.25 m) and terrain scale (10) are constant (TeachMyAgent's benchmark).

Bodies (``body=``): any of :mod:`envs.bodies` (TeachMyAgent's names and teachrl's aliases); its
kind sets the lidar fan, what kills it (water for walkers and climbers, air for the fish) and
whether it starts hanging from the ceiling (climbers). As in TeachMyAgent's Parkour, a walker's
hull may touch the terrain; only critical parts (chimpanzees' head and chest, climbers' lower
legs, except against what they can grasp) end the episode.

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
from envs.bodies import Body, get_body
from envs.bodies.body import BodyContactListener
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
from envs.walker.world import (
    FALL_REWARD,
    FPS,
    INITIAL_PUSH,
    LIDAR_COUNT,
    LIDAR_RANGE,
    POSITION_ITERATIONS,
    VELOCITY_ITERATIONS,
    VIEWPORT_H,
    VIEWPORT_W,
)

__all__ = ["ParkourEnv"]

HANG_STEPS = 5
_TERRAIN_BITS = GROUND_CATEGORY | CREEPER_CATEGORY | WATER_CATEGORY
#: What body parts (and grip sensors) touch: the ground and ceiling (solid) and the creepers
#: (sensors: contacts without collision, so grip sensors can grasp them).
_BODY_MASK = GROUND_CATEGORY | CREEPER_CATEGORY


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


class ParkourEnv(ParameterizedEnv, TaskEzPickle):
    """Parkour (see the module docstring).

    :param body: a body of :mod:`envs.bodies` (:func:`envs.bodies.body_names`; any kind).
    :param task: optional initial task (6 values or a dict).
    :param render_mode: ``None`` or ``"rgb_array"``.
    :param survival_steps: steps the body survives out of its element (``None``: the body's).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": FPS}
    task_names = ("cppn_1", "cppn_2", "cppn_3", "water_level", "creeper_height", "creeper_spacing")
    success_threshold = 230.0

    def __init__(
        self, body: str = "old_classic_bipedal", task: Any = None, render_mode: str | None = None,
        survival_steps: int | None = None,
    ) -> None:
        self.body_spec = get_body(body)  # ValueError listing the bodies
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        if survival_steps is not None and survival_steps < 1:
            raise ValueError(f"survival_steps must be None or >= 1, got {survival_steps!r}")
        TaskEzPickle.__init__(self, body=body, task=task, render_mode=render_mode, survival_steps=survival_steps)
        #: Steps the body survives out of its element (default: the body's, TeachMyAgent's 600).
        self.survival_steps = self.body_spec.survival_steps if survival_steps is None else survival_steps
        self.body = body
        self.kind = self.body_spec.kind
        self.render_mode = render_mode
        self.task_space = make_task_space([*INPUT_LOW, 0.0, 0.0, 0.0], [*INPUT_HIGH, 1.0, 4.0, 5.0])
        # An easy default: middle of the CPPN box; swimmers in water, climbers with creepers.
        water, creepers = {"swimmer": (1.0, 0.0), "climber": (0.0, 2.0)}.get(self.kind, (0.0, 0.0))
        self.default_task = np.array([*(INPUT_LOW + INPUT_HIGH) / 2, water, creepers, 1.0 if creepers else 5.0])
        # TeachMyAgent gives Parkour's teachers reward bounds (-150, 360) (its benchmark runs
        # "low" expert knowledge); it defines no easy-task distribution for Parkour.
        self.expert_knowledge = {"reward_range": (-150.0, 360.0)}
        self._startpad = startpad_steps(self.body_spec.width)
        n_motors, n_sensors = len(self.body_spec.motors), len(self.body_spec.sensors)
        obs_dim = 6 + self.body_spec.state_dim + 2 * LIDAR_COUNT
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(obs_dim,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(n_motors + n_sensors,), dtype=np.float32)
        self._lidar_dirs = self.body_spec.lidar.rays(LIDAR_COUNT, LIDAR_RANGE)
        self._lidars = [_Lidar() for _ in range(LIDAR_COUNT)]
        self.world = None
        self.agent: Body | None = None
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
        y0 = GROUND_Y + self.body_spec.center_height
        hang = self.kind == "climber"
        if hang:
            # Climbers start hanging: their grip sensors at the start pad's ceiling (TeachMyAgent).
            y0 = float(self.profile.ceiling[0]) - max(s.position[1] for s in self.body_spec.sensors)
        self.agent = Body(self.world, self.body_spec, x0, y0, hull_critical=False, mask_bits=_BODY_MASK)
        # Contact flags and critical contacts (a climber's critical parts may touch what it can
        # grasp: envs.bodies applies TeachMyAgent's rule).
        self.world.contactListener = BodyContactListener(self.agent)
        self.agent.push(float(self.np_random.uniform(-INITIAL_PUSH, INITIAL_PUSH)))
        self._water = WaterForces(tuple(self.world.gravity), list(self.agent.parts.values()))
        self._prev_shaping = None
        self._steps_under_water = 0
        self._steps_out_of_water = 0
        self._dead = False
        action = np.zeros(self.action_space.shape, dtype=np.float32)
        if hang:
            action[len(self.body_spec.motors):] = 1.0  # hold on
            for _ in range(HANG_STEPS):
                self._step_episode(action)
        obs, _, _, _, _ = self._step_episode(action)
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
        limit = self.survival_steps
        if limit is None:
            return False
        if self.kind == "swimmer":
            return self._steps_out_of_water > limit
        return self._steps_under_water > limit

    def _step_episode(self, action):
        agent = self.agent
        action = np.asarray(action, dtype=np.float64)
        self._dead = self._is_dead()
        if self._dead:
            action = np.zeros_like(action)
        effort = agent.apply_action(action)
        self.world.Step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS)
        agent.update_grasps()
        self._water.apply(self.water_y, FPS)
        head = agent.head
        pos = head.position
        under_water = pos[1] <= self.water_y
        if not self._dead:
            if under_water:
                self._steps_under_water += 1
                self._steps_out_of_water = 0
            else:
                self._steps_out_of_water += 1
                self._steps_under_water = 0
        state = agent.head_state() + [1.0 if under_water else 0.0, 1.0 if self._dead else 0.0]
        state += agent.proprioception()
        fractions, flags = self._lidar_scan()
        state += fractions + flags
        shaping = 130.0 * pos[0] / SCALE
        if self.body_spec.angle_reward:
            shaping -= 5.0 * abs(state[0])
        reward = 0.0 if self._prev_shaping is None else shaping - self._prev_shaping
        self._prev_shaping = shaping
        reward -= self.body_spec.torque_penalty * 80.0 * effort
        terminated = False
        if agent.critical_contact or pos[0] < 0:
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
