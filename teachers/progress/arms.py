"""Per-arm learning-progress trackers for bandit teachers over discrete task sets.

- :class:`ArmWindowTracker`: per arm, the mean of its last ``window`` values and its
  cumulative count (DUMP's learnability estimate, arXiv 2504.09710).
- :class:`ArmEMATracker`: per arm, a fast and a slow exponential moving average, the slow
  one tracking the fast one (the learning-progress curriculum of Kanitscheider et al. 2021,
  as implemented in Syllabus' ``LearningProgress``).

Both are plain numpy, deterministic (no RNG at all), and round-trip through
``state_dict()`` / ``load_state_dict()``.
"""

from __future__ import annotations

import copy
import numbers
from typing import Any

import numpy as np

__all__ = ["ArmEMATracker", "ArmWindowTracker"]


def _check_n_arms(n_arms: Any) -> int:
    if not isinstance(n_arms, numbers.Integral) or isinstance(n_arms, bool) or n_arms < 1:
        raise ValueError(f"n_arms must be a positive integer, got {n_arms!r}")
    return int(n_arms)


def _check_arm(arm: Any, n_arms: int) -> int:
    if not isinstance(arm, numbers.Integral) or isinstance(arm, bool) or not 0 <= arm < n_arms:
        raise ValueError(f"arm {arm!r} is outside 0..{n_arms - 1}")
    return int(arm)


def _check_value(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"value {value!r} is not a real number") from err
    if not np.isfinite(v):
        raise ValueError(f"value {value!r} is not finite")
    return v


def _check_alpha(alpha: Any, what: str) -> float:
    if not isinstance(alpha, numbers.Real) or not 0.0 < float(alpha) <= 1.0:
        raise ValueError(f"{what} must be in (0, 1], got {alpha!r}")
    return float(alpha)


class _StateMixin:
    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the tracker's state (picklable)."""
        return {"tracker": type(self).__name__, "attributes": copy.deepcopy(self.__dict__)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` of the same tracker class.

        :raises ValueError: for a state of another tracker.
        """
        if not isinstance(state, dict) or state.get("tracker") != type(self).__name__:
            raise ValueError(f"not a {type(self).__name__} state: {state.get('tracker') if isinstance(state, dict) else state!r}")
        self.__dict__.update(copy.deepcopy(state["attributes"]))


class ArmWindowTracker(_StateMixin):
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

    def __init__(self, n_arms: int, window: int = 300, empty_value: float = 0.0) -> None:
        self.n_arms = _check_n_arms(n_arms)
        if not isinstance(window, numbers.Integral) or isinstance(window, bool) or window < 1:
            raise ValueError(f"window must be a positive integer, got {window!r}")
        self.window = int(window)
        self.empty_value = _check_value(empty_value)
        self._buffer = np.zeros((self.n_arms, self.window), dtype=np.float64)
        self._sums = np.zeros(self.n_arms, dtype=np.float64)
        #: Cumulative number of values seen per arm (not capped by the window).
        self.counts = np.zeros(self.n_arms, dtype=np.int64)

    def update(self, arm: int, value: float) -> None:
        """Add ``value`` to ``arm``'s window, dropping its oldest value when full."""
        arm = _check_arm(arm, self.n_arms)
        value = _check_value(value)
        self._buffer[arm, self.counts[arm] % self.window] = value
        self.counts[arm] += 1
        filled = min(int(self.counts[arm]), self.window)
        # Re-summed (O(window)) rather than incremented, so no rounding drift accumulates.
        self._sums[arm] = self._buffer[arm, :filled].sum()

    def window_counts(self) -> np.ndarray:
        """Number of values currently in each arm's window."""
        return np.minimum(self.counts, self.window)

    def means(self) -> np.ndarray:
        """Mean over each arm's window (``empty_value`` for arms never updated)."""
        n = self.window_counts()
        out = np.full(self.n_arms, self.empty_value, dtype=np.float64)
        seen = n > 0
        out[seen] = self._sums[seen] / n[seen]
        return out

    def values(self, arm: int) -> np.ndarray:
        """The values in ``arm``'s window, oldest first."""
        arm = _check_arm(arm, self.n_arms)
        c = int(self.counts[arm])
        if c <= self.window:
            return self._buffer[arm, :c].copy()
        return np.roll(self._buffer[arm], -(c % self.window))


class ArmEMATracker(_StateMixin):
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

    def __init__(self, n_arms: int, fast_alpha: float = 0.1, slow_alpha: float = 0.1) -> None:
        self.n_arms = _check_n_arms(n_arms)
        self.fast_alpha = _check_alpha(fast_alpha, "fast_alpha")
        self.slow_alpha = _check_alpha(slow_alpha, "slow_alpha")
        self.fast = np.zeros(self.n_arms, dtype=np.float64)
        self.slow = np.zeros(self.n_arms, dtype=np.float64)
        self.counts = np.zeros(self.n_arms, dtype=np.int64)

    def update(self, arm: int, value: float) -> None:
        """Move ``arm``'s averages towards ``value``."""
        arm = _check_arm(arm, self.n_arms)
        value = _check_value(value)
        if self.counts[arm] == 0:
            self.fast[arm] = self.slow[arm] = value
        else:
            self.fast[arm] = self.fast_alpha * value + (1.0 - self.fast_alpha) * self.fast[arm]
            self.slow[arm] = self.slow_alpha * self.fast[arm] + (1.0 - self.slow_alpha) * self.slow[arm]
        self.counts[arm] += 1

    def progress(self) -> np.ndarray:
        """``|fast − slow|`` per arm (0 for arms never updated)."""
        return np.abs(self.fast - self.slow)
