"""Arms: discrete task sets for bandit teachers, and the base class those teachers share.

A bandit teacher chooses among ``n_arms`` task distributions. :class:`ArmSpace` maps a
task space onto arm indices ``0 .. n_arms - 1``:

- ``Discrete(n, start)``: arm ``i`` is task ``start + i`` (a named distribution, a level,
  a seed);
- ``MultiDiscrete(nvec, start)``: every combination is an arm, flattened in C order
  (``np.ravel_multi_index``);
- ``Box`` with ``bins``: the box is cut into a regular grid of ``bins`` cells per dimension
  (an int, or one int per dimension); each cell is an arm, a sample is uniform inside the
  chosen cell, and any task of the box is attributed to the cell containing it (the upper
  bound belongs to the last cell).

:class:`ArmTeacher` turns a per-arm probability vector into samples and routes every
``update(task, score)`` to the task's arm; subclasses implement
:meth:`ArmTeacher.arm_probabilities` and :meth:`ArmTeacher._update_arm`.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher
from teachers.validation import Integral, Interval, Real, SequenceOf, validate_params

__all__ = [
    "DEFAULT_BINS",
    "ArmSpace",
    "ArmTeacher",
    "POSITIVE",
    "PROBABILITY",
    "SUCCESS_THRESHOLD",
    "sample_index",
    "stable_softmax",
    "to_success",
]

#: Cells per dimension when a ``Box`` is given without ``bins``.
DEFAULT_BINS = 5
#: ``internals()`` lists per-arm probabilities only up to this many arms.
MAX_LOGGED_ARMS = 10_000


#: Constraints shared by the arm teachers' parameters (see :mod:`teachers.validation`).
POSITIVE = [Interval(Real, 0, None, closed="neither")]
PROBABILITY = [Interval(Real, 0, 1)]
SUCCESS_THRESHOLD = [None, Interval(Real, None, None)]
_BINS = [None, Interval(Integral, 1, None), SequenceOf(Interval(Integral, 1, None))]


def stable_softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(x / temperature)``, never NaN for real ``x`` (infinities included).

    The maximum is subtracted *before* dividing by the temperature, so no difference is
    positive: overflow can only give ``-inf``, a weight of 0. Entries equal to ``+inf`` share
    the probability equally (the limit of the softmax); all ``-inf`` gives a uniform vector.
    """
    x = np.asarray(x, dtype=np.float64)
    top = x.max()
    if np.isinf(top):
        hit = x == top
        return hit / hit.sum()
    with np.errstate(over="ignore"):
        z = (x - top) / temperature
    w = np.exp(z)
    return w / w.sum()


def sample_index(p: np.ndarray, rng: np.random.Generator) -> int:
    """Draw an index with probabilities ``p`` (non-negative, positive sum) by inverse CDF."""
    cdf = np.cumsum(p)
    i = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    return min(i, len(p) - 1)


def to_success(score: float, success_threshold: float | None) -> float:
    """A score as a success in ``[0, 1]``: ``score >= threshold`` if one is set, else clipped."""
    if success_threshold is not None:
        return float(score >= success_threshold)
    return float(np.clip(score, 0.0, 1.0))


class ArmSpace:
    """The arms of a task space, and the maps task ↔ arm.

    :param task_space: ``Discrete``, ``MultiDiscrete``, or a 1-D ``Box`` (binned).
    :param bins: ``Box`` only: cells per dimension, an int or one int per dimension
        (default :data:`DEFAULT_BINS`). Must be ``None`` for discrete spaces.
    :param arm_names: optional label per arm (``len == n_arms``); default labels are the
        task (``"3"``, ``"(1, 2)"``) or the cell bounds (``"[0, 0.2]x[1, 1.5]"``).
    :raises ValueError: for an unsupported space, bad ``bins`` or ``arm_names``.
    """

    def __init__(
        self,
        task_space: spaces.Space,
        bins: int | Sequence[int] | None = None,
        arm_names: Sequence[str] | None = None,
    ) -> None:
        self.space = task_space
        if isinstance(task_space, spaces.Discrete):
            if bins is not None:
                raise ValueError(f"bins={bins!r} applies to Box task spaces only, not {task_space}")
            self.shape: tuple[int, ...] = (int(task_space.n),)
            self.start = np.array([int(task_space.start)], dtype=np.int64)
        elif isinstance(task_space, spaces.MultiDiscrete):
            if bins is not None:
                raise ValueError(f"bins={bins!r} applies to Box task spaces only, not {task_space}")
            self.shape = tuple(int(v) for v in np.asarray(task_space.nvec).ravel())
            self.start = np.asarray(task_space.start, dtype=np.int64).ravel()
        elif isinstance(task_space, spaces.Box):
            dim = int(task_space.shape[0])
            if bins is None:
                bins = DEFAULT_BINS
            validate_params({"bins": bins}, {"bins": _BINS}, "ArmSpace")
            if isinstance(bins, numbers.Integral):
                per_dim = [int(bins)] * dim
            else:
                per_dim = [int(b) for b in bins]
                if len(per_dim) != dim:
                    raise ValueError(f"bins {list(bins)!r} has {len(per_dim)} entries for a {dim}-D Box")
            self.shape = tuple(per_dim)
            self.low = np.asarray(task_space.low, dtype=np.float64)
            self.high = np.asarray(task_space.high, dtype=np.float64)
            self.width = (self.high - self.low) / np.asarray(per_dim, dtype=np.float64)
        else:
            raise ValueError(f"arms need a Discrete, MultiDiscrete or Box task space, got {task_space!r}")
        self.n_arms = int(np.prod(self.shape, dtype=np.int64))
        # C-order strides of the flattened arm index (what np.ravel_multi_index computes).
        self._strides = np.array(
            [int(np.prod(self.shape[i + 1 :], dtype=np.int64)) for i in range(len(self.shape))], dtype=np.int64
        )
        self._last = np.asarray(self.shape, dtype=np.int64) - 1
        if arm_names is not None:
            names = [str(n) for n in arm_names]
            if len(names) != self.n_arms:
                raise ValueError(f"arm_names has {len(names)} labels for {self.n_arms} arms")
            self.arm_names: list[str] | None = names
        else:
            self.arm_names = None

    def arm_of(self, task: Any) -> int:
        """Arm index of a valid task of the space (a ``Box`` task: the cell containing it)."""
        space = self.space
        if isinstance(space, spaces.Discrete):
            return int(np.asarray(task).reshape(())) - int(self.start[0])
        if isinstance(space, spaces.MultiDiscrete):
            idx = np.asarray(task, dtype=np.int64).ravel() - self.start
            return int(np.ravel_multi_index(tuple(idx), self.shape))
        u = (np.asarray(task, dtype=np.float64) - self.low) / self.width
        idx = np.minimum(np.maximum(np.floor(u).astype(np.int64), 0), self._last)
        return int(idx @ self._strides)

    def task_of(self, arm: int, rng: np.random.Generator | None = None) -> Any:
        """The task of ``arm``; for a ``Box`` a uniform point of its cell (the centre if no ``rng``)."""
        if not 0 <= arm < self.n_arms:
            raise ValueError(f"arm {arm!r} is outside 0..{self.n_arms - 1}")
        space = self.space
        if isinstance(space, spaces.Discrete):
            return np.int64(self.start[0] + arm)
        idx = np.asarray(np.unravel_index(arm, self.shape), dtype=np.int64)
        if isinstance(space, spaces.MultiDiscrete):
            return (idx + self.start).reshape(np.asarray(space.nvec).shape)
        offset = 0.5 if rng is None else rng.random(len(self.shape))
        return self.low + (idx + offset) * self.width

    def label(self, arm: int) -> str:
        """Human-readable label of ``arm`` (its ``arm_names`` entry if given)."""
        if self.arm_names is not None:
            return self.arm_names[arm]
        if isinstance(self.space, spaces.Discrete):
            return str(int(self.start[0]) + arm)
        idx = np.unravel_index(arm, self.shape)
        if isinstance(self.space, spaces.MultiDiscrete):
            return str(tuple(int(i + s) for i, s in zip(idx, self.start, strict=True)))
        lo = self.low + np.asarray(idx) * self.width
        return "x".join(f"[{a:.4g}, {a + w:.4g}]" for a, w in zip(lo, self.width, strict=True))

    def labels(self) -> list[str]:
        """Labels of all arms (use :meth:`label` for huge arm sets)."""
        return [self.label(i) for i in range(self.n_arms)]


class ArmTeacher(Teacher):
    """Base class of teachers that choose among the arms of an :class:`ArmSpace`.

    Sampling draws an arm from :meth:`arm_probabilities` with the teacher's RNG, then the
    arm's task (uniform inside the cell for a binned ``Box``). ``update(task, score)``
    validates the task, maps it to its arm and calls :meth:`_update_arm` with the
    (``reward_range``-normalized) score.

    :param task_space: ``Discrete``, ``MultiDiscrete``, or a 1-D ``Box`` cut into ``bins``.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]``.
    :param bins: ``Box`` only: cells per dimension (int or one per dimension; default 5).
    :param arm_names: optional labels, one per arm, reported by :meth:`internals`.
    """

    supported_spaces = (spaces.Discrete, spaces.MultiDiscrete, spaces.Box)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "bins": _BINS,
        "arm_names": [None, SequenceOf(str)],
    }

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        bins: int | Sequence[int] | None = None,
        arm_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.bins = bins if bins is None or isinstance(bins, numbers.Integral) else list(bins)
        self.arm_names = None if arm_names is None else list(arm_names)
        self.arms = ArmSpace(task_space, bins=bins, arm_names=arm_names)
        self.n_arms = self.arms.n_arms

    @abc.abstractmethod
    def arm_probabilities(self) -> np.ndarray:
        """Current sampling probability of every arm (shape ``(n_arms,)``, sums to 1)."""

    @abc.abstractmethod
    def _update_arm(self, arm: int, score: float) -> None:
        """Learn from one episode on ``arm`` with a normalized ``score``."""

    def _sample(self) -> Any:
        arm = sample_index(self.arm_probabilities(), self.rng)
        return self.arms.task_of(arm, self.rng)

    def _update(self, task: Any, score: float) -> None:
        self._update_arm(self.arms.arm_of(task), score)

    def non_exploratory_sample(self) -> Any:
        """The task of the most probable arm (the centre of its cell for a ``Box``)."""
        return self._finalize_task(self.arms.task_of(int(np.argmax(self.arm_probabilities()))))

    def internals(self) -> dict[str, Any]:
        """``{"probabilities": [...], "arms": [labels]}`` (omitted above 10 000 arms)."""
        if self.n_arms > MAX_LOGGED_ARMS:
            return {"n_arms": self.n_arms}
        return {
            "probabilities": [float(p) for p in self.arm_probabilities()],
            "arms": self.arms.labels(),
        }
