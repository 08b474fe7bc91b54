"""CURROT: curricula as constrained optimal transport between a particle distribution and a target.

Klink, Yang, D'Eramo, Peters & Pajarinen, "Curriculum Reinforcement Learning via Constrained
Optimal Transport", ICML 2022. Implemented from the ``main`` branch of psclklnk/currot
(``teachers/spl/currot.py``, ``wasserstein_interpolation.py``, ``currot_tma.py``) as summarized in
``acl_reference.md`` (appendix, section 2); numpy / scipy only.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from scipy.optimize import linear_sum_assignment

from teachers.base import DIST_CONSTRAINT, Teacher
from teachers.registry import register
from teachers.state import Array, Float, Int, Optional, StateField
from teachers.validation import Boolean, Integral, Interval, Real

__all__ = ["CURROTTeacher", "NadarayaWatson", "sliced_wasserstein_targets"]


def sliced_wasserstein_targets(
    source: np.ndarray, target: np.ndarray, rng: np.random.Generator, n_projections: int = 100
) -> np.ndarray:
    """Where each source point should go to approach ``target`` (same number of points).

    Along each of ``n_projections`` random unit directions the sorted projections of the
    two sets are matched; a point's displacement is the mean of its matched differences
    times its direction, scaled by the dimension so that a pure translation is recovered
    in expectation (``E[θθᵀ] = I/d``).

    :param source: ``(n, d)`` points.
    :param target: ``(n, d)`` points.
    :param rng: the generator of the directions.
    :param n_projections: number of random directions.
    :return: ``(n, d)`` target positions, one per source point.
    """
    n, d = source.shape
    directions = rng.standard_normal((n_projections, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    src = directions @ source.T  # (P, n)
    tgt = np.sort(directions @ target.T, axis=1)
    rank = np.argsort(np.argsort(src, axis=1), axis=1)
    diffs = np.take_along_axis(tgt, rank, axis=1) - src  # (P, n)
    return source + d * (diffs.T @ directions) / n_projections


class NadarayaWatson:
    """Nadaraya–Watson regression with a Gaussian kernel, as CURROT's value model.

    A query averages (kernel-weighted) at most ``max_share`` of the training points, drawn at
    random among those within ``radius`` bandwidths; with none in range it uses its
    ``n_fallback`` nearest neighbours. Defaults from [CO] ``main``: bandwidth 0.3·√ε, ≤ 0.5·N
    neighbours within 3 bandwidths, 10-NN fallback.

    :param x: ``(N, d)`` training inputs.
    :param y: ``(N,)`` training targets.
    :param bandwidth: kernel standard deviation.
    :param rng: generator of the neighbour subsampling.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        bandwidth: float,
        rng: np.random.Generator,
        radius: float = 3.0,
        max_share: float = 0.5,
        n_fallback: int = 10,
    ) -> None:
        self.x, self.y, self.bandwidth, self.rng = x, y, bandwidth, rng
        self.radius, self.max_share, self.n_fallback = radius, max_share, n_fallback

    def __call__(self, queries: np.ndarray) -> np.ndarray:
        """Predicted values of ``(m, d)`` queries."""
        n = self.x.shape[0]
        # The random neighbour order is shared by the queries of one call (one permutation
        # instead of m): each query still averages a uniformly random subset of its range.
        perm = self.rng.permutation(n)
        # (N, m) float32 arrays, coordinates over bandwidth·√2 so |x − q|² is the kernel's
        # exponent: a particle move asks 10^4 queries, and this layout keeps every pass
        # (the cumulative count along N included) a vectorized one.
        scale = 1.0 / (self.bandwidth * math.sqrt(2.0))
        q = (queries * scale).astype(np.float32)
        x = (self.x[perm] * scale).astype(np.float32)
        y = self.y[perm]
        # neg = -|x - q|², built in place (each pass over the (N, m) array counts).
        neg = np.subtract(x[:, 0, None], q[None, :, 0])
        neg *= -neg
        diff = np.empty_like(neg)
        for j in range(1, q.shape[1]):
            np.subtract(x[:, j, None], q[None, :, j], out=diff)
            diff *= diff
            neg -= diff
        use = neg >= np.float32(-(self.radius**2) / 2.0)
        counts = use.view(np.uint8).sum(0, dtype=np.int32)
        cap = max(1, int(self.max_share * n))
        if (counts > cap).any():
            # Keep each query's first `cap` in-range points (in the random order). A row loop:
            # numpy's cumsum along axis 0 is an order of magnitude slower.
            seen = np.zeros(q.shape[0], dtype=np.int32)
            for row in use:
                seen += row
                row &= seen <= cap
        w = np.exp(neg, out=neg)
        w *= use
        # Scores over their largest magnitude: float32 cannot hold returns beyond ~3e38.
        y_scale = float(np.abs(y).max()) or 1.0
        num, den = np.stack([y / y_scale, np.ones(n)]).astype(np.float32) @ w
        out = np.divide(num, den, out=np.zeros(len(q)), where=counts > 0) * y_scale
        empty = counts == 0
        if empty.any():
            k = min(self.n_fallback, n)
            # -log w = squared scaled distance (exp underflows to 0 beyond ~10 bandwidths).
            d2 = (((self.x[perm][:, None, :] - queries[empty][None, :, :]) * scale) ** 2).sum(-1).T
            nearest = np.argpartition(d2, k - 1, axis=1)[:, :k]
            d2 = np.take_along_axis(d2, nearest, axis=1)
            # Shift by the nearest distance so far queries do not underflow to 0/0.
            wk = np.exp(-(d2 - d2.min(1, keepdims=True)))
            out[empty] = (wk * (y[nearest] / y_scale)).sum(1) / wk.sum(1) * y_scale
        return out


@register("currot")
class CURROTTeacher(Teacher):
    """CURROT (Klink et al., ICML 2022), the ``main`` version of psclklnk/currot.

    The curriculum is ``n_particles`` particles (tasks). Each episode runs a random particle
    plus ``U(±1e-3)`` noise (unit coordinates). Every ``episodes_per_update`` episodes:

    1. **Success buffer** (at most ``n_particles`` tasks). Until δ is reached, episodes
       scoring at least the buffer's median enter it, replacing its lowest entries (at most
       its lower half + 1, so it never shrinks), and the best ``n_particles`` are kept; δ
       counts as reached once the buffer's median exceeds ``delta``. Afterwards episodes
       scoring ≥ δ replace the lowest entries, and once the buffer is full of successes it
       keeps the ``n_particles`` tasks of buffer ∪ new successes that a
       ``linear_sum_assignment`` (squared Euclidean cost) matches to fresh target samples.
       Episodes that do not enter it go to a failure buffer of the last ``n_particles``.
    2. **Value model**: Nadaraya–Watson on both buffers (:class:`NadarayaWatson`, bandwidth
       0.3·√ε). While the particles' mean predicted value is below δ the distribution does
       not move (``wait_until_threshold``).
    3. **Reset**: particles predicted below δ are assigned (``linear_sum_assignment``) to
       candidates drawn around the success buffer, with noise std
       ``0.005·ε + clip(δ − R, 0)/(δ − R_min)·1/4`` per entry of return R (``R_min``: the
       lowest score of the first update; ``1/4`` is the range/4 of [CO] in unit coordinates).
    4. **Move**: a sliced-Wasserstein step (100 projections, :func:`sliced_wasserstein_targets`)
       toward fresh target samples gives each particle a destination; 100 points are drawn in
       the ball of radius ``min(√ε, distance)`` around it (the half-ball toward the destination
       if the particle is feasible), and the particle moves to the one closest to its
       destination among those predicted ≥ δ, else to the one of highest predicted value
       (its own position is a candidate too, so it never trades a feasible spot for one
       predicted worse).

    Units: geometry is in unit coordinates ``[0, 1]^d`` (:attr:`Teacher.unit`); ``delta`` is
    in score units, i.e. in ``[0, 1]`` when ``reward_range`` is given (scores are then
    ``(R − lo)/(hi − lo)``, clipped) and in raw returns otherwise. [CO] feeds discounted
    Monte-Carlo returns; this teacher gets the loop's score (the undiscounted return by
    default), so δ must be set for the env.

    Defaults: 100 particles, 20 episodes per update, δ = 4 ([CO] ``main``,
    ``point_mass_2d_experiment.py``); ε = 0.05·√d, the TeachMyAgent wrapper's rule
    ε = 0.05‖ub − lb‖ ([CO] ``currot_tma.py``) in the unit cube, whose diagonal is √d. [CO]
    ``main``'s ε = 0.5 is in raw point-mass units (ranges 8 and 7.5), where the TMA rule
    gives 0.55. The wrapper's other values: δ = 180, 500 particles, 50 episodes. Target:
    uniform over the space as in the TMA wrapper, or ``target_dist``.

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]`` (``delta`` then too).
    :param n_particles: particles (and success/failure buffer sizes). Default 100.
    :param episodes_per_update: episodes between distribution updates. Default 20; must be
        below ``n_particles`` ([CO] asserts it).
    :param delta: performance threshold δ, in score units. Default 4.0.
    :param epsilon: trust region ε in unit coordinates (a particle moves at most √ε per
        update). Default ``None``: 0.05·√d.
    :param target_dist: ``None`` (uniform over the space) or ``{"mean": ..., "std": ...}`` of a
        diagonal Gaussian in raw units (samples clipped into the space).
    :param initial_dist: ``None`` (particles uniform, as in [CO]) or ``{"mean": ..., "std": ...}``
        in raw units.
    :param wait_until_threshold: do not move the particles while their mean predicted value
        is below δ (once above, never again). Default ``True``.
    :param n_projections: sliced-Wasserstein directions. Default 100 ([CO]).
    :param n_ball_samples: candidate points per particle move. Default 100 ([CO]).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_particles": [Interval(Integral, 2, None)],
        "episodes_per_update": [Interval(Integral, 1, None)],
        "delta": [Interval(Real, None, None)],
        "epsilon": [None, Interval(Real, 0, None, closed="neither")],
        "target_dist": DIST_CONSTRAINT,
        "initial_dist": DIST_CONSTRAINT,
        "wait_until_threshold": [Boolean()],
        "n_projections": [Interval(Integral, 1, None)],
        "n_ball_samples": [Interval(Integral, 1, None)],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "particles": Array("f", ("n_particles", "unit.dim")),
        # Success buffer (unit tasks and scores; the first _n_success rows), sorted by score
        # until delta is reached.
        "_success_tasks": Array("f", ("n_particles", "unit.dim")),
        "_success_scores": Array("f", ("n_particles",)),
        "_n_success": Int(low=0, high="n_particles"),
        # Failure buffer: the last n_particles episodes that did not enter the success buffer.
        "_fail_tasks": Array("f", ("n_particles", "unit.dim")),
        "_fail_scores": Array("f", ("n_particles",)),
        "_n_fail": Int(low=0, high="n_particles"),
        "_delta_reached": Int(low=0, high=1),
        "_threshold_reached": Int(low=0, high=1),
        "_min_score": Optional(Float()),
        # Episodes since the last update; only the first _n_pending are used.
        "_tasks": Array("f", ("episodes_per_update", "unit.dim")),
        "_scores": Array("f", ("episodes_per_update",)),
        "_n_pending": Int(low=0, below="episodes_per_update"),
        "n_distribution_updates": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        n_particles: int = 100,
        episodes_per_update: int = 20,
        delta: float = 4.0,
        epsilon: float | None = None,
        target_dist: dict[str, Any] | None = None,
        initial_dist: dict[str, Any] | None = None,
        wait_until_threshold: bool = False,
        n_projections: int = 100,
        n_ball_samples: int = 100,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        if episodes_per_update >= n_particles:
            raise ValueError(
                f"CURROTTeacher: episodes_per_update must be < n_particles = {n_particles}, got {episodes_per_update!r}"
            )
        self.n_particles = int(n_particles)
        self.episodes_per_update = int(episodes_per_update)
        self.delta = float(delta)
        self.epsilon = None if epsilon is None else float(epsilon)
        self.target_dist = target_dist
        self.initial_dist = initial_dist
        self.wait_until_threshold = bool(wait_until_threshold)
        self.n_projections = int(n_projections)
        self.n_ball_samples = int(n_ball_samples)
        d = self.unit.dim
        self._eps = self.epsilon if self.epsilon is not None else 0.05 * math.sqrt(d)
        self._target = self._unit_dist("target_dist", target_dist)
        self._initial = self._unit_dist("initial_dist", initial_dist)

        self.particles = self._draw(self._initial, self.n_particles)
        self._success_tasks = np.zeros((self.n_particles, d))
        self._success_scores = np.zeros(self.n_particles)
        self._n_success = 0
        self._fail_tasks = np.zeros((self.n_particles, d))
        self._fail_scores = np.zeros(self.n_particles)
        self._n_fail = 0
        self._delta_reached = 0
        self._threshold_reached = 0 if self.wait_until_threshold else 1
        self._min_score: float | None = None
        self._tasks = np.zeros((self.episodes_per_update, d))
        self._scores = np.zeros(self.episodes_per_update)
        self._n_pending = 0
        self.n_distribution_updates = 0

    # ------------------------------------------------------------------ buffers
    # Stored in fixed-size arrays (the state's shapes are fixed by the parameters); these
    # give and set the used rows.
    def _success(self) -> tuple[np.ndarray, np.ndarray]:
        return self._success_tasks[: self._n_success], self._success_scores[: self._n_success]

    def _set_success(self, tasks: np.ndarray, scores: np.ndarray) -> None:
        self._n_success = scores.shape[0]
        self._success_tasks[: self._n_success] = tasks
        self._success_scores[: self._n_success] = scores

    def _fail(self) -> tuple[np.ndarray, np.ndarray]:
        return self._fail_tasks[: self._n_fail], self._fail_scores[: self._n_fail]

    def _set_fail(self, tasks: np.ndarray, scores: np.ndarray) -> None:
        self._n_fail = scores.shape[0]
        self._fail_tasks[: self._n_fail] = tasks
        self._fail_scores[: self._n_fail] = scores

    # ------------------------------------------------------------------ distributions
    def _unit_dist(self, name: str, dist: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """``dist`` (raw units, checked by :meth:`Teacher.check_dist`) in unit coordinates."""
        checked = self.check_dist(dist, name)
        if checked is None:
            return None
        mean, std = checked
        return self.unit.to_unit(mean), std / self.unit.range

    def _draw(self, dist: tuple[np.ndarray, np.ndarray] | None, n: int) -> np.ndarray:
        """``n`` unit points from ``dist`` (clipped) or uniform."""
        d = self.unit.dim
        if dist is None:
            return self.rng.random((n, d))
        mean, std = dist
        return np.clip(mean + std * self.rng.standard_normal((n, d)), 0.0, 1.0)

    # ------------------------------------------------------------------ sampling
    def _sample(self) -> np.ndarray:
        u = self.unit
        p = self.particles[self.rng.integers(self.n_particles)]
        noise = self.rng.uniform(-1e-3, 1e-3, u.dim)  # [CO]: U(±1e-3·range)
        return u.from_unit(np.clip(p + noise, 0.0, 1.0))

    def non_exploratory_sample(self) -> np.ndarray:
        """A particle, without the sampling noise (drawn from a copy of the RNG)."""
        rng = np.random.Generator(type(self.rng.bit_generator)(0))
        rng.bit_generator.state = self.rng.bit_generator.state
        return self._finalize_task(self.unit.from_unit(self.particles[rng.integers(self.n_particles)]))

    def internals(self) -> dict[str, Any]:
        """``particles`` (raw units), success-buffer size, δ reached, threshold reached."""
        return {
            "particles": self.unit.from_unit(self.particles).tolist(),
            "success_buffer_size": self._n_success,
            "delta_reached": bool(self._delta_reached),
            "threshold_reached": bool(self._threshold_reached),
        }

    # ------------------------------------------------------------------ learning
    def _update(self, task: np.ndarray, score: float) -> None:
        self._tasks[self._n_pending] = self.unit.to_unit(task)
        self._scores[self._n_pending] = score
        self._n_pending += 1
        if self._n_pending == self.episodes_per_update:
            self._n_pending = 0
            self._update_distribution(self._tasks.copy(), self._scores.copy())

    def _update_distribution(self, tasks: np.ndarray, scores: np.ndarray) -> None:
        if self._min_score is None:
            self._min_score = float(scores.min())
        failed = self._update_success_buffer(tasks, scores)
        n = self.n_particles
        fail_t, fail_s = self._fail()
        self._set_fail(np.concatenate([fail_t, tasks[failed]])[-n:], np.concatenate([fail_s, scores[failed]])[-n:])
        (fail_t, fail_s), (succ_t, succ_s) = self._fail(), self._success()
        model = NadarayaWatson(
            np.concatenate([fail_t, succ_t]),
            np.concatenate([fail_s, succ_s]),
            bandwidth=0.3 * math.sqrt(self._eps),
            rng=self.rng,
        )
        if not self._threshold_reached:
            if model(self.particles).mean() < self.delta:
                return
            self._threshold_reached = 1
        self._reset_infeasible(model)
        self._move(model)
        self.n_distribution_updates += 1

    def _update_success_buffer(self, tasks: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Update the success buffer; return the mask of episodes that did not enter it."""
        n, delta = self.n_particles, self.delta
        buf_t, buf_s = (a.copy() for a in self._success())
        if not self._delta_reached:
            # Episodes >= the median enter (>=: binary scores must be able to fill it) and
            # replace the lowest entries, at most the lower half + 1: the buffer never
            # shrinks; beyond n the best are kept ([CO] update_delta_not_reached).
            med = buf_s.shape[0] // 2
            enter = scores >= (buf_s[med] if buf_s.shape[0] else -np.inf)
            n_new = int(enter.sum())
            keep_old = min(med + 1, n_new)
            all_t = np.concatenate([tasks[enter], buf_t[keep_old:]])
            all_s = np.concatenate([scores[enter], buf_s[keep_old:]])
            order = np.argsort(all_s, kind="stable")[-n:]
            kept = np.zeros(all_s.shape[0], dtype=bool)
            kept[order] = True
            failed = ~enter
            failed[np.flatnonzero(enter)[~kept[:n_new]]] = True
            self._set_success(all_t[order], all_s[order])
            # [CO] judges delta on the buffer before this update's additions.
            if buf_s.shape[0] and buf_s[med] > delta:
                self._delta_reached = 1
            return failed

        enter = scores >= delta
        n_new = int(enter.sum())
        if n_new == 0:
            return ~enter
        below = buf_s < delta
        if not below.any() and buf_s.shape[0] >= n:
            # Full of successes: keep the tasks an optimal assignment matches to the target.
            all_t = np.concatenate([buf_t, tasks[enter]])
            all_s = np.concatenate([buf_s, scores[enter]])
            target = self._draw(self._target, n)
            cost = ((all_t[:, None, :] - target[None, :, :]) ** 2).sum(-1)
            rows, _ = linear_sum_assignment(cost)
            rows = np.sort(rows)
            failed = ~enter
            failed[np.flatnonzero(enter)[~np.isin(np.arange(buf_s.shape[0], all_s.shape[0]), rows)]] = True
            self._set_success(all_t[rows], all_s[rows])
            return failed
        # Successes replace the lowest entries below delta; the buffer never shrinks.
        n_remove = min(n_new, int(below.sum()))
        remove = np.zeros(buf_s.shape[0], dtype=bool)
        remove[np.argsort(buf_s, kind="stable")[:n_remove]] = True
        new_t = np.concatenate([tasks[enter], buf_t[~remove]])[:n]
        new_s = np.concatenate([scores[enter], buf_s[~remove]])[:n]
        failed = ~enter
        failed[np.flatnonzero(enter)[n:]] = True  # only when the buffer overflows
        self._set_success(new_t, new_s)
        return failed

    def _candidates(self) -> np.ndarray:
        """``n_particles`` points drawn around the success buffer (the reset candidates)."""
        n, d = self.n_particles, self.unit.dim
        buf_t, buf_s = self._success()
        span = self.delta - self._min_score
        with np.errstate(over="ignore", invalid="ignore"):
            scale = np.clip(self.delta - buf_s, 0.0, None) / span if span > 0 else np.zeros_like(buf_s)
        scale = np.nan_to_num(scale, nan=1.0, posinf=1.0)  # only for scores near the float limit
        stds = 0.005 * self._eps + scale * 0.25  # per entry; range/4 in unit coordinates
        if not self._delta_reached:
            # Resample the upper half ∝ score above the median entry.
            off = buf_s.shape[0] // 2
            top = float(np.abs(buf_s).max()) or 1.0  # scaled: differences of huge scores overflow
            sub = (buf_s[off:] / top - buf_s[off - 1] / top) if off > 0 else (buf_s / top - buf_s.min() / top)
            total = sub.sum()
            p = sub / total if total > 0 else np.full(sub.shape[0], 1.0 / sub.shape[0])
            idx = off + self.rng.choice(sub.shape[0], n, p=p)
        else:
            extra = self.rng.integers(buf_s.shape[0], size=n - buf_s.shape[0])
            idx = np.concatenate([np.arange(buf_s.shape[0]), extra])
        centres, sd = buf_t[idx], stds[idx][:, None]
        out = centres + sd * self.rng.standard_normal((n, d))
        for _ in range(10):  # [CO] redraws out-of-bounds points up to 10 times, then clips
            bad = ((out < 0.0) | (out > 1.0)).any(1)
            if not bad.any():
                break
            out[bad] = centres[bad] + sd[bad] * self.rng.standard_normal((int(bad.sum()), d))
        return np.clip(out, 0.0, 1.0)

    def _reset_infeasible(self, model: NadarayaWatson) -> None:
        low = model(self.particles) < self.delta
        if not low.any() or self._n_success == 0:
            return
        cand = self._candidates()
        cost = ((self.particles[low][:, None, :] - cand[None, :, :]) ** 2).sum(-1)
        rows, cols = linear_sum_assignment(cost)
        idx = np.flatnonzero(low)[rows]
        self.particles[idx] = cand[cols]

    def _move(self, model: NadarayaWatson) -> None:
        n, d, m = self.n_particles, self.unit.dim, self.n_ball_samples
        x = self.particles
        dest = sliced_wasserstein_targets(x, self._draw(self._target, n), self.rng, self.n_projections)
        step = dest - x
        dist = np.linalg.norm(step, axis=1)
        radius = np.minimum(math.sqrt(self._eps), dist)
        feasible = model(x) >= self.delta
        # Uniform in the d-ball: a Gaussian direction, radius ∝ U^(1/d).
        g = self.rng.standard_normal((n, m, d))
        g /= np.linalg.norm(g, axis=2, keepdims=True)
        r = radius[:, None] * self.rng.random((n, m)) ** (1.0 / d)
        offsets = g * r[:, :, None]
        # Feasible particles search the half-ball toward their destination (mirror the rest).
        toward = np.einsum("nmd,nd->nm", offsets, step)
        flip = feasible[:, None] & (toward < 0)
        offsets[flip] *= -1.0
        cands = np.clip(np.concatenate([x[:, None, :], x[:, None, :] + offsets], axis=1), 0.0, 1.0)  # (n, m+1, d)
        values = model(cands.reshape(-1, d)).reshape(n, m + 1)
        gap = ((cands - dest[:, None, :]) ** 2).sum(-1)
        ok = values >= self.delta
        best_ok = np.argmin(np.where(ok, gap, np.inf), axis=1)
        best_value = np.argmax(values, axis=1)
        pick = np.where(ok.any(1), best_ok, best_value)
        self.particles = cands[np.arange(n), pick]
