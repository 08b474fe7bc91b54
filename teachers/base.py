"""The :class:`Teacher` base class: the one API every curriculum algorithm implements.

A teacher proposes the parameters of the next episode (:meth:`Teacher.sample`) and learns
from the score the student obtained on it (:meth:`Teacher.update`). The public methods
validate their inputs and keep the counters; subclasses implement the underscored hooks
(:meth:`Teacher._sample`, :meth:`Teacher._update`), which only ever see valid data.

Coordinates: for a :class:`gymnasium.spaces.Box` task space, subclasses reason in the
normalized unit cube ``[0, 1]^d`` (see :attr:`Teacher.unit`); distances, step sizes and
noise scales are therefore comparable across dimensions whatever their raw units.

Scores: when ``reward_range=(lo, hi)`` is given, scores are mapped linearly to ``[0, 1]``
and clipped (teachDeepRL uses ``(-150, 350)`` for Stump Tracks). Without it the teacher
sees raw scores; hyperparameters expressed in score units (e.g. ADR's thresholds) are then
in raw units too.
"""

from __future__ import annotations

import abc
import copy
import inspect
import numbers
from typing import Any

import numpy as np
from gymnasium import spaces

from teachers.spaces import UnitBox, check_task_space

__all__ = ["Teacher"]

_STATE_VERSION = 1


class Teacher(abc.ABC):
    """Base class of all teachers.

    :param task_space: the space tasks are drawn from (a ``gymnasium.spaces.Box`` with
        finite bounds; discrete spaces for the teachers that declare them).
    :param seed: seed of the teacher's own ``np.random.Generator``. ``0`` is a seed like any
        other; ``None`` draws fresh entropy.
    :param reward_range: optional ``(lo, hi)``; scores are mapped to ``[0, 1]`` with it.
    """

    #: Space classes this teacher accepts; checked at construction.
    supported_spaces: tuple[type[spaces.Space], ...] = (spaces.Box,)
    #: Whether :meth:`step_update` does anything (the curriculum loop skips it otherwise).
    requires_step_updates: bool = False

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
    ) -> None:
        check_task_space(task_space, self.supported_spaces, type(self).__name__)
        if seed is not None and (
            not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0
        ):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        if reward_range is not None:
            lo, hi = (float(v) for v in reward_range)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"reward_range must be finite (lo, hi) with lo < hi, got {reward_range!r}")
            reward_range = (lo, hi)
        self.task_space = task_space
        self.seed = seed
        self.reward_range = reward_range
        self.rng = np.random.default_rng(seed)
        self.unit = UnitBox(task_space) if isinstance(task_space, spaces.Box) else None
        self.n_samples = 0
        self.n_updates = 0

    # ------------------------------------------------------------------ public API
    def sample(self) -> np.ndarray:
        """Propose the task of the next episode, inside :attr:`task_space`."""
        task = self._sample()
        self.n_samples += 1
        return self._finalize_task(task)

    def update(self, task: Any, score: float) -> None:
        """Learn from one finished episode.

        :param task: the task the episode ran on (as returned by :meth:`sample`, or any point
            of the task space).
        :param score: the episode's score (usually its return). Must be finite.
        :raises ValueError: for a task outside the space, of the wrong shape, or a
            non-finite score. Nothing is recorded then.
        """
        task = self.check_task(task)
        score = self.normalize_score(self.check_score(score))
        self._update(task, score)
        self.n_updates += 1

    def step_update(self, task: Any, obs: Any, action: Any, reward: float, done: bool) -> None:
        """Per-environment-step hook; a no-op unless :attr:`requires_step_updates`."""

    def non_exploratory_sample(self) -> np.ndarray:
        """A task from the teacher's current curriculum without exploration noise.

        Used to visualize the curriculum, never to train.

        :raises NotImplementedError: where the notion does not apply.
        """
        raise NotImplementedError(f"{type(self).__name__} has no non-exploratory sampling")

    def internals(self) -> dict[str, Any]:
        """A JSON-serializable snapshot of the teacher's state for logging and plots.

        Coordinates are raw task units. Conventional keys: ``"gmm"`` (``means``,
        ``covariances``, ``weights``, ``lp``), ``"regions"`` (list of ``low``, ``high``,
        ``lp``), ``"bounds"`` (``low``, ``high``), ``"probabilities"`` (one per arm).
        """
        return {}

    # ------------------------------------------------------------------ parameters & state
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            name
            for name, p in sig.parameters.items()
            if name not in ("self", "task_space")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (except ``task_space``), as scikit-learn's ``get_params``.

        Every constructor argument must be stored under an attribute of the same name.
        """
        return {name: copy.deepcopy(getattr(self, name)) for name in self._param_names()}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: a picklable, deep-copied dict.

        The default captures every instance attribute (RNG included); subclasses holding
        unpicklable objects override it.
        """
        return {
            "teacher": type(self).__name__,
            "version": _STATE_VERSION,
            "params": self.get_params(),
            "attributes": copy.deepcopy(self.__dict__),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the teacher then continues the identical sequence.

        :raises ValueError: if the state belongs to another teacher class or version.
        """
        if not isinstance(state, dict) or "attributes" not in state:
            raise ValueError(f"not a teacher state dict: keys {sorted(state) if isinstance(state, dict) else type(state)}")
        if state.get("teacher") != type(self).__name__:
            raise ValueError(f"state of teacher {state.get('teacher')!r} cannot be loaded into {type(self).__name__}")
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported teacher state version {state.get('version')!r}")
        self.__dict__.update(copy.deepcopy(state["attributes"]))

    # ------------------------------------------------------------------ validation helpers
    def check_task(self, task: Any) -> Any:
        """Return ``task`` as an array of the space, or raise a ``ValueError`` naming it."""
        space = self.task_space
        if isinstance(space, spaces.Box):
            unit = self.unit
            arr = np.asarray(task, dtype=np.float64)
            if arr.shape != space.shape:
                raise ValueError(f"task {task!r} has shape {arr.shape}, expected {space.shape}")
            # One pass for the common case (NaN fails both comparisons); explain on failure.
            if not ((arr >= unit.low_tol).all() and (arr <= unit.high_tol).all()):
                if not np.all(np.isfinite(arr)):
                    raise ValueError(f"task {task!r} is not finite")
                raise ValueError(
                    f"task {task!r} is outside the task space [{space.low.tolist()}, {space.high.tolist()}]"
                )
            return np.minimum(np.maximum(arr, unit.low), unit.high)
        if isinstance(space, spaces.Discrete):
            arr = np.asarray(task)
            if arr.shape not in ((), (1,)) or not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"task {task!r} is not an integer arm of {space}")
            value = int(arr.reshape(()))
            if not space.contains(np.int64(value)):
                raise ValueError(f"task {task!r} is outside {space}")
            return np.int64(value)
        if isinstance(space, spaces.MultiDiscrete):
            arr = np.asarray(task)
            if arr.shape != space.shape or not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"task {task!r} does not match {space} (shape {space.shape}, integers)")
            arr = arr.astype(space.dtype)
            if not space.contains(arr):
                raise ValueError(f"task {task!r} is outside {space}")
            return arr
        raise ValueError(f"unsupported task space {space!r}")

    @staticmethod
    def check_score(score: Any) -> float:
        """Return ``score`` as a float, or raise a ``ValueError`` naming it."""
        try:
            value = float(np.asarray(score, dtype=np.float64).reshape(()))
        except (TypeError, ValueError) as err:
            raise ValueError(f"score {score!r} is not a real number") from err
        if not np.isfinite(value):
            raise ValueError(f"score {score!r} is not finite")
        return value

    def normalize_score(self, score: float) -> float:
        """Map a raw score through :attr:`reward_range` (identity when it is ``None``)."""
        if self.reward_range is None:
            return score
        lo, hi = self.reward_range
        return float(np.clip((score - lo) / (hi - lo), 0.0, 1.0))

    def _finalize_task(self, task: Any) -> Any:
        space = self.task_space
        if isinstance(space, spaces.Box):
            arr = np.minimum(np.maximum(np.asarray(task, dtype=np.float64), self.unit.low), self.unit.high)
            return arr.astype(space.dtype).reshape(space.shape)
        if isinstance(space, spaces.Discrete):
            return np.int64(task)
        return np.asarray(task, dtype=space.dtype).reshape(space.shape)

    # ------------------------------------------------------------------ subclass hooks
    @abc.abstractmethod
    def _sample(self) -> Any:
        """Return the next task (raw units; the base class clips and casts it)."""

    def _update(self, task: Any, score: float) -> None:
        """Learn from a validated task and a normalized score. Default: nothing."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"
