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

Feedback besides the score: a teacher that needs more of the episode than ``(task, score)``
declares it in :attr:`Teacher.requires` (a subset of :data:`FEEDBACK`: ``"success"``,
``"value"``, ``"steps"``); :meth:`Teacher.update` then insists on each and hands them to
``_update`` as keyword arguments. A teacher that evaluates the student on arbitrary tasks
(SPDL, GoalGAN) sets :attr:`Teacher.requires_value_fn`; the loop then calls
:meth:`Teacher.set_value_fn`. Teachers that need nothing keep ``_update(task, score)``.

Expert knowledge (TeachMyAgent's levels, Romac et al. 2021): ``initial_dist`` /
``target_dist`` constructor parameters, where a teacher uses them, are ``None`` or a
diagonal Gaussian ``{"mean": [...], "std": [...]}`` in raw task units
(:data:`DIST_CONSTRAINT`, :meth:`Teacher.check_dist`).
"""

from __future__ import annotations

import abc
import copy
import math
import numbers
from collections.abc import Callable, Mapping
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

__all__ = ["DIST_CONSTRAINT", "FEEDBACK", "Teacher", "check_dist_spec"]

#: The feedback a teacher may require besides ``(task, score)`` (:attr:`Teacher.requires`):
#:
#: - ``"success"``: the episode's binary success label (the env's ``info["success"]``; a
#:   simulated student's flag);
#: - ``"value"``: the student's value estimate V(s0) of the episode's first observation;
#: - ``"steps"``: the episode's length in env steps.
FEEDBACK: tuple[str, ...] = ("success", "value", "steps")


def _is_reward_range(value: Any) -> bool:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return False
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in value):
        return False
    lo, hi = (float(v) for v in value)
    return math.isfinite(lo) and math.isfinite(hi) and lo < hi


def check_dist_spec(value: Any) -> bool:
    """Whether ``value`` is a diagonal-Gaussian spec ``{"mean": [...], "std": [...]}``: two
    equally long non-empty sequences of finite reals, every ``std > 0``, no other keys."""
    if not isinstance(value, Mapping) or set(value) != {"mean", "std"}:
        return False
    mean, std = value["mean"], value["std"]
    if not all(isinstance(v, list | tuple | np.ndarray) for v in (mean, std)):
        return False
    if len(mean) != len(std) or len(mean) == 0:
        return False
    for v in (*mean, *std):
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
            return False
    return all(float(v) > 0 for v in std)


#: The constraint of an ``initial_dist`` / ``target_dist`` parameter (see
#: :meth:`Teacher.check_dist` for the check against the task space).
DIST_CONSTRAINT: list[Any] = [
    None,
    Satisfies(check_dist_spec, "None or {'mean': [...], 'std': [...]} (finite reals, std > 0, equal lengths)"),
]


def _check_success(value: Any) -> bool:
    """A success label: a bool, or a real number equal to 0 or 1 (0-d arrays too)."""
    raw = value
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value == 1)
    raise ValueError(f"success {short_repr(raw)} is not a bool (True/False, or 0/1)")


def _check_steps(value: Any) -> int:
    """An episode length: an integer >= 1 (not a bool, not a float)."""
    raw = value
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValueError(f"steps {short_repr(raw)} is not an integer")
    if int(value) < 1:
        raise ValueError(f"steps {short_repr(raw)} is not a positive episode length")
    return int(value)


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
    #: The feedback :meth:`update` must receive besides ``(task, score)``: a subset of
    #: :data:`FEEDBACK`. Each is mandatory in :meth:`update` and passed on to ``_update`` as
    #: a keyword argument (``requires = frozenset({"success"})`` means
    #: ``_update(self, task, score, success)``).
    requires: ClassVar[frozenset[str]] = frozenset()
    #: Whether the teacher evaluates the student on arbitrary tasks: the loop then calls
    #: :meth:`set_value_fn` (again after a restore: the function is not part of the state).
    requires_value_fn: ClassVar[bool] = False
    #: Whether the teacher measures the student on fixed pre-test tasks (Meta-ACL's AGAIN):
    #: the curriculum loop then asks :meth:`pretest_due` between steps and, when it is due,
    #: evaluates the policy on :meth:`pretest_tasks` and calls :meth:`set_pretest_results`.
    uses_pretest: ClassVar[bool] = False
    #: Parameters that name a file (AGAIN's ``classroom``): a run records them as absolute
    #: paths, so that it resumes from any working directory.
    path_params: ClassVar[tuple[str, ...]] = ()

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        requires = cls.__dict__.get("requires")
        if requires is not None:
            if not isinstance(requires, frozenset | set | tuple | list) or isinstance(requires, str):
                raise ValueError(f"{cls.__name__}.requires must be a frozenset of {FEEDBACK}, got {requires!r}")
            unknown = sorted(set(requires) - set(FEEDBACK))
            if unknown:
                raise ValueError(f"{cls.__name__}.requires names unknown feedback {unknown}; choose from {FEEDBACK}")
            cls.requires = frozenset(requires)
        if not isinstance(cls.requires_value_fn, bool):
            raise ValueError(f"{cls.__name__}.requires_value_fn must be a bool, got {cls.requires_value_fn!r}")
        if not isinstance(cls.path_params, tuple) or not set(cls.path_params) <= set(cls._param_names()):
            raise ValueError(
                f"{cls.__name__}.path_params must be a tuple of its constructor parameters' names, got {cls.path_params!r}"
            )

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
        self._value_fn: Callable[[np.ndarray], np.ndarray] | None = None

    # ------------------------------------------------------------------ public API
    def sample(self) -> np.ndarray:
        """Propose the task of the next episode, inside :attr:`task_space`."""
        task = self._sample()
        self.n_samples += 1
        return self._finalize_task(task)

    def update(
        self,
        task: Any,
        score: float,
        *,
        success: bool | None = None,
        value: float | None = None,
        steps: int | None = None,
    ) -> None:
        """Learn from one finished episode.

        :param task: the task the episode ran on (as returned by :meth:`sample`, or any point
            of the task space).
        :param score: the episode's score (usually its return). Must be finite.
        :param success: the episode's success label (bool, or 0/1); mandatory when
            ``"success"`` is in :attr:`requires`.
        :param value: the student's value estimate V(s0) of the episode's first observation
            (finite real; raw return units, not normalized by ``reward_range``); mandatory
            when ``"value"`` is in :attr:`requires`.
        :param steps: the episode's length in env steps (integer >= 1); mandatory when
            ``"steps"`` is in :attr:`requires`.
        :raises ValueError: for a task outside the space, of the wrong shape, a non-finite
            score, a bad feedback value (given ones are checked even if not required), or a
            required feedback missing (the message names it). Nothing is recorded then.
        """
        task = self.check_task(task)
        score = self.normalize_score(self.check_score(score))
        feedback = self.check_feedback(success=success, value=value, steps=steps)
        self._update(task, score, **feedback)
        self.n_updates += 1

    def check_feedback(
        self, *, success: Any = None, value: Any = None, steps: Any = None
    ) -> dict[str, Any]:
        """Validate an episode's feedback; return the required part, by name.

        :return: ``{name: validated value}`` for each name of :attr:`requires`, sorted.
        :raises ValueError: naming the feedback that is missing (required but ``None``) or
            bad (``success`` not a bool or 0/1, ``value`` not a finite real, ``steps`` not an
            integer >= 1).
        """
        given = {"success": success, "value": value, "steps": steps}
        checked: dict[str, Any] = {}
        for name, raw in given.items():
            if raw is None:
                continue
            if name == "success":
                checked[name] = _check_success(raw)
            elif name == "value":
                checked[name] = check_real(raw, "value")
            else:
                checked[name] = _check_steps(raw)
        missing = [name for name in sorted(self.requires) if name not in checked]
        if missing:
            raise ValueError(
                f"{type(self).__name__} requires feedback {missing} in update() "
                f"({', '.join(f'{m}=...' for m in missing)}); its loop must provide {sorted(self.requires)}"
            )
        return {name: checked[name] for name in sorted(self.requires)}

    def set_value_fn(self, value_fn: Callable[[np.ndarray], np.ndarray]) -> None:
        """Give the teacher the student's value function over tasks.

        Not part of the state: set it again after :meth:`load_state_dict`. Only teachers
        with :attr:`requires_value_fn` use it; others accept and ignore it.

        :param value_fn: maps an ``(n, d)`` array of raw tasks to ``(n,)`` value estimates
            (V(s0) of each task's first observation, in return units).
        :raises ValueError: if ``value_fn`` is not callable.
        """
        if not callable(value_fn):
            raise ValueError(f"value_fn {short_repr(value_fn)} is not callable")
        self._value_fn = value_fn

    @property
    def has_value_fn(self) -> bool:
        """Whether :meth:`set_value_fn` was called."""
        return self._value_fn is not None

    def task_values(self, tasks: Any) -> np.ndarray:
        """The student's value estimates of ``tasks`` (raw units, shape ``(n, d)``) through
        the function given to :meth:`set_value_fn`.

        :return: an ``(n,)`` float64 array.
        :raises RuntimeError: if no value function was set.
        :raises ValueError: if the function returns the wrong shape or non-finite values.
        """
        if self._value_fn is None:
            raise RuntimeError(
                f"{type(self).__name__} needs the student's value function: call set_value_fn() "
                "(the curriculum loop does so for teachers with requires_value_fn)"
            )
        tasks = np.asarray(tasks, dtype=np.float64)
        tasks = tasks.reshape(len(tasks), -1) if tasks.ndim != 2 else tasks
        values = np.asarray(self._value_fn(tasks), dtype=np.float64)
        if values.shape != (len(tasks),):
            values = values.reshape(-1) if values.size == len(tasks) else values
        if values.shape != (len(tasks),):
            raise ValueError(f"value_fn returned shape {values.shape} for {len(tasks)} tasks; expected ({len(tasks)},)")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"value_fn returned non-finite values {short_repr(values)}")
        return values

    def check_dist(self, dist: Mapping[str, Any] | None, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A validated ``initial_dist`` / ``target_dist`` as ``(mean, std)`` arrays in raw
        units, or ``None``.

        :param dist: ``None`` or ``{"mean": [...], "std": [...]}`` (one entry per task
            dimension; checked by :data:`DIST_CONSTRAINT` already).
        :param name: the parameter's name, for the error message.
        :raises ValueError: if its length is not the task space's dimension.
        """
        if dist is None:
            return None
        mean = np.asarray(dist["mean"], dtype=np.float64)
        std = np.asarray(dist["std"], dtype=np.float64)
        shape = self.task_space.shape
        if mean.shape != shape:
            raise ValueError(
                f"{type(self).__name__}: {name} has {mean.size} dimensions, the task space {shape[0] if shape else 0}"
                f" ({short_repr(dist)})"
            )
        return mean, std

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

    def _update(self, task: Any, score: float, **feedback: Any) -> None:
        """Learn from a validated task and a normalized score (and, as keyword arguments,
        the validated feedback named in :attr:`requires`). Default: nothing."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"
