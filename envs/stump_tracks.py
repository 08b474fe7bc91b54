"""Stump Tracks: a Box2D walker on a track of stumps (the seed papers' parameterized walker).

Task ``(stump_height, stump_spacing)`` in ``[0, 3] x [0, 6]`` (metres): the mean stump height
(each stump's height is drawn from ``N(mean, 0.1)`` and floored at 0.05) and the free ground
between consecutive stumps. Taller, denser stumps are harder; stumps taller than the legs are
unfeasible.

Bodies (``body=`` kwarg): every walker of :mod:`envs.bodies` (``envs.bodies.body_names("walker")``:
TeachMyAgent's ``old_classic_bipedal`` (alias ``"default"``, BipedalWalker's walker, the default),
``classic_bipedal``, ``small_bipedal``, ``big_quadru``, ``spider``, ``millipede``, ``wheel``,
``profile_chimpanzee``, and teachrl's ``"short"`` and ``"quadruped"``). Observation, as
TeachMyAgent's Stump Tracks: the head's angle, angular velocity and velocity (2); per motor its
angle and speed (and its foot's ground contact after a knee); 10 lidar fractions (24 values for
the bipeds). Action: one torque per motor in ``[-1, 1]``.

Reward: ``130 x / 30`` progress shaping of the head's x, minus ``5 |head angle|`` shaping (not for
the wheel and the chimpanzee), minus a torque cost ``torque_penalty x 80 x |a|`` per action
(``torque_penalty`` 0.00035 for the bipeds, divided by the leg pairs or limbs of the others);
``-100`` and termination when a critical part (the hull; the chimpanzee's head and chest)
touches the terrain (a fall) or the walker leaves the track backwards. Episodes end at the
track's end or after 2000 steps (``max_episode_steps``). Success: episode return > 230.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from Box2D import b2
from gymnasium import spaces

from envs.base import ParameterizedEnv, TaskEzPickle, make_task_space
from envs.bodies import get_body
from envs.bodies.body import Body, BodyContactListener
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

__all__ = ["StumpTracksEnv"]



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


class StumpTracksEnv(ParameterizedEnv, TaskEzPickle):
    """Walker on a procedurally generated stump track (see the module docstring).

    :param body: a walker's name (``envs.bodies.body_names("walker", aliases=True)``).
    :param task: optional initial task ``(stump_height, stump_spacing)``.
    :param render_mode: ``None`` or ``"rgb_array"``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": FPS}
    task_names = ("stump_height", "stump_spacing")
    success_threshold = 230.0

    def __init__(self, body: str = "default", task: Any = None, render_mode: str | None = None) -> None:
        body_spec = get_body(body, kind="walker")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        TaskEzPickle.__init__(self, body=body, task=task, render_mode=render_mode)
        self.body = body
        self.body_spec = body_spec
        self.render_mode = render_mode
        self.task_space = make_task_space([0.0, 0.0], [3.0, 6.0])
        self.default_task = np.array([0.0, 6.0])
        # TeachMyAgent's Stump Tracks knowledge (environment_args_handler.py): returns in
        # (-150, 350) (also teachDeepRL's), easy tasks N((0, 6), (10% of each range)²).
        self.expert_knowledge = {
            "reward_range": (-150.0, 350.0),
            "initial_dist": {"mean": [0.0, 6.0], "std": [0.3, 0.6]},
        }
        head_low, head_high = body_spec.head_bounds()
        body_low, body_high = body_spec.state_bounds()
        low = head_low + body_low + [-1.0] * LIDAR_COUNT
        high = head_high + body_high + [1.0] * LIDAR_COUNT
        self.observation_space = spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(body_spec.action_dim,), dtype=np.float32)
        # Lidar ray directions: a fan from straight down to 1.35 rad forward (TeachMyAgent's walkers).
        self._lidar_dirs = body_spec.lidar.rays(LIDAR_COUNT, LIDAR_RANGE)
        self._torque_cost = body_spec.torque_penalty * 80.0  # TeachMyAgent: 80, the original torque
        self.world = None
        self.terrain = None
        self.walker: Body | None = None
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
        self.terrain = self._build_track()
        x0 = TERRAIN_STEP * STARTPAD_STEPS / 2
        # BipedalWalker's start pose for the default body (its joints settle the legs in the
        # first steps); gymnasium's scripted gait relies on starting with both feet on the ground.
        y0 = GROUND_Y + self.body_spec.center_height
        self.walker = Body(self.world, self.body_spec, x0, y0, hull_critical=True)
        self.world.contactListener = BodyContactListener(self.walker)
        self.walker.push(float(self.np_random.uniform(-INITIAL_PUSH, INITIAL_PUSH)))
        self._prev_shaping = None
        obs, _, _, _, _ = self._step_episode(np.zeros(self.action_space.shape, dtype=np.float32))
        return obs, {}

    def _build_track(self):
        """Create this episode's terrain in ``self.world`` (the task is applied); return its body."""
        self.stumps = generate_stumps(self.np_random, self._stump_height, self._stump_spacing)
        return build_terrain(self.world, self.stumps)

    def _lidar_scan(self) -> list[float]:
        px, py = self.walker.head.position
        for lidar, (dx, dy) in zip(self._lidars, self._lidar_dirs, strict=True):
            lidar.fraction = 1.0
            self.world.RayCast(lidar, (px, py), (px + dx, py + dy))
        return [lidar.fraction for lidar in self._lidars]

    def _step_episode(self, action):
        walker = self.walker
        effort = walker.apply_action(action)
        self.world.Step(1.0 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS)
        state = walker.head_state() + walker.proprioception() + self._lidar_scan()
        x = walker.head.position[0]
        shaping = 130.0 * x / SCALE
        if self.body_spec.angle_reward:
            shaping -= 5.0 * abs(state[0])
        reward = 0.0 if self._prev_shaping is None else shaping - self._prev_shaping
        self._prev_shaping = shaping
        reward -= self._torque_cost * effort
        terminated = False
        if walker.critical_contact or x < 0:
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

        frame, self._screen = draw_frame(
            self._screen, self.walker, self.stumps, VIEWPORT_W, VIEWPORT_H, polygons=self._obstacle_polygons()
        )
        return frame

    def _obstacle_polygons(self) -> list:
        """Obstacles other than stumps, as world-coordinate polygons, for drawing."""
        return []

    def close(self) -> None:
        self._screen = None
        self.walker = None
        self.world = None
