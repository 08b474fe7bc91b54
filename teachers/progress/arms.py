"""Per-arm learning-progress trackers for bandit teachers over discrete task sets.

- :class:`ArmWindowTracker`: per arm, the mean of its last ``window`` values and its
  cumulative count (DUMP's learnability estimate, arXiv 2504.09710).
- :class:`ArmEMATracker`: per arm, a fast and a slow exponential moving average, the slow
  one tracking the fast one (the learning-progress curriculum of Kanitscheider et al. 2021,
  as implemented in Syllabus' ``LearningProgress``).

Both are plain numpy, deterministic (no RNG at all), finite for any finite values, validate
their parameters declaratively (``_parameter_constraints``) and have an explicit, checked
state (``_state_fields``, see :mod:`teachers.state`).
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from teachers.state import Array, StateField, Stateful
from teachers.validation import Integral, Interval, ParamValidated, Real, check_real, short_repr

__all__ = ["ArmEMATracker", "ArmWindowTracker", "finite_mean", "mix"]


def finite_mean(values: np.ndarray) -> float:
    """Mean of finite ``values``, finite even where their sum overflows (then the mean of
    the values divided by their largest magnitude is scaled back)."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(values.sum()) / values.shape[0]
    if np.isfinite(mean):
        return mean
    scale = float(np.abs(values).max())
    return float((values / scale).mean()) * scale


def mix(old: float, new: float, alpha: float) -> float:
    """``alpha * new + (1 - alpha) * old``: a convex combination, so kept within
    ``[min(old, new), max(old, new)]`` (rounding near the float limit cannot overflow it)."""
    with np.errstate(over="ignore"):
        value = alpha * new + (1.0 - alpha) * old
    return min(max(value, min(old, new)), max(old, new))


def _check_arm(arm: Any, n_arms: int) -> int:
    if not isinstance(arm, numbers.Integral) or isinstance(arm, bool) or not 0 <= arm < n_arms:
        raise ValueError(f"arm {short_repr(arm)} is outside 0..{n_arms - 1}")
    return int(arm)


class _ArmTracker(ParamValidated, Stateful):
    _state_kind = "tracker"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"n_arms": [Interval(Integral, 1, None)]}


class ArmWindowTracker(_ArmTracker):
    """Sliding-window mean of the last ``window`` values of every arm, with counts.

    >>> t = ArmWindowTracker(n_arms=2, window=2)
    >>> for v in (1.0, 2.0, 4.0):
    ...     t.update(0, v)
    >>> t.means().tolist(), t.counts.tolist()
    ([3.0, 0.0], [3, 0])

    :param n_arms: number of arms.
    :param window: values kept per arm (DUMP: 300).
    :param empty_value: mean reported for an arm without values.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "window": [Interval(Integral, 1, None)],
        "empty_value": [Interval(Real, None, None)],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "_buffer": Array("f", ("n_arms", "window")),
        "_means": Array("f", ("n_arms",)),
        "counts": Array("i", ("n_arms",), low=0),
    }

    def __init__(self, n_arms: int, window: int = 300, empty_value: float = 0.0) -> None:
        self.n_arms = int(n_arms)
        self.window = int(window)
        self.empty_value = float(empty_value)
        self._buffer = np.zeros((self.n_arms, self.window), dtype=np.float64)
        self._means = np.zeros(self.n_arms, dtype=np.float64)  # mean of each arm's window
        #: Cumulative number of values seen per arm (not capped by the window).
        self.counts = np.zeros(self.n_arms, dtype=np.int64)

    def update(self, arm: int, value: float) -> None:
        """Add ``value`` to ``arm``'s window, dropping its oldest value when full."""
        arm = _check_arm(arm, self.n_arms)
        value = check_real(value, "value")
        self._buffer[arm, self.counts[arm] % self.window] = value
        self.counts[arm] += 1
        filled = min(int(self.counts[arm]), self.window)
        # Re-averaged (O(window)) rather than incremented, so no rounding drift accumulates;
        # finite for any finite values.
        self._means[arm] = finite_mean(self._buffer[arm, :filled])

    def window_counts(self) -> np.ndarray:
        """Number of values currently in each arm's window."""
        return np.minimum(self.counts, self.window)

    def means(self) -> np.ndarray:
        """Mean over each arm's window (``empty_value`` for arms never updated)."""
        return np.where(self.counts > 0, self._means, self.empty_value)

    def values(self, arm: int) -> np.ndarray:
        """The values in ``arm``'s window, oldest first."""
        arm = _check_arm(arm, self.n_arms)
        c = int(self.counts[arm])
        if c <= self.window:
            return self._buffer[arm, :c].copy()
        return np.roll(self._buffer[arm], -(c % self.window))


class ArmEMATracker(_ArmTracker):
    """Fast and slow exponential moving averages per arm.

    On each value ``x`` of an arm: ``fast ← a_f·x + (1 − a_f)·fast`` then
    ``slow ← a_s·fast + (1 − a_s)·slow`` (the slow average smooths the fast one, as in
    Syllabus' ``LearningProgress``). The first value of an arm initializes both to ``x``,
    so an arm's progress starts at 0.

    >>> t = ArmEMATracker(n_arms=1, fast_alpha=0.5, slow_alpha=0.5)
    >>> t.update(0, 0.0); t.update(0, 1.0)
    >>> t.fast.tolist(), t.slow.tolist()
    ([0.5], [0.25])

    :param n_arms: number of arms.
    :param fast_alpha: step size of the fast average (Syllabus' ``ema_alpha``: 0.1).
    :param slow_alpha: step size of the slow average (default 0.1: it averages the fast one).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "fast_alpha": [Interval(Real, 0, 1, closed="right")],
        "slow_alpha": [Interval(Real, 0, 1, closed="right")],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "fast": Array("f", ("n_arms",)),
        "slow": Array("f", ("n_arms",)),
        "counts": Array("i", ("n_arms",), low=0),
    }

    def __init__(self, n_arms: int, fast_alpha: float = 0.1, slow_alpha: float = 0.1) -> None:
        self.n_arms = int(n_arms)
        self.fast_alpha = float(fast_alpha)
        self.slow_alpha = float(slow_alpha)
        self.fast = np.zeros(self.n_arms, dtype=np.float64)
        self.slow = np.zeros(self.n_arms, dtype=np.float64)
        self.counts = np.zeros(self.n_arms, dtype=np.int64)

    def update(self, arm: int, value: float) -> None:
        """Move ``arm``'s averages towards ``value``."""
        arm = _check_arm(arm, self.n_arms)
        value = check_real(value, "value")
        if self.counts[arm] == 0:
            self.fast[arm] = self.slow[arm] = value
        else:
            self.fast[arm] = mix(float(self.fast[arm]), value, self.fast_alpha)
            self.slow[arm] = mix(float(self.slow[arm]), float(self.fast[arm]), self.slow_alpha)
        self.counts[arm] += 1

    def progress(self) -> np.ndarray:
        """``|fast − slow|`` per arm (0 for arms never updated)."""
        return np.abs(self.fast - self.slow)
