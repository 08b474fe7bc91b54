"""Classic control and LunarLander with per-instance task parameters.

Each env subclasses gymnasium's class and writes the task's parameters onto the *instance* at
every reset (CARL overwrites module globals instead, so contexts leak between envs). Observations,
actions and rewards are gymnasium's; the task is not observed.

Success rules (``info["success"]``, meaningful at episode end):

- ``teachrl/CartPole-v0``: episode return >= 195 (the pole stayed up 195 steps; cap 500).
- ``teachrl/Pendulum-v0``: the pole was within 0.25 rad of upright for the last 20 steps.
- ``teachrl/MountainCarContinuous-v0``: the car reached the goal position.
- ``teachrl/LunarLander-v0``: episode return >= 200.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.box2d.lunar_lander import LunarLander as _LunarLander
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
from gymnasium.envs.classic_control.continuous_mountain_car import Continuous_MountainCarEnv
from gymnasium.envs.classic_control.pendulum import PendulumEnv, angle_normalize

from envs.base import ParameterizedEnv, TaskEzPickle, make_task_space

__all__ = ["CartPole", "LunarLander", "MountainCarContinuous", "Pendulum"]


class _GymnasiumTaskEnv(ParameterizedEnv):
    """Routes the contract's hooks to the gymnasium parent class's ``reset``/``step``.

    Subclasses list this class first and the gymnasium class second.
    """

    _gym_class: type[gym.Env]

    def _reset_episode(self, seed, options):
        return self._gym_class.reset(self, seed=seed, options=options)

    def _step_episode(self, action):
        return self._gym_class.step(self, action)


class CartPole(_GymnasiumTaskEnv, CartPoleEnv):
    """CartPole with task ``(pole_length, pole_mass, gravity, force)``.

    ``pole_length`` is the full pole length (gymnasium's ``length`` is half of it). Success:
    return >= :attr:`success_threshold` (195).

    :param task: optional initial task.
    :param render_mode: as gymnasium's ``CartPoleEnv``.
    """

    _gym_class = CartPoleEnv
    task_names = ("pole_length", "pole_mass", "gravity", "force")
    success_threshold = 195.0

    def __init__(self, task: Any = None, render_mode: str | None = None) -> None:
        CartPoleEnv.__init__(self, render_mode=render_mode)
        self.task_space = make_task_space([0.2, 0.02, 2.0, 2.0], [4.0, 1.0, 20.0, 30.0])
        self.default_task = np.array([1.0, 0.1, 9.8, 10.0])
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self.length = float(task[0]) / 2.0
        self.masspole = float(task[1])
        self.gravity = float(task[2])
        self.force_mag = float(task[3])
        # Derived quantities CartPoleEnv computes once in __init__.
        self.total_mass = self.masspole + self.masscart
        self.polemass_length = self.masspole * self.length


class Pendulum(_GymnasiumTaskEnv, PendulumEnv):
    """Pendulum with task ``(mass, length, gravity)``.

    Success: the pole is within 0.25 rad of upright for the last :attr:`upright_steps` (20)
    steps of the episode. Heavy, long poles under strong gravity need swinging up (the torque
    limit stays 2).

    :param task: optional initial task.
    :param render_mode: as gymnasium's ``PendulumEnv``.
    """

    _gym_class = PendulumEnv
    task_names = ("mass", "length", "gravity")
    upright_angle = 0.25
    upright_steps = 20

    def __init__(self, task: Any = None, render_mode: str | None = None) -> None:
        PendulumEnv.__init__(self, render_mode=render_mode)
        self.task_space = make_task_space([0.5, 0.5, 2.0], [2.0, 2.0, 20.0])
        self.default_task = np.array([1.0, 1.0, 10.0])
        self._upright_streak = 0
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self.m, self.l, self.g = (float(v) for v in task)

    def _reset_episode(self, seed, options):
        self._upright_streak = 0
        return super()._reset_episode(seed, options)

    def _step_episode(self, action):
        out = super()._step_episode(action)
        upright = abs(float(angle_normalize(self.state[0]))) <= self.upright_angle
        self._upright_streak = self._upright_streak + 1 if upright else 0
        return out

    def _is_success(self, terminated, truncated, info) -> bool:
        return self._upright_streak >= self.upright_steps


class MountainCarContinuous(_GymnasiumTaskEnv, Continuous_MountainCarEnv):
    """MountainCarContinuous with task ``(power, goal_position)``.

    Success: the car reached ``goal_position`` (the episode terminated). Low power makes the
    hill unclimbable within the 999-step limit (below about 0.00025 even with energy pumping); a goal further up the right hill needs more momentum.

    :param task: optional initial task.
    :param render_mode: as gymnasium's ``Continuous_MountainCarEnv``.
    """

    _gym_class = Continuous_MountainCarEnv
    task_names = ("power", "goal_position")

    def __init__(self, task: Any = None, render_mode: str | None = None) -> None:
        Continuous_MountainCarEnv.__init__(self, render_mode=render_mode)
        self.task_space = make_task_space([0.0001, 0.1], [0.003, 0.55])
        self.default_task = np.array([0.0015, 0.45])
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self.power = float(task[0])
        self.goal_position = float(task[1])

    def _is_success(self, terminated, truncated, info) -> bool:
        return bool(terminated)


class LunarLander(_GymnasiumTaskEnv, _LunarLander, TaskEzPickle):
    """LunarLander-v3 with task ``(gravity, wind_power, turbulence_power)``.

    gymnasium 1.x keeps these on the instance (the Box2D world is rebuilt with ``self.gravity``
    at every reset); wind is always enabled, so ``wind_power = turbulence_power = 0`` is the
    windless lander. Success: return >= :attr:`success_threshold` (200).

    :param task: optional initial task.
    :param continuous: continuous actions (as ``LunarLander-v3``'s ``continuous``).
    :param render_mode: as gymnasium's ``LunarLander``.
    """

    _gym_class = _LunarLander
    task_names = ("gravity", "wind_power", "turbulence_power")
    success_threshold = 200.0

    def __init__(
        self, task: Any = None, continuous: bool = False, render_mode: str | None = None
    ) -> None:
        _LunarLander.__init__(self, render_mode=render_mode, continuous=continuous, enable_wind=True)
        # Re-record the constructor arguments so pickling rebuilds *this* class correctly.
        TaskEzPickle.__init__(self, task=task, continuous=continuous, render_mode=render_mode)
        self.task_space = make_task_space([-11.9, 0.0, 0.0], [-1.0, 20.0, 2.0])
        self.default_task = np.array([-10.0, 0.0, 0.0])
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        self.gravity = float(task[0])
        self.wind_power = float(task[1])
        self.turbulence_power = float(task[2])
