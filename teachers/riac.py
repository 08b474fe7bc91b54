"""RIAC: Robust Intelligent Adaptive Curiosity (Baranes & Oudeyer 2009), as in teachDeepRL.

The task space is split recursively into regions (a binary tree over the unit cube). Every
region keeps the last ``max_region_size + 1`` (task, score) pairs that fell inside it, and its
absolute learning progress (ALP): the absolute difference between the mean of the older half
and the mean of the newer half of its last ``alp_window`` scores. When a leaf overflows, random
axis-aligned cuts are tried and the one that best separates a high-progress from a
low-progress child becomes a split; tasks are then sampled where progress is.

Differences from the reference implementations (teachDeepRL / TeachMyAgent), on purpose:

- **Split score weighted by the children's sizes.** The reference multiplies ``|ΔALP|`` by
  ``len()`` of each child's 2-element (scores, tasks) list, a constant 4, so sizes never
  matter and a tiny child whose ALP is pure noise easily wins. Here the score is
  ``|ALP_left − ALP_right| · sqrt(n_left · n_right) / n``: a child's ALP estimate has noise
  of order ``1 / sqrt(n_child)``, so the weight puts chance differences from lopsided cuts on
  the same footing as real differences from balanced ones, and prefers balanced cuts at
  equal ``|ΔALP|``.
- Unit coordinates: the mutation noise (std 0.1) and the minimum width are fractions of each
  dimension's range, not raw units.
- Each of the ``nb_split_attempts`` attempts draws one cut whose children both satisfy the
  minimum width; a cut leaving a child with fewer than ``min_region_size`` points is simply
  invalid (the reference loops until it finds one, forever when all points coincide).
- Numerically safe for any finite scores (means are computed on rescaled values).

Sampling (each episode): with probability ``1 − random_task_ratio − worst_task_ratio`` (70 %)
a region is chosen ∝ its ALP (uniformly if all are 0) and the task drawn uniformly inside it;
with ``random_task_ratio`` (20 %) uniformly over the whole space; with ``worst_task_ratio``
(10 %) the lowest-scoring stored task of an ALP-chosen region plus Gaussian noise (std
``worst_task_noise`` in unit coordinates), clipped into that region. Regions are all tree
nodes, parents included, as in the reference, unless ``sampling_in_leaves_only``.

Cost per episode: the task is appended to the nodes on its root-to-leaf path (tree depth is
bounded: each leaf is at least ``min_dims_range_ratio`` wide in every dimension) and their ALP
recomputed over ``alp_window`` scores; a split costs ``nb_split_attempts`` vectorized passes
over one region's ``max_region_size`` points and happens at most once per
``max_region_size · discard_ratio`` episodes in a leaf. Memory: like the reference, every
node (parents included) keeps its last ``max_region_size + 1`` pairs, about
``8 · (d + 2) · 1.13 · (max_region_size + 1)`` bytes per node; in 2-D the minimum width caps
the tree at a few hundred nodes, in higher dimensions it grows by about one split per
``max_region_size / 2`` episodes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher
from teachers.registry import register
from teachers.state import Array, Float, Int, ListOf, Optional, Record, StateField, TupleOf, Via
from teachers.validation import Boolean, Integral, Interval, Real

__all__ = ["RIACTeacher"]

_BIG = np.finfo(np.float64).max


def _alp(scores: np.ndarray, window: int) -> float:
    """|mean(older half) − mean(newer half)| of the last ``window`` scores (0 for ≤ 2 scores)."""
    n = scores.shape[0]
    if n <= 2:
        return 0.0
    w = min(n, window)
    half = w // 2
    older = scores[n - w:n - half]
    newer = scores[n - half:]
    with np.errstate(over="ignore", invalid="ignore"):
        diff = abs(older.sum() / (w - half) - newer.sum() / half)
    if diff < _BIG:  # also False for inf / nan
        return float(diff)
    # Sums overflowed (scores near the float64 limit): average rescaled values instead.
    scale = float(np.abs(scores[n - w:]).max())
    diff = abs(float((older / scale).mean()) - float((newer / scale).mean())) * scale
    return float(min(diff, _BIG))


class _Region:
    """One node of the region tree: unit-cube bounds and the last ``capacity`` (task, score)s.

    Prefix sums of the scores make a region's ALP O(1) after each append; they are rebuilt
    whenever the buffer is compacted (every ``capacity // 8 + 8`` appends or so), so rounding
    error stays relative to the scores recently held, and the exact computation takes over if
    they overflow.
    """

    def __init__(self, low: np.ndarray, high: np.ndarray, capacity: int, dim: int) -> None:
        self.low = low
        self.high = high
        self.capacity = capacity
        # Buffers with some slack, compacted when full: amortized O(1) appends in time order.
        size = self.buffer_size(capacity)
        self._tasks = np.zeros((size, dim))
        self._scores = np.zeros(size)
        self._csum = np.zeros(size + 1)  # _csum[i] = sum of _scores[:i]
        self._start = 0
        self._end = 0
        self.alp = 0.0
        self.split: tuple[int, float] | None = None  # (dimension, threshold) once split
        self.children: tuple[int, int] | None = None

    def __len__(self) -> int:
        return self._end - self._start

    @staticmethod
    def buffer_size(capacity: int) -> int:
        """Rows of the buffers of a region holding ``capacity`` pairs."""
        return capacity + capacity // 8 + 8

    def to_state(self) -> dict[str, Any]:
        """Everything of the region, buffers (and prefix sums) included: a deep copy."""
        return {
            "low": self.low.copy(), "high": self.high.copy(), "tasks": self._tasks.copy(),
            "scores": self._scores.copy(), "csum": self._csum.copy(), "start": self._start, "end": self._end,
            "alp": self.alp, "split": self.split, "children": self.children,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], capacity: int) -> _Region:
        """The region of a checked :meth:`to_state` dict (its arrays are taken over)."""
        region = cls(state["low"], state["high"], capacity, state["tasks"].shape[1])
        region._tasks, region._scores, region._csum = state["tasks"], state["scores"], state["csum"]
        region._start, region._end, region.alp = state["start"], state["end"], state["alp"]
        region.split = None if state["split"] is None else (state["split"][0], state["split"][1])
        region.children = None if state["children"] is None else (state["children"][0], state["children"][1])
        return region

    @property
    def tasks(self) -> np.ndarray:
        return self._tasks[self._start:self._end]

    @property
    def scores(self) -> np.ndarray:
        return self._scores[self._start:self._end]

    def add(self, task: np.ndarray, score: float) -> None:
        end = self._end
        if end == self._scores.shape[0]:
            keep = min(end - self._start, self.capacity - 1)
            self.set_points(self._tasks[end - keep:end], self._scores[end - keep:end])
            end = self._end
        self._tasks[end] = task
        self._scores[end] = score
        self._csum[end + 1] = float(self._csum[end]) + score  # Python floats: inf, no warning
        self._end = end + 1
        if self._end - self._start > self.capacity:
            self._start += 1

    def set_points(self, tasks: np.ndarray, scores: np.ndarray) -> None:
        n = min(len(scores), self.capacity)
        self._tasks[:n] = tasks[len(scores) - n:]
        self._scores[:n] = scores[len(scores) - n:]
        self._start, self._end = 0, n
        with np.errstate(over="ignore", invalid="ignore"):
            np.cumsum(self._scores[:n], out=self._csum[1:n + 1])

    def compute_alp(self, window: int) -> float:
        """This region's ALP (see :func:`_alp`), from the prefix sums when they are finite."""
        n = self._end - self._start
        if n <= 2:
            return 0.0
        w = min(n, window)
        half = w // 2
        end, c = self._end, self._csum
        mid = float(c[end - half])
        diff = abs((mid - float(c[end - w])) / (w - half) - (float(c[end]) - mid) / half)
        if diff < _BIG:  # also False for inf / nan
            return diff
        return _alp(self.scores, window)


@register("riac")
class RIACTeacher(Teacher):
    """RIAC (Baranes & Oudeyer 2009) with teachDeepRL's robustness tricks.

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` score normalization (see :class:`Teacher`).
    :param max_region_size: (task, score) pairs a region holds; a leaf holding one more
        splits (teachDeepRL: 200).
    :param alp_window: scores used for a region's ALP, split in an older and a newer half
        (teachDeepRL: 200, i.e. ``max_region_size``).
    :param nb_split_attempts: random cuts tried when a leaf overflows (50).
    :param min_region_size: minimum points in each child of a split; ``None`` means
        ``max_region_size // 20`` (10), as in the reference.
    :param min_dims_range_ratio: minimum width of a child in every dimension, as a fraction of
        the dimension's range (teachDeepRL: 1/15; TeachMyAgent: 1/6).
    :param discard_ratio: fraction of the oldest points dropped from an overflowing leaf when
        no cut is valid (1/4).
    :param random_task_ratio: probability of a uniform task over the whole space (0.2).
    :param worst_task_ratio: probability of mutating the worst task of an ALP-chosen region
        (0.1).
    :param worst_task_noise: std of that mutation, in unit coordinates (0.1).
    :param sampling_in_leaves_only: choose among leaves only instead of all nodes (False, as
        in the reference).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_region_size": [Interval(Integral, 2, None)],
        "alp_window": [Interval(Integral, 2, None)],
        "nb_split_attempts": [Interval(Integral, 1, None)],
        "min_region_size": [None, Interval(Integral, 0, None)],
        "min_dims_range_ratio": [Interval(Real, 0, 0.5, closed="left")],
        "discard_ratio": [Interval(Real, 0, 1, closed="neither")],
        "random_task_ratio": [Interval(Real, 0, 1)],
        "worst_task_ratio": [Interval(Real, 0, 1)],
        "worst_task_noise": [Interval(Real, 0, None)],
        "sampling_in_leaves_only": [Boolean()],
    }
    state_version: ClassVar[int] = 2
    _state_fields: ClassVar[dict[str, StateField]] = {
        # Every node of the region tree, in creation order (children after their parent).
        "regions": Via(
            ListOf(Record({
                "low": Array("f", ("unit.dim",)),
                "high": Array("f", ("unit.dim",)),
                "tasks": Array("f", (lambda t: _Region.buffer_size(t.max_region_size + 1), "unit.dim")),
                "scores": Array("f", (lambda t: _Region.buffer_size(t.max_region_size + 1),)),
                "csum": Array("f", (lambda t: _Region.buffer_size(t.max_region_size + 1) + 1,)),
                "start": Int(low=0),
                "end": Int(low=0, high=lambda t: _Region.buffer_size(t.max_region_size + 1)),
                "alp": Float(),
                "split": Optional(TupleOf(Int(low=0, below="unit.dim"), Float())),
                "children": Optional(TupleOf(Int(low=1), Int(low=1))),
            })),
            to_state=lambda regions: [r.to_state() for r in regions],
            from_state=lambda t, stored: [_Region.from_state(r, t.max_region_size + 1) for r in stored],
        ),
        "n_splits": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Box,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        max_region_size: int = 200,
        alp_window: int = 200,
        nb_split_attempts: int = 50,
        min_region_size: int | None = None,
        min_dims_range_ratio: float = 1 / 15,
        discard_ratio: float = 0.25,
        random_task_ratio: float = 0.2,
        worst_task_ratio: float = 0.1,
        worst_task_noise: float = 0.1,
        sampling_in_leaves_only: bool = False,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        if min_region_size is not None and min_region_size > max_region_size // 2:
            raise ValueError(
                f"RIACTeacher: min_region_size must be <= max_region_size // 2 = {max_region_size // 2}, "
                f"got {min_region_size!r}"
            )
        if random_task_ratio + worst_task_ratio > 1.0:
            raise ValueError(
                f"RIACTeacher: random_task_ratio + worst_task_ratio must be <= 1, got random_task_ratio="
                f"{random_task_ratio!r} and worst_task_ratio={worst_task_ratio!r}"
            )
        self.max_region_size = int(max_region_size)
        self.alp_window = int(alp_window)
        self.nb_split_attempts = int(nb_split_attempts)
        self.min_region_size = min_region_size
        self.min_dims_range_ratio = float(min_dims_range_ratio)
        self.discard_ratio = float(discard_ratio)
        self.random_task_ratio = float(random_task_ratio)
        self.worst_task_ratio = float(worst_task_ratio)
        self.worst_task_noise = float(worst_task_noise)
        self.sampling_in_leaves_only = sampling_in_leaves_only

        self._min_points = self.max_region_size // 20 if min_region_size is None else int(min_region_size)
        d = self.unit.dim
        self.regions: list[_Region] = [_Region(np.zeros(d), np.ones(d), self.max_region_size + 1, d)]
        self._alps = np.zeros(1)  # ALP of every node, indexed like self.regions
        self._candidates = np.zeros(1, dtype=np.int64)  # node ids sampling chooses among
        self.n_splits = 0

    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        n = len(values["regions"])
        if n < 1:
            raise ValueError("RIACTeacher: state field 'regions' is empty (the root region is missing)")
        for i, r in enumerate(values["regions"]):
            if r["start"] > r["end"] or (r["children"] is not None and max(r["children"]) >= n) or (
                (r["split"] is None) != (r["children"] is None)
            ):
                raise ValueError(f"RIACTeacher: state field 'regions' item {i} is inconsistent (start/end/split/children)")

    def _assign_state(self, values: dict[str, Any]) -> None:
        super()._assign_state(values)
        self._alps = np.array([r.alp for r in self.regions], dtype=np.float64)
        self._set_candidates()

    def _set_candidates(self) -> None:
        if self.sampling_in_leaves_only:
            self._candidates = np.array([i for i, r in enumerate(self.regions) if r.children is None])
        else:
            self._candidates = np.arange(len(self.regions))

    # ------------------------------------------------------------------ learning
    def _update(self, task: np.ndarray, score: float) -> None:
        u = self.unit.to_unit(task)
        node = 0
        path = [0]
        while True:
            region = self.regions[node]
            region.add(u, score)
            if region.children is None:
                break
            dim, thr = region.split
            node = region.children[0] if u[dim] < thr else region.children[1]
            path.append(node)
        leaf = self.regions[node]
        if len(leaf) > self.max_region_size and not self._split(node):
            leaf.set_points(
                leaf.tasks[int(self.max_region_size * self.discard_ratio):],
                leaf.scores[int(self.max_region_size * self.discard_ratio):],
            )
        alps = self._alps
        for nid in path:
            region = self.regions[nid]
            alps[nid] = region.alp = region.compute_alp(self.alp_window)

    def split_score(self, scores_left: np.ndarray, scores_right: np.ndarray) -> float:
        """Score of a candidate split: ``|ALP_left − ALP_right| · sqrt(n_left · n_right) / n``.

        :param scores_left: the left child's scores, oldest first.
        :param scores_right: the right child's scores, oldest first.
        """
        n_l, n_r = len(scores_left), len(scores_right)
        if n_l == 0 or n_r == 0:
            return 0.0
        diff = abs(_alp(scores_left, self.alp_window) - _alp(scores_right, self.alp_window))
        return float(diff * (np.sqrt(n_l * n_r) / (n_l + n_r)))

    def _split(self, nid: int) -> bool:
        """Try ``nb_split_attempts`` random cuts of leaf ``nid``; apply the best valid one."""
        region = self.regions[nid]
        tasks, scores = region.tasks, region.scores
        min_width = self.min_dims_range_ratio
        width = region.high - region.low
        cuttable = np.flatnonzero(width >= 2.0 * min_width + 1e-12)
        if cuttable.size == 0:
            return False
        best: tuple[float, int, float, np.ndarray] | None = None
        for _ in range(self.nb_split_attempts):
            dim = int(cuttable[self.rng.integers(cuttable.size)])
            thr = float(self.rng.uniform(region.low[dim] + min_width, region.high[dim] - min_width))
            left = tasks[:, dim] < thr
            n_left = int(left.sum())
            if n_left < self._min_points or len(scores) - n_left < self._min_points:
                continue
            score = self.split_score(scores[left], scores[~left])
            if best is None or score > best[0]:
                best = (score, dim, thr, left)
        if best is None:
            return False
        _, dim, thr, left = best
        d = self.unit.dim
        children = []
        for mask, is_left in ((left, True), (~left, False)):
            low, high = region.low.copy(), region.high.copy()
            if is_left:
                high[dim] = thr
            else:
                low[dim] = thr
            child = _Region(low, high, self.max_region_size + 1, d)
            child.set_points(tasks[mask], scores[mask])
            child.alp = child.compute_alp(self.alp_window)
            children.append(child)
        first = len(self.regions)
        self.regions.extend(children)
        region.split = (dim, thr)
        region.children = (first, first + 1)
        self._alps = np.append(self._alps, [c.alp for c in children])
        self._set_candidates()
        self.n_splits += 1
        return True

    # ------------------------------------------------------------------ sampling
    def _choose_region(self) -> _Region:
        alps = self._alps[self._candidates]
        top = float(alps.max())
        if top <= 0.0:
            return self.regions[int(self._candidates[self.rng.integers(alps.size)])]
        cdf = np.cumsum(alps / top)  # divide first: sums of huge ALPs stay finite
        idx = int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"))
        return self.regions[int(self._candidates[min(idx, alps.size - 1)])]

    def _worst_task_mutation(self) -> np.ndarray:
        region = self._choose_region()
        if len(region) == 0:
            return self.rng.uniform(region.low, region.high)
        worst = region.tasks[int(np.argmin(region.scores))]
        noisy = worst + self.rng.normal(0.0, self.worst_task_noise, size=worst.shape)
        return np.clip(noisy, region.low, region.high)

    def _sample(self) -> np.ndarray:
        mode = self.rng.random()
        if mode < self.worst_task_ratio:
            u = self._worst_task_mutation()
        elif mode < self.worst_task_ratio + self.random_task_ratio:
            u = self.rng.random(self.unit.dim)
        else:
            region = self._choose_region()
            u = self.rng.uniform(region.low, region.high)
        return self.unit.from_unit(u)

    def non_exploratory_sample(self) -> np.ndarray:
        """The worst task of an ALP-chosen region, mutated (TeachMyAgent's choice)."""
        return self._finalize_task(self.unit.from_unit(self._worst_task_mutation()))

    def internals(self) -> dict[str, Any]:
        """``{"regions": [{"low", "high", "lp"}]}`` for the leaves, in raw task units."""
        out = []
        for region in self.regions:
            if region.children is None:
                out.append(
                    {
                        "low": self.unit.from_unit(region.low).tolist(),
                        "high": self.unit.from_unit(region.high).tolist(),
                        "lp": float(region.alp),
                    }
                )
        return {"regions": out}
