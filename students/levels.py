"""Levels: a discrete set of env tasks that a bandit teacher chooses among.

``RunConfig.levels`` turns a ``Box``-parameterized env into a ``Discrete(n)`` curriculum: the
teacher samples arm ``i`` and the env runs ``levels[i]``. Levels are given as a list of tasks
or as a mapping ``name -> task`` (the names become the teacher's ``arm_names``)::

    levels: [[0.0, 1.5], [0.5, 1.0], [2.0, 0.05]]
    levels: {trivial: [0.0, 1.5], easy: [0.5, 1.0], closed: [2.0, 0.05]}

Each task is a list of numbers in the env's task space (checked against the env's own
``set_task`` validation by :meth:`LevelSet.check_env`).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["LevelSet"]


def _level_label(i: int, name: str | None) -> str:
    return f"levels[{i}]" if name is None else f"levels[{i}] ({name!r})"


def _as_task(value: Any, label: str) -> list[float]:
    """``value`` as a list of floats, or a ``ValueError`` naming the level."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) or not value:
        raise ValueError(f"{label} must be a non-empty list of numbers (an env task), got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v)):
            raise ValueError(f"{label} must be a list of finite numbers, got {value!r}")
    return [float(v) for v in value]


class LevelSet:
    """An ordered set of env tasks, optionally named; arm ``i`` of the teacher is level ``i``.

    Callable: ``levels(arm)`` is the env task of ``arm`` (the curriculum loop's ``task_map``).

    :param levels: a non-empty list of tasks, or a non-empty mapping ``name -> task`` (string
        names); a task is a list of numbers.
    :raises ValueError: naming the bad level.
    """

    def __init__(self, levels: Sequence[Sequence[float]] | Mapping[str, Sequence[float]]) -> None:
        if isinstance(levels, Mapping):
            for name in levels:
                if not isinstance(name, str) or not name.strip():
                    raise ValueError(f"level names must be non-empty strings, got {name!r}")
            names: list[str] | None = list(levels)
            raw = list(levels.values())
        elif isinstance(levels, Sequence) and not isinstance(levels, (str, bytes)):
            names, raw = None, list(levels)
        else:
            raise ValueError(
                f"levels must be a list of tasks or a mapping name -> task, got {levels!r}"
            )
        if not raw:
            raise ValueError("levels must hold at least one level, got an empty collection")
        self.names = names
        self.tasks = [
            _as_task(task, _level_label(i, None if names is None else names[i])) for i, task in enumerate(raw)
        ]
        dims = {len(t) for t in self.tasks}
        if len(dims) > 1:
            first = len(self.tasks[0])
            bad = next(i for i, t in enumerate(self.tasks) if len(t) != first)
            raise ValueError(
                f"{self.label(bad)} = {self.tasks[bad]} has {len(self.tasks[bad])} values; "
                f"levels[0] has {first}"
            )
        self._arrays = [np.asarray(t, dtype=np.float64) for t in self.tasks]

    def __len__(self) -> int:
        return len(self.tasks)

    def label(self, i: int) -> str:
        """``"levels[i]"``, with the level's name when it has one (for messages)."""
        return _level_label(i, None if self.names is None else self.names[i])

    @property
    def task_space(self) -> spaces.Discrete:
        """The teacher's task space: ``Discrete(len(self))``."""
        return spaces.Discrete(len(self))

    def __call__(self, arm: Any) -> np.ndarray:
        """The env task of ``arm`` (an integer in ``0 .. len(self) - 1``); a fresh copy."""
        i = int(np.asarray(arm).reshape(()))
        if not 0 <= i < len(self):
            raise ValueError(f"arm {arm!r} is outside the {len(self)} levels")
        return self._arrays[i].copy()

    def to_config(self) -> list[list[float]] | dict[str, list[float]]:
        """The YAML form (``RunConfig.levels``): a list of tasks or a mapping name -> task."""
        if self.names is None:
            return [list(t) for t in self.tasks]
        return {name: list(t) for name, t in zip(self.names, self.tasks, strict=True)}

    def check_env(self, env: gym.Env) -> None:
        """Check every level against ``env``'s own task validation.

        Uses the env's ``validate_task`` (:class:`envs.base.ParameterizedEnv`) when it has one,
        else its ``set_task`` (the env contract: it validates at once), found through its
        wrappers (an :class:`envs.TaskWrapper` holds them itself), so the level's length and
        bounds are judged by the env itself.

        :raises ValueError: naming the first level the env rejects.
        """
        check = None
        for name in ("validate_task", "set_task"):
            try:
                check = env.get_wrapper_attr(name)
                break
            except AttributeError:
                continue
        if check is None:
            raise ValueError(
                f"levels need an env with set_task (the env contract); {type(env.unwrapped).__name__} has none"
            )
        for i, task in enumerate(self.tasks):
            try:
                check(list(task))
            except ValueError as err:
                raise ValueError(f"{self.label(i)} = {task} is not a task of the env: {err}") from err
