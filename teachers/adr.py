"""ADR: Automatic Domain Randomization (OpenAI et al. 2019), as in TeachMyAgent.

The teacher samples uniformly in a box that starts as a single point and grows (or shrinks)
one bound at a time. With probability ``boundary_sampling_p`` one random dimension of the
sampled task is pinned to its current low or high bound (bounds already at the task space's
limit are skipped: they cannot grow). Every bound has a queue of the last ``queue_len`` scores
of tasks lying on it; when a queue is full its mean decides: ``≥ max_reward_thr`` widens that
bound by ``step_size``, ``≤ min_reward_thr`` shrinks it (never past the opposite bound), and
the queue is cleared either way. As in the reference, a bound at the space's limit is never
pinned, so it only moves again if uniform samples happen to land on it (practically never).

Differences from TeachMyAgent, on purpose: the step size is a fraction of each dimension's
range (unit coordinates), not raw units; the start point defaults to the centre of the space
(TeachMyAgent draws a random point without an initial distribution); bound membership of a
task is tested with a float32-rounding tolerance, since tasks come back as the space's dtype.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher
from teachers.registry import register
from teachers.state import Array, Int, StateField
from teachers.validation import Integral, Interval, Real, SequenceOf

__all__ = ["ADRTeacher"]


@register("adr")
class ADRTeacher(Teacher):
    """ADR (OpenAI et al. 2019): a box of tasks grown where the student succeeds.

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` score normalization; the thresholds are then
        in normalized ``[0, 1]`` units, otherwise in raw score units.
    :param max_reward_thr: a bound's mean score at or above this widens it. Required.
    :param min_reward_thr: a bound's mean score at or below this shrinks it. Required, and
        ``<= max_reward_thr``.
    :param initial_task: raw start point of the box; ``None`` means the centre of the space.
        Put it on a task the student can already do (ADR needs one).
    :param boundary_sampling_p: probability of pinning one dimension to a bound (0.5).
    :param queue_len: scores per bound before it is reconsidered (10).
    :param step_size: widening/shrinking step as a fraction of the dimension's range (0.05).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_reward_thr": [Interval(Real, None, None)],
        "min_reward_thr": [Interval(Real, None, None)],
        "initial_task": [None, SequenceOf(Interval(Real, None, None))],
        "boundary_sampling_p": [Interval(Real, 0, 1)],
        "queue_len": [Interval(Integral, 1, None)],
        "step_size": [Interval(Real, 0, 1, closed="right")],
    }
    state_version: ClassVar[int] = 2
    _state_fields: ClassVar[dict[str, StateField]] = {
        "box_low": Array("f", ("unit.dim",)),  # current box, unit coordinates
        "box_high": Array("f", ("unit.dim",)),
        "_queues": Array("f", ("unit.dim", 2, "queue_len")),  # scores per (dimension, side)
        "_queue_fill": Array("i", ("unit.dim", 2), low=0),
        "n_bound_changes": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Box,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        max_reward_thr: float | None = None,
        min_reward_thr: float | None = None,
        initial_task: Any = None,
        boundary_sampling_p: float = 0.5,
        queue_len: int = 10,
        step_size: float = 0.05,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        max_thr, min_thr = float(max_reward_thr), float(min_reward_thr)
        if min_thr > max_thr:
            raise ValueError(
                f"ADRTeacher: min_reward_thr must be <= max_reward_thr, got min_reward_thr={min_reward_thr!r} "
                f"> max_reward_thr={max_reward_thr!r}"
            )
        self.max_reward_thr = max_thr
        self.min_reward_thr = min_thr
        self.initial_task = None if initial_task is None else np.asarray(initial_task, dtype=np.float64).tolist()
        self.boundary_sampling_p = float(boundary_sampling_p)
        self.queue_len = int(queue_len)
        self.step_size = float(step_size)

        d = self.unit.dim
        if initial_task is None:
            start = np.full(d, 0.5)
        else:
            try:
                start = self.unit.to_unit(self.check_task(initial_task))
            except ValueError as err:
                raise ValueError(f"initial_task: {err}") from err
        self.box_low = start.copy()  # current box, unit coordinates
        self.box_high = start.copy()
        # Queues of scores, one per (dimension, side): side 0 = low bound, 1 = high bound.
        self._queues = np.zeros((d, 2, self.queue_len))
        self._queue_fill = np.zeros((d, 2), dtype=np.int64)
        # Half a float32 ulp of the raw bounds, in unit coordinates: tasks come back as float32.
        raw_mag = np.maximum(np.abs(self.unit.low), np.abs(self.unit.high))
        self._tol = 2.0 * np.spacing(raw_mag.astype(np.float32)).astype(np.float64) / self.unit.range + 1e-12
        self.n_bound_changes = 0

    def _sample(self) -> np.ndarray:
        u = self.rng.uniform(self.box_low, self.box_high)
        if self.rng.random() < self.boundary_sampling_p:
            dim = int(self.rng.integers(self.unit.dim))
            open_sides = [s for s, at_limit in ((0, self.box_low[dim] <= 0.0), (1, self.box_high[dim] >= 1.0)) if not at_limit]
            if open_sides:
                side = open_sides[int(self.rng.integers(len(open_sides)))]
                u[dim] = self.box_low[dim] if side == 0 else self.box_high[dim]
        return self.unit.from_unit(u)

    def _update(self, task: np.ndarray, score: float) -> None:
        u = self.unit.to_unit(task)
        for dim in range(self.unit.dim):
            for side, bound in ((0, self.box_low[dim]), (1, self.box_high[dim])):
                if abs(u[dim] - bound) > self._tol[dim]:
                    continue
                fill = self._queue_fill[dim, side]
                self._queues[dim, side, fill] = score
                self._queue_fill[dim, side] = fill = fill + 1
                if fill < self.queue_len:
                    continue
                # Mean of rescaled scores: finite for any finite scores.
                q = self._queues[dim, side]
                scale = float(np.max(np.abs(q))) or 1.0
                mean = float(np.mean(q / scale)) * scale
                self._queue_fill[dim, side] = 0
                if mean >= self.max_reward_thr:
                    self._move(dim, side, widen=True)
                elif mean <= self.min_reward_thr:
                    self._move(dim, side, widen=False)

    def _move(self, dim: int, side: int, widen: bool) -> None:
        before = (self.box_low[dim], self.box_high[dim])
        step = self.step_size
        if side == 0:
            self.box_low[dim] = max(self.box_low[dim] - step, 0.0) if widen else min(self.box_low[dim] + step, self.box_high[dim])
        else:
            self.box_high[dim] = min(self.box_high[dim] + step, 1.0) if widen else max(self.box_high[dim] - step, self.box_low[dim])
        if (self.box_low[dim], self.box_high[dim]) != before:
            self.n_bound_changes += 1

    def non_exploratory_sample(self) -> np.ndarray:
        """A task uniform in the current box (no boundary pinning)."""
        return self._finalize_task(self.unit.from_unit(self.rng.uniform(self.box_low, self.box_high)))

    def internals(self) -> dict[str, Any]:
        """``{"bounds": {"low", "high"}}``: the current box in raw task units."""
        return {"bounds": {"low": self.unit.from_unit(self.box_low).tolist(), "high": self.unit.from_unit(self.box_high).tolist()}}
