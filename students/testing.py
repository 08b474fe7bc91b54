"""Test fixtures for the curriculum loop: an env whose return encodes its task, a teacher
that records every update.

Importing this module registers ``teachrl_test/TaskEcho-v0`` with gymnasium and the
``"test-recording"`` teacher, so both are usable by name (also inside ``SubprocVecEnv``
workers started with forkserver/spawn: use the id ``"students.testing:teachrl_test/TaskEcho-v0"``
or import this module in the env factory).
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import teachers
from teachers.base import Teacher
from teachers.state import Float, ListOf, TupleOf

__all__ = ["TASK_ECHO_ID", "FeedbackTeacher", "RecordingTeacher", "TaskEchoEnv", "task_code"]

TASK_ECHO_ID = "teachrl_test/TaskEcho-v0"


def task_code(task: Any) -> float:
    """The return an episode of :class:`TaskEchoEnv` on ``task`` earns: ``1 + Σ task[k]·10^k``."""
    task = np.asarray(task, dtype=np.float64)
    return float(1.0 + np.sum(task * 10.0 ** np.arange(task.shape[0])))


def task_success(task: Any) -> bool:
    """The success flag of :class:`TaskEchoEnv` on ``task``: ``task[0] < 0.5``."""
    return bool(np.asarray(task, dtype=np.float64)[0] < 0.5)


class TaskEchoEnv(gym.Env):
    """A parameterized env (env contract) whose episode return encodes its task exactly.

    Every step pays 0 except the last, which pays :func:`task_code` of the active task, so
    the return tells which task an episode really ran. Episode lengths are random in
    ``[min_length, max_length]`` (from the env's seeded RNG), so vectorized copies finish
    episodes at different steps. Even lengths end ``terminated``, odd ones ``truncated``.

    :param dim: task dimension; the task space is ``[0, 1]^dim``.
    :param min_length: shortest episode.
    :param max_length: longest episode.
    :param discrete_actions: ``Discrete(2)`` actions (for DQN) instead of a 1-D ``Box``.
    :param crash_at_step: raise ``RuntimeError`` at this step of the env's life (tests of
        crashed workers); ``None`` never. The message ends with the Unix time of the crash.
    :param crash_seed: with ``crash_at_step``, only the env whose first reset had this seed
        crashes (a vector env seeded with ``s`` seeds its env ``i`` with ``s + i``).
    :param apply_task_immediately: break the env contract on purpose: ``set_task`` switches
        the running episode's task (tests of the loop's attribution check).
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        dim: int = 2,
        min_length: int = 3,
        max_length: int = 12,
        discrete_actions: bool = False,
        crash_at_step: int | None = None,
        apply_task_immediately: bool = False,
        crash_seed: int | None = None,
    ) -> None:
        if not 1 <= min_length <= max_length:
            raise ValueError(f"need 1 <= min_length <= max_length, got {min_length}, {max_length}")
        self.task_space = spaces.Box(0.0, 1.0, shape=(dim,), dtype=np.float32)
        self.task_names = tuple(f"x{k}" for k in range(dim))
        self.default_task = np.full(dim, 0.5)
        self.success_threshold = 0.5
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(dim + 1,), dtype=np.float32)
        self.action_space = (
            spaces.Discrete(2) if discrete_actions else spaces.Box(-1.0, 1.0, (1,), np.float32)
        )
        self.min_length, self.max_length = min_length, max_length
        self.crash_at_step, self.crash_seed = crash_at_step, crash_seed
        self._first_seed: int | None = None
        self.apply_task_immediately = apply_task_immediately
        self._pending = self.default_task.copy()
        self._task = self.default_task.copy()
        self._length = 1
        self._t = 0
        self._life_steps = 0

    def set_task(self, task: Any) -> None:
        """Validate ``task`` now; it becomes active at the next reset."""
        self._pending = self._check(task)
        if self.apply_task_immediately:
            self._task = self._pending.copy()

    def _check(self, task: Any) -> np.ndarray:
        if isinstance(task, dict):
            full = self._pending.copy()
            for name, value in task.items():
                if name not in self.task_names:
                    raise ValueError(f"unknown task parameter {name!r}; known: {self.task_names}")
                full[self.task_names.index(name)] = value
            task = full
        arr = np.array(task, dtype=np.float64).reshape(-1)
        if arr.shape != self.task_space.shape or np.any(arr < 0.0) or np.any(arr > 1.0):
            raise ValueError(f"task {task!r} is outside [0, 1]^{self.task_space.shape[0]}")
        return arr

    def _obs(self) -> np.ndarray:
        return np.append(self._task, self._t / self.max_length).astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self._first_seed is None:
            self._first_seed = -1 if seed is None else seed
        if options and "task" in options:
            self._pending = self._check(options["task"])
        self._task = self._pending.copy()
        self._length = int(self.np_random.integers(self.min_length, self.max_length + 1))
        self._t = 0
        return self._obs(), {"task": self._task.copy()}

    def step(self, action):
        self._life_steps += 1
        if (
            self.crash_at_step is not None and self._life_steps >= self.crash_at_step
            and self.crash_seed in (None, self._first_seed)
        ):
            raise RuntimeError(f"TaskEchoEnv crashed on purpose at step {self._life_steps} (t={time.time():.3f})")
        self._t += 1
        end = self._t >= self._length
        reward = task_code(self._task) if end else 0.0
        terminated = end and self._length % 2 == 0
        truncated = end and not terminated
        info = {"task": self._task.copy(), "success": end and task_success(self._task)}
        return self._obs(), reward, terminated, truncated, info


class RecordingTeacher(Teacher):
    """Uniform teacher that records every sampled task and every ``(task, score)`` update.

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed.
    :param reward_range: unused.
    """

    # The records are state: a resumed run keeps them (undeclared attributes are not restored).
    _state_fields = {"updates": ListOf(TupleOf(ListOf(Float()), Float())), "samples": ListOf(ListOf(Float()))}

    def __init__(self, task_space, seed=None, reward_range=None) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.updates: list[tuple[list[float], float]] = []
        self.samples: list[list[float]] = []

    def _sample(self):
        task = self.unit.from_unit(self.rng.random(self.unit.dim)).astype(self.task_space.dtype)
        self.samples.append([float(v) for v in task])
        return task

    def _update(self, task, score):
        self.updates.append(([float(v) for v in np.asarray(task).reshape(-1)], float(score)))


class FeedbackTeacher(RecordingTeacher):
    """A :class:`RecordingTeacher` that requires every feedback and a value function over
    tasks: it records ``(success, value, steps)`` of every update and, at every sample, the
    values ``task_values`` gives for the task it samples (then two more candidates).

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed.
    :param reward_range: unused.
    """

    requires = frozenset({"success", "value", "steps"})
    requires_value_fn = True
    _state_fields = {
        "feedback": ListOf(TupleOf(Float(), Float(), Float())),
        "task_value_calls": ListOf(TupleOf(ListOf(ListOf(Float())), ListOf(Float()))),
    }

    def __init__(self, task_space, seed=None, reward_range=None) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.feedback: list[tuple[float, float, float]] = []
        self.task_value_calls: list[tuple[list[list[float]], list[float]]] = []

    def _sample(self):
        task = super()._sample()
        if self.has_value_fn:
            batch = np.stack([task, self.unit.from_unit(self.rng.random((2, self.unit.dim)))[0],
                              self.unit.from_unit(self.rng.random(self.unit.dim))])
            values = self.task_values(batch)
            self.task_value_calls.append((batch.tolist(), values.tolist()))
        return task

    def _update(self, task, score, success, steps, value):
        super()._update(task, score)
        self.feedback.append((float(success), float(value), float(steps)))


if TASK_ECHO_ID not in gym.envs.registry:
    gym.register(TASK_ECHO_ID, entry_point="students.testing:TaskEchoEnv")
if "test-recording" not in teachers.available():
    teachers.register("test-recording", RecordingTeacher)
if "test-feedback" not in teachers.available():
    teachers.register("test-feedback", FeedbackTeacher)
