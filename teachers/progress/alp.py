"""Absolute learning progress (ALP) from the nearest previously seen task.

ALP-GMM's signal (Portelas et al., 2019): when a task ``x`` is scored ``r``, find the
nearest previously seen task ``x_nn`` (Euclidean, in the caller's coordinates: teachers pass
normalized ``[0, 1]^d`` ones) with score ``r_nn``; then ``ALP = |r - r_nn|``. It is 0 until
``min_points`` episodes are remembered (teachDeepRL waits for 6).

The index is a Bentley–Saxe forest: distinct task locations are appended to a small buffer
searched by brute force; a full buffer becomes a ``scipy.spatial.cKDTree``, and trees of
similar size are merged, so there are O(log n) trees and every location is rebuilt
O(log n) times (amortized O(log² n) per insertion, no per-update rebuild or linear scan).
A repeated location is not stored twice: its remembered score is replaced by the latest.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.spatial import cKDTree

from teachers.state import Array, Int, ListOf, StateField, Stateful, TupleOf
from teachers.validation import Integral, Interval, ParamValidated

__all__ = ["ALPTracker"]


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances over the last axis, one dimension at a time (fast, and
    summed in the same order as ``((a - b) ** 2).sum(-1)``)."""
    return sum((a[..., j] - b[..., j]) ** 2 for j in range(a.shape[-1]))


class ALPTracker(ParamValidated, Stateful):
    """ALP of each new (task, score) against the nearest previously seen task.

    Nearest means smallest Euclidean distance; among equally distant remembered tasks the
    most recently seen wins (ties are resolved exactly, not by tree order).

    :param dim: dimension of the tasks.
    :param min_points: ALP is 0 while fewer episodes than this are remembered (teachDeepRL: 6).
    :param max_size: if set, only recent episodes are remembered: once ``2 * max_size`` are,
        the oldest are forgotten so that the ``max_size`` most recent remain. Memory is then
        bounded by ``2 * max_size`` locations. ``None`` (default) remembers everything.
    :param buffer_size: locations searched by brute force before they go into a tree.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "dim": [Interval(Integral, 1, None)],
        "min_points": [Interval(Integral, 1, None)],
        "max_size": [None, Interval(Integral, 1, None)],
        "buffer_size": [Interval(Integral, 1, None)],
    }
    _state_kind = "tracker"
    state_version: ClassVar[int] = 2
    # The distinct locations remembered (one row each) and the bounds of the trees over
    # them; the trees themselves are rebuilt on load.
    _state_fields: ClassVar[dict[str, StateField]] = {
        "n_seen": Int(low=0),
        "window_start": Int(low=0),
        "coords": Array("f", (None, "dim")),
        "last": Array("i", (None,)),
        "score": Array("f", (None,)),
        "tree_bounds": ListOf(TupleOf(Int(low=0), Int(low=0))),
    }

    def __init__(self, dim: int, min_points: int = 6, max_size: int | None = None, buffer_size: int = 256) -> None:
        if max_size is not None and max_size < min_points:
            raise ValueError(f"ALPTracker: max_size must be None or >= min_points ({min_points}), got {max_size!r}")
        self.dim = int(dim)
        self.min_points = int(min_points)
        self.max_size = None if max_size is None else int(max_size)
        self.buffer_size = int(buffer_size)
        self.n_seen = 0  # episodes added so far
        self.window_start = 0  # episodes before this index are forgotten
        # One row per distinct location: coordinates, latest episode index, latest score.
        self._coords = np.empty((64, self.dim))
        self._last = np.empty(64, dtype=np.int64)
        self._score = np.empty(64)
        self._n = 0
        self._trees: list[tuple[int, int, cKDTree]] = []  # (first row, end row, tree), oldest first

    def __len__(self) -> int:
        """Number of remembered episodes."""
        return self.n_seen - self.window_start

    # ------------------------------------------------------------------ updates
    def update(self, task: np.ndarray, score: float) -> float:
        """Add one episode and return its ALP."""
        return float(self.update_batch(np.asarray(task, dtype=np.float64)[None], np.array([float(score)]))[0])

    def update_batch(self, tasks: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Add episodes in order; return their ALPs, exactly as successive :meth:`update` calls.

        Each episode is compared with every remembered episode before it, earlier episodes
        of the same batch included. Batches are much faster than single updates.
        """
        tasks = np.asarray(tasks, dtype=np.float64).reshape(-1, self.dim) + 0.0  # + 0.0: no -0.0
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if len(tasks) != len(scores):
            raise ValueError(f"{len(tasks)} tasks but {len(scores)} scores")
        if not (np.isfinite(tasks).all() and np.isfinite(scores).all()):
            raise ValueError(f"tasks and scores must be finite; got non-finite values in {tasks!r} / {scores!r}")
        out = np.empty(len(scores))
        i = 0
        while i < len(scores):
            # Chunks end where forgetting happens, so the window is fixed inside a chunk.
            room = 256 if self.max_size is None else self.window_start + 2 * self.max_size - self.n_seen
            j = i + min(256, room, len(scores) - i)
            out[i:j] = self._add_chunk(tasks[i:j], scores[i:j])
            if self.max_size is not None and len(self) >= 2 * self.max_size:
                self._forget(self.n_seen - self.max_size)
            i = j
        return out

    def _add_chunk(self, x: np.ndarray, r: np.ndarray) -> np.ndarray:
        m = len(r)
        index = self.n_seen + np.arange(m)
        # Candidates: the nearest stored location(s), and every earlier episode of the chunk.
        sq, last, score, row = self._query_stored(x)
        within = _sq_dist(x[:, None, :], x[None, :, :])
        within[np.triu_indices(m)] = np.inf  # only earlier episodes
        best_within = np.argmin(within[:, ::-1], axis=1)  # reversed: ties go to the latest
        best_within = m - 1 - best_within
        sq_within = within[np.arange(m), best_within]
        use_within = sq_within <= sq  # equal distance: the chunk's episodes are more recent
        nn_score = np.where(use_within, r[best_within], score)
        nn_sq = np.where(use_within, sq_within, sq)
        with np.errstate(over="ignore"):  # inf for scores of opposite signs near the float limit
            alp = np.where(index - self.window_start >= self.min_points, np.abs(r - nn_score), 0.0)
        # Store: a repeated location updates its row (latest index and score), a new one gets
        # a row. Duplicates inside the chunk point to an earlier duplicate: follow the chain.
        dup = nn_sq == 0.0
        parent = np.where(dup & use_within, best_within, np.arange(m))
        while not np.array_equal(parent[parent], parent):
            parent = parent[parent]
        fresh = parent == np.arange(m)  # chain roots: a new location, or a stored duplicate
        new = fresh & ~dup
        row[new] = self._add_rows(x[new])
        row = row[parent]
        latest = m - 1 - np.unique(row[::-1], return_index=True)[1]  # last episode per row
        self._last[row[latest]], self._score[row[latest]] = index[latest], r[latest]
        self.n_seen += m
        self._merge_buffer()
        return np.where(np.isfinite(nn_sq), alp, 0.0)

    def _add_rows(self, x: np.ndarray) -> np.ndarray:
        need = self._n + len(x)
        if need > len(self._coords):
            grow = max(need, 2 * len(self._coords)) - len(self._coords)
            self._coords = np.concatenate([self._coords, np.empty((grow, self.dim))])
            self._last = np.concatenate([self._last, np.empty(grow, dtype=np.int64)])
            self._score = np.concatenate([self._score, np.empty(grow)])
        self._coords[self._n : need] = x
        rows = np.arange(self._n, need)
        self._n = need
        return rows

    def _merge_buffer(self) -> None:
        """Turn a full buffer into a tree; merge trees while the newer is as big as the older."""
        end = self._trees[-1][1] if self._trees else 0
        if self._n - end < self.buffer_size:
            return
        self._trees.append((end, self._n, None))
        while len(self._trees) > 1 and self._trees[-2][1] - self._trees[-2][0] <= self._trees[-1][1] - self._trees[-1][0]:
            newer = self._trees.pop()
            self._trees[-1] = (self._trees[-1][0], newer[1], None)
        a, b, _ = self._trees[-1]
        self._trees[-1] = (a, b, cKDTree(self._coords[a:b], balanced_tree=False, compact_nodes=False))

    def _forget(self, start: int) -> None:
        """Forget episodes before ``start``: keep the rows seen since, and rebuild one tree."""
        keep = np.flatnonzero(self._last[: self._n] >= start)
        n = len(keep)
        self._coords[:n], self._last[:n], self._score[:n] = self._coords[keep], self._last[keep], self._score[keep]
        self._n, self.window_start = n, start
        self._trees = [(0, n, cKDTree(self._coords[:n], balanced_tree=False, compact_nodes=False))] if n else []

    # ------------------------------------------------------------------ queries
    def _query_stored(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per query: squared distance, latest index, score and row of the nearest stored location.

        Ties are broken by the latest index; ``inf`` distance when nothing is stored.
        """
        m = len(x)
        best_sq, best_last = np.full(m, np.inf), np.full(m, -1, dtype=np.int64)
        best_row = np.zeros(m, dtype=np.int64)
        if self._n == 0:  # nothing stored: no row to read a score from
            return best_sq, best_last, np.zeros(m), best_row

        def offer(sq: np.ndarray, rows: np.ndarray, q: np.ndarray) -> None:
            # sq, rows: (len(q), k) candidates for queries q; keep the best by (distance, -latest).
            last = self._last[rows]
            pick = np.argmax(np.where(sq == sq.min(1, keepdims=True), last, -1), axis=1)
            at = np.arange(len(q))
            s, la = sq[at, pick], last[at, pick]
            better = (s < best_sq[q]) | ((s == best_sq[q]) & (la > best_last[q]))
            qb = q[better]
            best_sq[qb], best_last[qb], best_row[qb] = s[better], la[better], rows[at, pick][better]

        every = np.arange(m)
        end = self._trees[-1][1] if self._trees else 0
        if self._n > end:  # the buffer, by brute force
            buf = np.arange(end, self._n)
            offer(_sq_dist(x[:, None, :], self._coords[None, end : self._n]), np.broadcast_to(buf, (m, len(buf))), every)
        for a, b, tree in self._trees:
            k = min(2, b - a)
            dist, idx = tree.query(x, k=k)
            rows = a + idx.reshape(m, k)
            offer(_sq_dist(x[:, None, :], self._coords[rows]), rows, every)
            if k == b - a:
                continue
            # All k returned candidates (nearly) tied: there may be more at that distance.
            dist = dist.reshape(m, k)
            for q in np.flatnonzero(dist[:, -1] <= dist[:, 0] * (1 + 1e-9) + 1e-300):
                ties = a + np.asarray(tree.query_ball_point(x[q], dist[q, 0] * (1 + 1e-9) + 1e-300), dtype=np.int64)
                offer(_sq_dist(x[q], self._coords[ties])[None], ties[None], np.array([q]))
        return best_sq, best_last, self._score[best_row], best_row.copy()

    # ------------------------------------------------------------------ state
    def _state_values(self) -> dict[str, Any]:
        n = self._n
        return {
            "n_seen": self.n_seen, "window_start": self.window_start,
            "coords": self._coords[:n].copy(), "last": self._last[:n].copy(), "score": self._score[:n].copy(),
            "tree_bounds": [(a, b) for a, b, _ in self._trees],
        }

    def _assign_state(self, values: dict[str, Any]) -> None:
        self.n_seen, self.window_start = values["n_seen"], values["window_start"]
        n = len(values["last"])
        cap = max(64, n)  # at least a fresh tracker's capacity
        self._coords = np.empty((cap, self.dim))
        self._last = np.empty(cap, dtype=np.int64)
        self._score = np.empty(cap)
        self._coords[:n], self._last[:n], self._score[:n] = values["coords"], values["last"], values["score"]
        self._n = n
        self._trees = [
            (a, b, cKDTree(self._coords[a:b], balanced_tree=False, compact_nodes=False))
            for a, b in values["tree_bounds"]
        ]

    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        n = len(values["last"])
        for name in ("coords", "score"):
            if len(values[name]) != n:
                raise ValueError(f"ALPTracker: state field {name!r} has {len(values[name])} rows, 'last' has {n}")
        end = 0
        for a, b in values["tree_bounds"]:
            if a != end or b <= a or b > n:
                raise ValueError(f"ALPTracker: state field 'tree_bounds' {values['tree_bounds']!r} does not tile 0..{n}")
            end = b
        if values["window_start"] > values["n_seen"]:
            raise ValueError(f"ALPTracker: state field 'window_start' {values['window_start']} exceeds n_seen")

    # deepcopy / pickle go through the state dict: no tree is copied.
    def __getstate__(self) -> dict[str, Any]:
        return self.state_dict()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["params"])
        self.load_state_dict(state)
