"""envs.check_task_env catches envs that break the contract, each under the right check."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import envs

#: Where LeakyGlobalEnv keeps its task: the module-global bug the checker must catch.
_GLOBAL_TASK: dict[str, np.ndarray] = {}


class ToyEnv(gym.Env):
    """A correct contract env written from scratch: a point on a line, task ``(speed, drift)``."""

    task_names = ("speed", "drift")
    observation_space = spaces.Box(-10.0, 10.0, shape=(1,), dtype=np.float32)
    action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def __init__(self) -> None:
        self.task_space = spaces.Box(np.array([0.5, -1.0]), np.array([2.0, 1.0]), dtype=np.float64)
        self._pending = np.array([1.0, 0.0])
        self._task = self._pending.copy()
        self._x, self._t = 0.0, 0

    def validate(self, task: Any) -> np.ndarray:
        values = np.array(task, dtype=np.float64).reshape(-1)  # ValueError for "abc"
        if values.shape != (2,):
            raise ValueError(f"task must have 2 values, got {task!r}")
        for name, v, lo, hi in zip(self.task_names, values, self.task_space.low, self.task_space.high, strict=True):
            if not lo <= v <= hi:
                raise ValueError(f"{name}={v} is outside [{lo}, {hi}]")
        return values

    def set_task(self, task: Any) -> None:
        self._pending = self.validate(task)

    def _start(self) -> None:
        self._task = self._pending.copy()

    def _speed_drift(self) -> np.ndarray:
        return self._task

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "task" in options:
            self._pending = self.validate(options["task"])
        self._start()
        self._x, self._t = float(self.np_random.uniform(-1, 1)), 0
        return self._obs(), {"task": self._task.copy()}

    def step(self, action):
        speed, drift = self._speed_drift()
        self._x = float(np.clip(self._x + speed * float(action[0]) + 0.1 * drift, -10, 10))
        self._t += 1
        terminated = abs(self._x) >= 3.0
        info = {"task": self._task.copy(), "success": bool(terminated)}
        return self._obs(), -abs(self._x), terminated, self._t >= 30, info

    def _obs(self) -> np.ndarray:
        return np.array([self._x], dtype=np.float32)


class NoInfoTaskEnv(ToyEnv):
    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        del info["task"]
        return obs, reward, terminated, truncated, info


class NoSuccessEnv(ToyEnv):
    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        info["success"] = 1.0 if terminated else 0.0  # not a bool
        return obs, reward, terminated, truncated, info


class ImmediateSetTaskEnv(ToyEnv):
    def set_task(self, task: Any) -> None:
        super().set_task(task)
        self._task = self._pending.copy()  # bug: changes the running episode


class SilentImmediateEnv(ToyEnv):
    """Reports the episode's task but its dynamics read the pending one at once."""

    def _speed_drift(self) -> np.ndarray:
        return self._pending


class LeakyGlobalEnv(ToyEnv):
    """Keeps the task in a module global: fine alone, leaks between instances."""

    def set_task(self, task: Any) -> None:
        _GLOBAL_TASK["pending"] = self.validate(task)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if options and "task" in options:
            _GLOBAL_TASK["pending"] = self.validate(options.pop("task"))
        self._pending = _GLOBAL_TASK.get("pending", self._pending)
        return super().reset(seed=seed, options=options)


class LeakyClassAttributeEnv(ToyEnv):
    """CARL-style: writes the physics onto the class at reset; info["task"] stays right."""

    physics = np.array([1.0, 0.0])

    def _start(self) -> None:
        super()._start()
        type(self).physics = self._task.copy()

    def _speed_drift(self) -> np.ndarray:
        return type(self).physics


class NoValidationEnv(ToyEnv):
    def set_task(self, task: Any) -> None:
        self._pending = np.asarray(task, dtype=np.float64)


class UnnamedErrorEnv(ToyEnv):
    def validate(self, task: Any) -> np.ndarray:
        try:
            return super().validate(task)
        except ValueError:
            raise ValueError("bad task") from None


class NoTaskNamesEnv(ToyEnv):
    task_names = ("speed",)


class NondeterministicEnv(ToyEnv):
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = super().reset(seed=None, options=options)  # bug: ignores the seed
        return obs, info


def check(env_class: type[gym.Env]) -> None:
    envs.check_task_env(env_class(), make_env=env_class)


def test_the_correct_toy_env_passes():
    check(ToyEnv)


@pytest.mark.parametrize(
    ("env_class", "check_name", "fragment"),
    [
        (NoInfoTaskEnv, "info", "step info has no 'task' key"),
        (NoSuccessEnv, "info", "info['success'] must be a bool"),
        (NoValidationEnv, "validation", "speed=3.5 (above its upper bound) was accepted"),
        (UnnamedErrorEnv, "validation", "does not name 'speed'"),
        (ImmediateSetTaskEnv, "set_task_at_reset", "step info['task'] = [1.625, 0.5], but after set_task"),
        (SilentImmediateEnv, "set_task_at_reset", "set_task during an episode changed that episode"),
        (NondeterministicEnv, "determinism", "the same seed (0) and task"),
        (LeakyGlobalEnv, "independence", "reset info['task']"),
        (LeakyClassAttributeEnv, "independence", "a second instance given other tasks changed"),
        (NoTaskNamesEnv, "task_space", "task_names must be 2 distinct non-empty strings"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_checker_catches_a_broken_env_under_the_right_check(env_class, check_name, fragment):
    try:
        with pytest.raises(envs.TaskEnvCheckError) as err:
            check(env_class)
    finally:
        _GLOBAL_TASK.clear()
        LeakyClassAttributeEnv.physics = np.array([1.0, 0.0])
    assert err.value.check == check_name
    assert str(err.value).startswith(f"check_task_env[{check_name}]: ")
    assert fragment in str(err.value)
    assert isinstance(err.value, AssertionError)


def test_a_missing_contract_fails_the_task_space_check():
    with pytest.raises(envs.TaskEnvCheckError, match=r"check_task_env\[task_space\].*task_space"):
        envs.check_task_env(gym.make("CartPole-v1"))


def test_gymnasium_check_env_runs_too():
    class ReusedObsEnv(ToyEnv):
        """Returns one array object every time (the contract checks cannot see it)."""

        def __init__(self) -> None:
            super().__init__()
            self._buffer = np.zeros(1, dtype=np.float32)

        def _obs(self) -> np.ndarray:
            self._buffer[0] = self._x
            return self._buffer

    with pytest.raises(envs.TaskEnvCheckError, match=r"check_task_env\[gymnasium\].*share an object"):
        check(ReusedObsEnv)


def test_checker_arguments_are_validated():
    with pytest.raises(ValueError, match="'speling'"):
        envs.check_task_env(ToyEnv(), make_env=ToyEnv, skip=["speling"])
    with pytest.raises(ValueError, match="n_steps must be an int >= 2, got 1"):
        envs.check_task_env(ToyEnv(), make_env=ToyEnv, n_steps=1)
    with pytest.raises(ValueError, match="pass make_env"):
        envs.check_task_env(ToyEnv())
    envs.check_task_env(ToyEnv(), skip=["independence"])  # no second instance needed then
