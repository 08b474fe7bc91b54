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

Parameters and state are declarative: a teacher lists the constraints of its constructor
parameters in ``_parameter_constraints`` (:mod:`teachers.validation`; checked before its
``__init__`` runs) and its state in ``_state_fields`` with a ``state_version``
(:mod:`teachers.state`; checked field by field on :meth:`Teacher.load_state_dict`).
"""

from __future__ import annotations

import abc
import copy
import math
import numbers
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.spaces import UnitBox, check_task_space, describe_space
from teachers.state import RNG, Int, StateField, Stateful
from teachers.validation import (
    Integral,
    Interval,
    ParamValidated,
    Satisfies,
    check_real,
    short_repr,
)

__all__ = ["Teacher"]


def _is_reward_range(value: Any) -> bool:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return False
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in value):
        return False
    lo, hi = (float(v) for v in value)
    return math.isfinite(lo) and math.isfinite(hi) and lo < hi


class Teacher(ParamValidated, Stateful, abc.ABC):
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
    #: Whether the teacher measures the student on fixed pre-test tasks (Meta-ACL's AGAIN):
    #: the curriculum loop then asks :meth:`pretest_due` between steps and, when it is due,
    #: evaluates the policy on :meth:`pretest_tasks` and calls :meth:`set_pretest_results`.
    uses_pretest: ClassVar[bool] = False

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "seed": [None, Interval(Integral, 0, None)],
        "reward_range": [None, Satisfies(_is_reward_range, "a pair (lo, hi) of finite real numbers with lo < hi")],
    }
    _non_params = ("task_space",)
    _state_kind = "teacher"
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "rng": RNG(),
        "n_samples": Int(low=0),
        "n_updates": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
    ) -> None:
        check_task_space(task_space, self.supported_spaces, type(self).__name__)
        if reward_range is not None:
            reward_range = (float(reward_range[0]), float(reward_range[1]))
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

    # ------------------------------------------------------------------ pre-test (uses_pretest)
    def pretest_due(self) -> bool:
        """Whether the loop should run the pre-test now (never, unless :attr:`uses_pretest`)."""
        return False

    def pretest_tasks(self) -> np.ndarray:
        """The ``(n, d)`` raw tasks of the pre-test.

        :raises NotImplementedError: unless :attr:`uses_pretest`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no pre-test")

    def set_pretest_results(self, scores: Any) -> None:
        """Receive the student's scores (episode returns) on :meth:`pretest_tasks`, in order.

        :raises NotImplementedError: unless :attr:`uses_pretest`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no pre-test")

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

    # ------------------------------------------------------------------ state
    def _state_context(self) -> dict[str, Any]:
        return {"task_space": describe_space(self.task_space)}

    @classmethod
    def from_state_dict(cls, task_space: spaces.Space, state: dict[str, Any]) -> Teacher:  # type: ignore[override]
        """A teacher built with the parameters of ``state`` (seed included), then loaded.

        For users who have a state but not the parameters it was made with.

        :param task_space: the task space (must equal the state's).
        :param state: a :meth:`state_dict` of this class.
        :raises ValueError: for a state of another class or anything :meth:`load_state_dict`
            refuses.
        """
        if not isinstance(state, dict) or state.get(cls._state_kind) != cls.__name__:
            got = state.get(cls._state_kind) if isinstance(state, dict) else state
            raise ValueError(f"{cls.__name__}.from_state_dict: not a {cls.__name__} state: {short_repr(got)}")
        params = state.get("params")
        if not isinstance(params, dict) or set(params) != set(cls._param_names()):
            raise ValueError(
                f"{cls.__name__}.from_state_dict: state params must have keys {cls._param_names()}, "
                f"got {short_repr(params)}"
            )
        teacher = cls(task_space, **copy.deepcopy(params))
        teacher.load_state_dict(state)
        return teacher

    # ------------------------------------------------------------------ validation helpers
    def check_task(self, task: Any) -> Any:
        """Return ``task`` as an array of the space, or raise a ``ValueError`` naming it.

        A task must be numeric (ints or floats; not strings, bools, ``None`` or objects), of
        the space's shape, finite and inside the space (integers for discrete spaces).
        """
        space = self.task_space
        try:
            arr = np.asarray(task)
        except (TypeError, ValueError):  # ragged nested sequences
            raise ValueError(f"task {short_repr(task)} is not a numeric array") from None
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"task {short_repr(task)} is not numeric (dtype {arr.dtype})")
        if isinstance(space, spaces.Box):
            unit = self.unit
            arr = arr.astype(np.float64)
            if arr.shape != space.shape:
                raise ValueError(f"task {short_repr(task)} has shape {arr.shape}, expected {space.shape}")
            # One pass for the common case (NaN fails both comparisons); explain on failure.
            if not ((arr >= unit.low_tol).all() and (arr <= unit.high_tol).all()):
                if not np.all(np.isfinite(arr)):
                    raise ValueError(f"task {short_repr(task)} is not finite")
                raise ValueError(
                    f"task {short_repr(task)} is outside the task space [{space.low.tolist()}, {space.high.tolist()}]"
                )
            return np.minimum(np.maximum(arr, unit.low), unit.high)
        if isinstance(space, spaces.Discrete):
            if arr.shape not in ((), (1,)) or arr.dtype.kind not in "iu":
                raise ValueError(f"task {short_repr(task)} is not an integer arm of {space}")
            value = int(arr.reshape(()))
            if not space.contains(np.int64(value)):
                raise ValueError(f"task {short_repr(task)} is outside {space}")
            return np.int64(value)
        if isinstance(space, spaces.MultiDiscrete):
            if arr.shape != space.shape or arr.dtype.kind not in "iu":
                raise ValueError(f"task {short_repr(task)} does not match {space} (shape {space.shape}, integers)")
            if not (arr >= space.start).all() or not (arr < np.asarray(space.start) + space.nvec).all():
                raise ValueError(f"task {short_repr(task)} is outside {space}")
            return arr.astype(space.dtype)
        raise ValueError(f"unsupported task space {space!r}")

    @staticmethod
    def check_score(score: Any) -> float:
        """Return ``score`` as a float, or raise a ``ValueError`` naming it (see
        :func:`teachers.validation.check_real`: strings, bools, sequences, NaN, infinities
        and numbers beyond float range are refused)."""
        return check_real(score, "score")

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
