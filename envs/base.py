"""The env contract: a gymnasium env whose episodes are parameterized by a task.

A *task* is a point of a 1-D ``Box`` (:attr:`ParameterizedEnv.task_space`) whose dimensions are
named by :attr:`ParameterizedEnv.task_names`. A teacher picks one per episode:

- ``env.set_task(task)`` validates ``task`` now and makes it the task of the *next* reset (and of
  every later reset until changed). Vector envs auto-reset without options, so this is how a
  curriculum reaches them: ``vec_env.env_method("set_task", task, indices=[i])``.
- ``env.reset(options={"task": task})`` uses ``task`` for this episode (it also becomes the
  pending task).
- The active task is reported as ``info["task"]`` (a float64 copy) in the reset info and in every
  step info; ``info["success"]`` (bool) is in every step info and is meaningful at episode end.

Tasks are held by the instance (never in module globals), so two envs in one process never
influence each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle

__all__ = ["ParameterizedEnv", "TaskEzPickle", "make_task_space"]

def make_task_space(low: list[float], high: list[float]) -> spaces.Box:
    """A float64 1-D ``Box`` task space with the given finite bounds."""
    return spaces.Box(
        low=np.asarray(low, dtype=np.float64), high=np.asarray(high, dtype=np.float64),
        dtype=np.float64,
    )


class ParameterizedEnv(gym.Env):
    """Base class of envs parameterized by a task (see the module docstring).

    Subclasses set the class attributes :attr:`task_names`, and in ``__init__`` the instance's
    :attr:`task_space` and :attr:`default_task`, then call :meth:`_init_task`. They implement
    :meth:`_apply_task` (make the task's parameters the instance's physics),
    :meth:`_reset_episode` and :meth:`_step_episode`; the base class does the task bookkeeping
    and the ``info`` keys. Success defaults to "episode return >= :attr:`success_threshold`";
    override :meth:`_is_success` for another rule. Subclass constructors take an optional
    initial ``task`` (array-like or dict; default :attr:`default_task`). They may declare
    :attr:`expert_knowledge` (reward range, distributions of easy and target tasks).
    """

    task_names: tuple[str, ...] = ()
    task_space: spaces.Box
    default_task: np.ndarray
    success_threshold: float | None = None
    #: Expert knowledge teachers may be given (the run option ``expert_knowledge``):
    #: ``"reward_range"`` ``(lo, hi)`` of episode returns, ``"initial_dist"`` (easy tasks)
    #: and ``"target_dist"`` (tasks to end on), each ``{"mean": [...], "std": [...]}`` in raw
    #: task units (diagonal Gaussian); all optional. ``None``: nothing declared.
    expert_knowledge: dict[str, Any] | None = None

    def _init_task(self, task: Any = None) -> None:
        """Set up task bookkeeping; call at the end of the subclass ``__init__``."""
        if len(self.task_names) != self.task_space.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: {len(self.task_names)} task names for a "
                f"{self.task_space.shape[0]}-D task space"
            )
        self.default_task = np.asarray(self.default_task, dtype=np.float64)
        self._pending_task = self.validate_task(self.default_task if task is None else task)
        self._task = self._pending_task.copy()
        self._episode_return = 0.0
        self._apply_task(self._task)

    # ----------------------------------------------------------------------------------- tasks
    @property
    def task(self) -> np.ndarray:
        """A copy of the task of the current episode."""
        return self._task.copy()

    @property
    def pending_task(self) -> np.ndarray:
        """A copy of the task the next reset will use (unless its options give one)."""
        return self._pending_task.copy()

    def validate_task(self, task: Any) -> np.ndarray:
        """Return ``task`` as a float64 array of shape ``(d,)`` or raise a ``ValueError``.

        :param task: array-like of shape ``(d,)`` or a dict ``name -> value`` (missing names keep
            their :attr:`default_task` value).
        """
        if isinstance(task, Mapping):
            unknown = sorted(set(task) - set(self.task_names))
            if unknown:
                raise ValueError(
                    f"unknown task parameter(s) {unknown}; {type(self).__name__} has {list(self.task_names)}"
                )
            values = self.default_task.astype(np.float64)
            for i, name in enumerate(self.task_names):
                if name in task:
                    values[i] = float(task[name])
        else:
            try:
                values = np.array(task, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError) as err:
                raise ValueError(f"task must be array-like or a dict, got {task!r}") from err
            if values.shape != self.task_space.shape:
                raise ValueError(
                    f"task must have shape {self.task_space.shape} ({list(self.task_names)}), "
                    f"got {np.shape(task)}: {task!r}"
                )
        low, high = self.task_space.low, self.task_space.high
        for i, name in enumerate(self.task_names):
            v = values[i]
            if not (np.isfinite(v) and low[i] <= v <= high[i]):
                raise ValueError(
                    f"task parameter {name!r}={float(v)!r} is outside its bounds [{low[i]:g}, {high[i]:g}]"
                )
        return values

    def set_task(self, task: Any) -> None:
        """Validate ``task`` now; it becomes the active task at the next :meth:`reset`.

        :param task: array-like of shape ``(d,)`` or a dict ``name -> value``.
        """
        self._pending_task = self.validate_task(task)

    # ---------------------------------------------------------------------------- gym methods
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode with the pending task, or with ``options["task"]`` if given."""
        options = dict(options) if options else {}
        if "task" in options:
            self._pending_task = self.validate_task(options.pop("task"))
        self._task = self._pending_task.copy()
        self._apply_task(self._task)
        obs, info = self._reset_episode(seed=seed, options=options or None)
        # After the env's reset: some (LunarLander) take a first step inside reset.
        self._episode_return = 0.0
        info["task"] = self._task.copy()
        return obs, info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self._step_episode(action)
        self._episode_return += float(reward)
        info["task"] = self._task.copy()
        info["success"] = bool(self._is_success(terminated, truncated, info))
        return obs, reward, terminated, truncated, info

    # --------------------------------------------------------------------- subclass interface
    def _apply_task(self, task: np.ndarray) -> None:
        """Make ``task`` the instance's parameters (called at every reset)."""
        raise NotImplementedError

    def _reset_episode(
        self, seed: int | None, options: dict[str, Any] | None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """The env's own reset (the task is already applied)."""
        raise NotImplementedError

    def _step_episode(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """The env's own step."""
        raise NotImplementedError

    def _is_success(self, terminated: bool, truncated: bool, info: dict[str, Any]) -> bool:
        """Default rule: the episode return so far is at least :attr:`success_threshold`."""
        return self.success_threshold is not None and self._episode_return >= self.success_threshold


class TaskEzPickle(EzPickle):
    """``EzPickle`` (rebuild from the constructor arguments) that also keeps the pending task.

    For envs holding unpicklable simulator objects (Box2D). Call
    ``TaskEzPickle.__init__(self, **constructor_kwargs)`` in the env's ``__init__``.
    """

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["pending_task"] = self._pending_task.copy()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        pending = state.pop("pending_task", None)
        super().__setstate__(state)
        if pending is not None:
            self._pending_task = np.asarray(pending, dtype=np.float64).copy()
