"""Gaussian mixtures for the GMM teachers: a fast batched EM and model selection.

:func:`select_gmm` fits one full-covariance mixture per candidate number of components and
keeps the best by AIC or BIC. It follows scikit-learn's ``GaussianMixture`` (k-means
initialisation, ``reg_covar`` added to the diagonals, convergence when the mean
log-likelihood changes by less than ``tol``, the same AIC/BIC formulas) but runs EM for all
candidates at once. The teachers refit every few hundred episodes on a few hundred points,
where per-call overhead, not arithmetic, is the cost: batched, the nine fits of ALP-GMM's
default ``k = 2..10`` cost about as much as two separate ones.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher
from teachers.state import Array, Float, Int, ListOf, Optional, Record, StateField
from teachers.validation import Integral, Interval, Options, Real, Satisfies, SequenceOf, short_repr

__all__ = ["GMMTeacher", "GaussianMixtureFit", "fit_gmms", "kmeans_labels", "select_gmm"]

_LOG_2PI = np.log(2.0 * np.pi)
_EPS = 10.0 * np.finfo(np.float64).eps  # sklearn adds this to component masses


@dataclass
class GaussianMixtureFit:
    """One fitted mixture.

    :param weights: ``(k,)`` mixing weights.
    :param means: ``(k, D)``.
    :param covariances: ``(k, D, D)``, ``reg_covar`` included.
    :param log_likelihood: mean log-likelihood per sample of the fitted data.
    :param n_samples: number of fitted samples.
    :param n_iter: EM iterations run.
    :param converged: whether EM stopped on ``tol`` rather than ``max_iter``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    log_likelihood: float
    n_samples: int
    n_iter: int
    converged: bool

    @property
    def n_components(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_parameters(self) -> int:
        """Free parameters, counted as scikit-learn does for full covariances."""
        k, d = self.means.shape
        return int(k * d * (d + 1) / 2 + k * d + k - 1)

    def aic(self) -> float:
        return -2.0 * self.log_likelihood * self.n_samples + 2.0 * self.n_parameters

    def bic(self) -> float:
        return -2.0 * self.log_likelihood * self.n_samples + self.n_parameters * np.log(self.n_samples)


def _blocks(ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row layout of stacked candidates: each row's candidate, and each candidate's first row."""
    return np.repeat(np.arange(len(ks)), ks), np.concatenate(([0], np.cumsum(ks)[:-1]))


def _inv_lower(L: np.ndarray) -> np.ndarray:
    """Inverses of a stack of lower-triangular matrices, by forward substitution row by row
    (vectorized over the stack; about twice as fast as ``np.linalg.inv`` for small ones)."""
    d = L.shape[-1]
    out = np.zeros_like(L)
    diag = 1.0 / np.diagonal(L, axis1=-2, axis2=-1)
    out[:, 0, 0] = diag[:, 0]
    for i in range(1, d):
        out[:, i, :i] = -(L[:, i, None, :i] @ out[:, :i, :i])[:, 0] * diag[:, i, None]
        out[:, i, i] = diag[:, i]
    return out


def kmeans_labels(X: np.ndarray, ks: Sequence[int], rng: np.random.Generator, max_iter: int = 10) -> np.ndarray:
    """k-means labels for every ``k`` in ``ks``: an ``(n, len(ks))`` integer array.

    One k-means++ sequence of ``max(ks)`` centres is drawn; candidate ``k`` starts from its
    first ``k`` centres (each prefix is itself a k-means++ draw). Then at most ``max_iter``
    Lloyd iterations run for all candidates together (fewer when no label changes).
    """
    n, d = X.shape
    ks = np.asarray(ks, dtype=int)
    # k-means++: each next centre is drawn with probability ∝ squared distance to the chosen ones.
    picks = [int(rng.integers(n))]
    closest = ((X - X[picks[0]]) ** 2).sum(1)
    for _ in range(1, int(ks.max())):
        cum = np.cumsum(closest)
        i = int(np.searchsorted(cum, rng.random() * cum[-1], side="right")) if cum[-1] > 0 else int(rng.integers(n))
        picks.append(min(i, n - 1))
        closest = np.minimum(closest, ((X - X[picks[-1]]) ** 2).sum(1))
    group, starts = _blocks(ks)
    rank = np.arange(len(group)) - starts[group]  # a row's index within its candidate
    centres = X[np.asarray(picks)[rank]]  # (sum(ks), d): all candidates' centres stacked
    X1 = np.hstack([X, np.ones((n, 1))])
    assign = None
    for it in range(max_iter + 1):
        dist = (centres**2).sum(1)[:, None] - 2.0 * centres @ X.T  # + |x|^2, equal for all rows
        new = dist == np.minimum.reduceat(dist, starts, axis=0)[group]
        if it == max_iter or (assign is not None and np.array_equal(new, assign)):
            break
        assign = new
        sums = assign @ X1
        centres = np.where(sums[:, -1:] > 0, sums[:, :-1] / np.maximum(sums[:, -1:], 1.0), centres)
    # Exact ties (duplicate points or centres) go to the lowest-index centre.
    first = np.maximum.reduceat(np.where(new, len(group) - rank[:, None], 0), starts, axis=0)
    return (len(group) - first).T


def fit_gmms(
    X: np.ndarray,
    ks: Sequence[int],
    rng: np.random.Generator | None = None,
    labels: np.ndarray | None = None,
    tol: float = 1e-3,
    max_iter: int = 100,
    reg_covar: float = 1e-6,
) -> list[GaussianMixtureFit]:
    """Fit one full-covariance mixture per ``k`` in ``ks`` by EM, all at once.

    :param X: ``(n, D)`` data, scaled to about unit range (the teachers pass ``[0, 1]``
        coordinates): covariances come from moments, which loses precision on large offsets.
    :param ks: candidate numbers of components.
    :param rng: generator for the k-means initialisation (unused when ``labels`` is given).
    :param labels: optional ``(n, len(ks))`` initial hard assignments (default: k-means).
    :param tol: stop a candidate when its mean log-likelihood changes by less than this.
    :param max_iter: EM iterations at most.
    :param reg_covar: added to every covariance diagonal.
    :return: one :class:`GaussianMixtureFit` per ``k``, in the order of ``ks``.
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    ks = np.asarray(ks, dtype=int)
    if labels is None:
        labels = kmeans_labels(X, ks, rng if rng is not None else np.random.default_rng())
    # The components of all candidates are stacked as rows (candidate i owns ks[i] rows).
    # Both EM steps are then one matmul each against the features F = [x x', x, 1].
    F = np.hstack([(X[:, :, None] * X[:, None, :]).reshape(n, d * d), X, np.ones((n, 1))])
    FT = np.ascontiguousarray(F.T)
    reg = reg_covar * np.eye(d)

    def m_step(resp: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, ...]:
        moments = resp @ F  # (c, d*d + d + 1): sums of r x x', r x and r
        nk = moments[:, -1] + _EPS
        means = moments[:, d * d : -1] / nk[:, None]
        cov = moments[:, : d * d].reshape(-1, d, d) / nk[:, None, None]
        cov += reg - means[:, :, None] * means[:, None, :]
        return nk / np.bincount(group, weights=nk)[group], means, cov

    def e_step(weights: np.ndarray, means: np.ndarray, cov: np.ndarray, layout: tuple) -> tuple[np.ndarray, np.ndarray]:
        _, group, starts, blocks = layout
        inv_chol = _inv_lower(np.linalg.cholesky(cov))
        prec = np.swapaxes(inv_chol, -1, -2) @ inv_chol
        p_mean = (prec @ means[:, :, None])[:, :, 0]
        # log w + log N(x) = -(x'Px)/2 + (Pm)'x - (m'Pm + d log 2pi)/2 + log|P|/2 + log w
        const = np.log(np.diagonal(inv_chol, axis1=-2, axis2=-1)).sum(-1) + np.log(weights)
        const -= 0.5 * ((p_mean * means).sum(-1) + d * _LOG_2PI)
        wlp = np.concatenate([-0.5 * prec.reshape(-1, d * d), p_mean, const[:, None]], axis=1) @ FT  # (c, n)
        # log-sum-exp per candidate. One shift per sample for all candidates is enough unless
        # a candidate explains a sample far worse than another; then shift per candidate.
        shift = wlp.max(0)
        e = np.exp(wlp - shift)
        total = blocks @ e
        if total.min() < 1e-250:
            shift = np.maximum.reduceat(wlp, starts, axis=0)
            e = np.exp(wlp - shift[group])
            total = blocks @ e
        return (shift + np.log(total)).mean(-1), e / total[group]

    group, starts = _blocks(ks)

    def layout(idx: np.ndarray) -> tuple[np.ndarray, ...]:
        """Rows of candidates ``idx``, and their row layout once stacked alone."""
        sub_group, sub_starts = _blocks(ks[idx])
        rows = np.flatnonzero(np.isin(group, idx))
        return rows, sub_group, sub_starts, (sub_group == np.arange(len(idx))[:, None]).astype(np.float64)

    rank = np.arange(len(group)) - starts[group]
    weights, means, cov = m_step((labels.T[group] == rank[:, None]).astype(np.float64), group)
    n_iter = np.zeros(len(ks), dtype=int)
    converged = np.zeros(len(ks), dtype=bool)
    # EM on the candidates still running (idx); a converged one drops out of the arrays.
    idx = np.arange(len(ks))
    lay = layout(idx)
    w, m, c = weights, means, cov
    prev = np.full(len(ks), -np.inf)
    for _ in range(max_iter):
        ll, resp = e_step(w, m, c, lay)
        w, m, c = m_step(resp, lay[1])
        n_iter[idx] += 1
        done = np.abs(ll - prev) < tol
        prev = ll
        if done.any():
            weights[lay[0]], means[lay[0]], cov[lay[0]] = w, m, c
            converged[idx[done]] = True
            idx, prev = idx[~done], prev[~done]
            if len(idx) == 0:
                break
            lay = layout(idx)
            w, m, c = weights[lay[0]], means[lay[0]], cov[lay[0]]
    else:
        weights[lay[0]], means[lay[0]], cov[lay[0]] = w, m, c
    ll, _ = e_step(weights, means, cov, layout(np.arange(len(ks))))  # score of the final parameters
    return [
        GaussianMixtureFit(
            weights[s : s + k].copy(), means[s : s + k].copy(), cov[s : s + k].copy(),
            float(ll[i]), n, int(n_iter[i]), bool(converged[i]),
        )
        for i, (s, k) in enumerate(zip(starts, ks, strict=True))
    ]


def select_gmm(
    X: np.ndarray,
    ks: Sequence[int],
    criterion: str,
    rng: np.random.Generator,
    n_init: int = 1,
) -> GaussianMixtureFit:
    """The mixture with the lowest ``criterion`` (``"aic"`` or ``"bic"``) over ``ks``.

    With ``n_init > 1`` each ``k`` keeps its best log-likelihood over that many k-means
    initialisations (scikit-learn's ``n_init``). Ties go to the smaller ``k``.
    """
    best: list[GaussianMixtureFit] | None = None
    for _ in range(n_init):
        fits = fit_gmms(X, ks, rng)
        best = fits if best is None else [
            f if f.log_likelihood > b.log_likelihood else b for f, b in zip(fits, best, strict=True)
        ]
    scores = [f.aic() if criterion == "aic" else f.bic() for f in best]
    return best[int(np.argmin(scores))]


class GMMTeacher(Teacher):
    """Shared machinery of the GMM teachers (ALP-GMM, Covar-GMM); not registered itself.

    Every ``fit_rate`` episodes a subclass fits mixtures over the last ``fit_rate`` episodes
    (task in unit coordinates, plus its own extra dimensions) and gives each component a
    learning progress; :meth:`_sample` then picks a component ∝ its progress (∝ its weight if
    all are 0; teachDeepRL picks uniformly, which can select an empty component), draws from
    it, drops the extra dimensions and clips into the space. A ``random_task_ratio`` share of samples is uniform; before the first fit all samples are
    uniform, or drawn from ``initial_dist`` when given.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "fit_rate": [Interval(Integral, 1, None)],
        "potential_ks": [SequenceOf(Interval(Integral, 1, None))],
        "criterion": [Options(("aic", "bic"))],
        "random_task_ratio": [Interval(Real, 0, 1)],
        "nb_em_init": [Interval(Integral, 1, None)],
        "initial_dist": [
            None,
            Satisfies(lambda d: isinstance(d, Mapping) and set(d) == {"mean", "std"}, "a dict {'mean': ..., 'std': ...}"),
        ],
    }
    _state_fields: ClassVar[dict[str, StateField]] = {
        # The kept mixture (unit coordinates, see _set_gmm); None before the first fit.
        "_gmm": Optional(Record({
            "weights": Array("f", (None,)),
            "means": Array("f", (None, "unit.dim")),
            "cov": Array("f", (None, "unit.dim", "unit.dim")),
            "lp": Array("f", (None,)),
            "raw_means": Array("f", (None, "unit.dim")),
            "raw_chol": Array("f", (None, "unit.dim", "unit.dim")),
            "cum_p": ListOf(Float()),
        })),
        "n_fits": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        fit_rate: int = 250,
        potential_ks: Sequence[int] = tuple(range(2, 11)),
        criterion: str = "aic",
        random_task_ratio: float = 0.2,
        nb_em_init: int = 1,
        initial_dist: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.potential_ks = tuple(int(k) for k in potential_ks)
        if fit_rate < max(self.potential_ks):
            raise ValueError(
                f"{type(self).__name__}: fit_rate must be >= max(potential_ks) = {max(self.potential_ks)}, "
                f"got {fit_rate!r}"
            )
        self.fit_rate = int(fit_rate)
        self.criterion = criterion
        self.random_task_ratio = float(random_task_ratio)
        self.nb_em_init = int(nb_em_init)
        self.initial_dist = initial_dist
        self._init_mean, self._init_std = self._check_initial_dist(initial_dist)
        self._gmm: dict[str, np.ndarray] | None = None  # unit-space mixture, see _set_gmm
        self.n_fits = 0

    def _check_initial_dist(self, dist: dict[str, Any] | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        if dist is None:
            return None, None
        d = self.unit.dim
        try:
            mean = np.broadcast_to(np.asarray(dist["mean"], dtype=np.float64), (d,))
            std = np.broadcast_to(np.asarray(dist["std"], dtype=np.float64), (d,))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"{type(self).__name__}: initial_dist must be {{'mean': ..., 'std': ...}} of {d} numbers, "
                f"got {short_repr(dist)}"
            ) from err
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ValueError(f"{type(self).__name__}: initial_dist needs a finite mean and std > 0, got {short_repr(dist)}")
        return self.unit.to_unit(mean), std / self.unit.range

    # ------------------------------------------------------------------ sampling
    def _sample(self) -> np.ndarray:
        # Raw units straight away: the base class clips into the space.
        u = self.unit
        if self._gmm is None:
            if self._init_mean is not None:
                return u.low + u.range * (self._init_mean + self._init_std * self.rng.standard_normal(u.dim))
            return u.low + u.range * self.rng.random(u.dim)
        if self.rng.random() < self.random_task_ratio:
            return u.low + u.range * self.rng.random(u.dim)
        return self._sample_gmm()

    def _sample_gmm(self) -> np.ndarray:
        g = self._gmm
        i = min(bisect.bisect_right(g["cum_p"], self.rng.random() * g["cum_p"][-1]), len(g["cum_p"]) - 1)
        # The task block of a Cholesky factor is the Cholesky factor of the task marginal.
        return g["raw_means"][i] + g["raw_chol"][i] @ self.rng.standard_normal(self.unit.dim)

    def non_exploratory_sample(self) -> np.ndarray:
        """A task from the fitted mixture, without the uniform share.

        :raises NotImplementedError: before the first fit (there is no curriculum yet).
        """
        if self._gmm is None:
            raise NotImplementedError(f"{type(self).__name__} has no mixture before its first fit ({self.fit_rate} episodes)")
        return self._finalize_task(self._sample_gmm())

    def _set_gmm(self, fit: GaussianMixtureFit, lp: np.ndarray) -> None:
        """Keep ``fit`` (unit space) with per-component learning progress ``lp`` (>= 0)."""
        d = self.unit.dim
        lp = np.maximum(np.asarray(lp, dtype=np.float64), 0.0)
        top = lp.max()
        # Relative to the largest, so the cumulative sum cannot overflow for any finite LPs;
        # no progress anywhere: follow the data.
        p = lp / top if top > 0 else fit.weights
        task_cov = fit.covariances[:, :d, :d]
        self._gmm = {
            "weights": fit.weights, "means": fit.means[:, :d], "cov": task_cov, "lp": lp,
            "raw_means": self.unit.low + fit.means[:, :d] * self.unit.range,
            "raw_chol": self.unit.range[:, None] * np.linalg.cholesky(task_cov),
            "cum_p": np.cumsum(p).tolist(),
        }
        self.n_fits += 1

    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        g = values["_gmm"]
        if g is not None:
            k = len(g["weights"])
            sizes = {name: len(v) for name, v in g.items()}
            if k < 1 or any(n != k for n in sizes.values()):
                raise ValueError(f"{type(self).__name__}: state field '_gmm' has inconsistent component counts {sizes}")

    def _fit(self, X: np.ndarray) -> GaussianMixtureFit:
        return select_gmm(X, self.potential_ks, self.criterion, self.rng, self.nb_em_init)

    def internals(self) -> dict[str, Any]:
        """``{"gmm": {means, covariances, weights, lp}}`` in raw task units (task dimensions
        only); empty lists before the first fit."""
        if self._gmm is None:
            return {"gmm": {"means": [], "covariances": [], "weights": [], "lp": []}}
        g, r = self._gmm, self.unit.range
        return {
            "gmm": {
                "means": self.unit.from_unit(g["means"]).tolist(),
                "covariances": (g["cov"] * r[:, None] * r[None, :]).tolist(),
                "weights": g["weights"].tolist(),
                "lp": g["lp"].tolist(),
            }
        }
