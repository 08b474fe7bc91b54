"""SPDL: Self-Paced Deep RL (Klink et al. 2020, 2021), version 2, in numpy/scipy.

The curriculum is a Gaussian over tasks, p = N(m, L Lᵀ) with a full lower-triangular
Cholesky factor L. Episodes are buffered as (task, V(s0)): the student's value estimate of
the episode's first observation (feedback ``"value"``). Every ``update_frequency`` env steps
(feedback ``"steps"``), once ``update_offset`` steps have passed, the distribution is
updated from the buffer (SPDL v2, ``self_paced_teacher_v2.py`` of psclklnk/spdl):

- while the importance-weighted performance J(p) = mean_i[p(c_i)/p_old(c_i)·V_i] of the old
  distribution is below ``perf_lb`` (δ), and δ was never reached: maximise J(p) subject to
  KL(p_old ‖ p) ≤ ``max_kl`` (the trust region);
- once J(p_old) ≥ δ: minimise KL(p ‖ μ) to the target μ subject to J(p) ≥ δ and the trust
  region; if J later drops below δ again, the distribution stays where it is (as in v2).

Optimizer: scipy's SLSQP with analytic gradients (the reference uses trust-constr with torch
autograd; SLSQP solves the same small problem, d + d(d+1)/2 variables, in milliseconds). A
result is kept only if it satisfies the constraints and improves the objective, otherwise
the old distribution stays (as the reference does for unsuccessful optimizations).

Coordinates: the teacher works in the unit cube of the task space (KL divergences and
importance ratios are invariant under the affine map, so ``max_kl`` means the same); samples
are clipped into the space, as in the reference. Values are in the student's return units
(discounted, as a critic estimates them), so ``perf_lb`` is in those units too.

Buffer: as TeachMyAgent's ``SelfPacedTeacher`` (``max_context_buffer_size=1000``,
``reset_contexts=True``), the last ``buffer_size`` episodes are kept and the buffer is
emptied at each update. TeachMyAgent stores each episode's initial state and evaluates the
critic on all of them at update time; here V(s0) is taken when the episode ends (the loop's
``"value"`` feedback), so a value may be up to ``update_frequency`` steps older than the
critic at update time.

Expert knowledge: ``initial_dist`` / ``target_dist`` (diagonal Gaussians in raw units).
Without them, as TeachMyAgent's ``AbstractTeacher.create_dist_from_bounds``: the initial
distribution is centred at a uniformly random point with std 10% of each range (a "random
subspace"), the target is centred in the space with std 25% of each range.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from scipy.optimize import minimize

from teachers.base import DIST_CONSTRAINT, Teacher
from teachers.registry import register
from teachers.state import Array, Float, Int, StateField
from teachers.validation import Integral, Interval, Real, Satisfies

__all__ = ["SPDLTeacher", "gaussian_kl"]


def _is_std_floor(value: Any) -> bool:
    arr = np.asarray(value, dtype=np.float64)
    return arr.ndim == 1 and arr.size > 0 and bool(np.all(np.isfinite(arr) & (arr > 0)))


class _Gaussian:
    """N(m, L Lᵀ) from a flat parameter vector ``[m, log diag(L), strictly-lower(L)]``."""

    def __init__(self, d: int) -> None:
        self.d = d
        self.rows, self.cols = np.tril_indices(d, -1)

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self.d
        chol = np.zeros((d, d))
        chol[np.diag_indices(d)] = np.exp(x[d : 2 * d])
        chol[self.rows, self.cols] = x[2 * d :]
        return x[:d], chol

    def pack(self, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
        return np.concatenate([mean, np.log(np.diag(chol)), chol[self.rows, self.cols]])

    def grad_pack(self, g_mean: np.ndarray, g_chol: np.ndarray, chol: np.ndarray) -> np.ndarray:
        """Chain rule from (∂/∂m, ∂/∂L) to the flat parameters (∂L_ii/∂θ_i = L_ii)."""
        return np.concatenate([g_mean, np.diag(g_chol) * np.diag(chol), g_chol[self.rows, self.cols]])

    def log_pdf(self, x: np.ndarray, c: np.ndarray) -> np.ndarray:
        mean, chol = self.unpack(x)
        z = np.linalg.solve(chol, (c - mean).T)  # (d, n)
        return -0.5 * (z * z).sum(axis=0) - np.log(np.diag(chol)).sum() - 0.5 * self.d * np.log(2 * np.pi)

    def log_pdf_grad(self, x: np.ndarray, c: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Σ_i weights_i ∇_x log p_x(c_i)."""
        mean, chol = self.unpack(x)
        inv = np.linalg.inv(chol)
        z = inv @ (c - mean).T  # (d, n)
        g_mean = inv.T @ (z @ weights)
        g_chol = np.tril(inv.T @ ((z * weights) @ z.T)) - weights.sum() * np.diag(1.0 / np.diag(chol))
        return self.grad_pack(g_mean, g_chol, chol)


def gaussian_kl(m0: np.ndarray, chol0: np.ndarray, m1: np.ndarray, chol1: np.ndarray) -> float:
    """KL(N(m0, L0 L0ᵀ) ‖ N(m1, L1 L1ᵀ))."""
    inv1 = np.linalg.inv(chol1)
    mm = inv1 @ chol0
    z = inv1 @ (m1 - m0)
    logdet = 2.0 * (np.log(np.diag(chol1)).sum() - np.log(np.diag(chol0)).sum())
    return float(0.5 * ((mm * mm).sum() + z @ z - len(m0) + logdet))


def _kl_grad_second(m0, chol0, m1, chol1) -> tuple[np.ndarray, np.ndarray]:
    """(∂/∂m1, ∂/∂L1) of KL(N0 ‖ N1)."""
    inv1 = np.linalg.inv(chol1)
    mm = inv1 @ chol0
    z = inv1 @ (m1 - m0)
    g_mean = inv1.T @ z
    g_chol = np.tril(-inv1.T @ (mm @ mm.T + np.outer(z, z)) + np.diag(1.0 / np.diag(chol1)))
    return g_mean, g_chol


def _kl_grad_first(m0, chol0, m1, chol1) -> tuple[np.ndarray, np.ndarray]:
    """(∂/∂m0, ∂/∂L0) of KL(N0 ‖ N1)."""
    inv1 = np.linalg.inv(chol1)
    prec1 = inv1.T @ inv1
    g_mean = prec1 @ (m0 - m1)
    g_chol = np.tril(prec1 @ chol0 - np.diag(1.0 / np.diag(chol0)))
    return g_mean, g_chol


@register("spdl")
class SPDLTeacher(Teacher):
    """SPDL v2 (Klink et al. 2021): a Gaussian curriculum moved toward a target distribution
    while the student's expected value stays above a threshold.

    Needs the feedback ``"value"`` (V(s0) of each episode, from an on-policy critic or a
    simulated student) and ``"steps"`` (episode lengths: updates are scheduled in env steps).

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional score normalization (scores are not used by SPDL; values
        are read in raw units).
    :param initial_dist: the initial curriculum ``{"mean", "std"}`` in raw units; ``None``:
        TeachMyAgent's random subspace (uniform mean, std 10% of each range).
    :param target_dist: the target distribution μ ``{"mean", "std"}`` in raw units; ``None``:
        TeachMyAgent's whole-space Gaussian (centre, std 25% of each range).
    :param perf_lb: δ, the value threshold (student return units). Default 4.0, CURROT's
        point-mass setting for SPDL ([CO], psclklnk/currot); set it per environment.
    :param max_kl: ε, the trust region KL(p_old ‖ p) ≤ ε per update. Default 0.25 ([CO]
        point-mass; [SP] uses 0.05, TeachMyAgent's benchmark 0.1).
    :param update_frequency: env steps between updates. Default 50 000 (TeachMyAgent's
        benchmark scripts for Self-Paced).
    :param update_offset: env steps before the first update. Default 200 000 (TeachMyAgent's
        benchmark scripts).
    :param buffer_size: most recent episodes kept for an update; the buffer is emptied at
        every update. Default 1000 (TeachMyAgent's ``max_context_buffer_size``).
    :param std_lower_bound: optional per-dimension floor (raw units) on the Cholesky
        diagonal, active while KL(p ‖ μ) > ``kl_threshold`` (SPDL v2's std floor; [SP]
        point-mass uses (0.2, 0.1875) with threshold 8000). ``None``: no floor.
    :param kl_threshold: see ``std_lower_bound``. Default 8000 ([SP]).
    """

    requires = frozenset({"value", "steps"})
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "initial_dist": DIST_CONSTRAINT,
        "target_dist": DIST_CONSTRAINT,
        "perf_lb": [Interval(Real, None, None)],
        "max_kl": [Interval(Real, 0, None, closed="neither")],
        "update_frequency": [Interval(Integral, 1, None)],
        "update_offset": [Interval(Integral, 0, None)],
        "buffer_size": [Interval(Integral, 2, None)],
        "std_lower_bound": [None, Satisfies(_is_std_floor, "None or a list of positive reals, one per dimension")],
        "kl_threshold": [Interval(Real, 0, None)],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "params_x": Array("f", (lambda t: 2 * t.unit.dim + t.unit.dim * (t.unit.dim - 1) // 2,)),
        "buffer": Array("f", (None, lambda t: t.unit.dim + 1)),  # rows: unit task ⊕ V(s0)
        "n_steps": Int(low=0),
        "next_update": Int(low=0),
        "n_distribution_updates": Int(low=0),
        "perf_reached": Int(low=0, high=1),
        "last_performance": Float(),
    }

    def __init__(
        self,
        task_space: spaces.Box,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        initial_dist: dict[str, Any] | None = None,
        target_dist: dict[str, Any] | None = None,
        perf_lb: float = 4.0,
        max_kl: float = 0.25,
        update_frequency: int = 50_000,
        update_offset: int = 200_000,
        buffer_size: int = 1000,
        std_lower_bound: list[float] | None = None,
        kl_threshold: float = 8000.0,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.initial_dist = initial_dist
        self.target_dist = target_dist
        self.perf_lb = float(perf_lb)
        self.max_kl = float(max_kl)
        self.update_frequency = int(update_frequency)
        self.update_offset = int(update_offset)
        self.buffer_size = int(buffer_size)
        self.std_lower_bound = None if std_lower_bound is None else [float(v) for v in std_lower_bound]
        self.kl_threshold = float(kl_threshold)

        d = self.unit.dim
        self._gauss = _Gaussian(d)
        span = self.unit.high - self.unit.low
        init = self.check_dist(initial_dist, "initial_dist")
        if init is None:  # TeachMyAgent: random subspace, std 10% of the range
            init_mean, init_std = self.rng.random(d), np.full(d, 0.1)
        else:
            init_mean, init_std = self.unit.to_unit(init[0]), init[1] / span
        target = self.check_dist(target_dist, "target_dist")
        if target is None:  # TeachMyAgent: whole space, std 25% of the range
            target_mean, target_std = np.full(d, 0.5), np.full(d, 0.25)
        else:
            target_mean, target_std = self.unit.to_unit(target[0]), target[1] / span
        self._target = (target_mean, np.diag(target_std))
        if self.std_lower_bound is not None:
            if len(self.std_lower_bound) != d:
                raise ValueError(
                    f"SPDLTeacher: std_lower_bound has {len(self.std_lower_bound)} entries, the task space {d} "
                    f"({self.std_lower_bound!r})"
                )
            self._std_floor = np.asarray(self.std_lower_bound) / span
        else:
            self._std_floor = None
        self.params_x = self._gauss.pack(init_mean, np.diag(init_std))
        self.buffer = np.zeros((0, d + 1))
        self.n_steps = 0
        self.next_update = self.update_offset
        self.n_distribution_updates = 0
        self.perf_reached = 0
        self.last_performance = float("nan")

    # ------------------------------------------------------------------ Teacher hooks
    def _sample(self) -> np.ndarray:
        mean, chol = self._gauss.unpack(self.params_x)
        return self.unit.from_unit(mean + chol @ self.rng.standard_normal(self.unit.dim))

    def non_exploratory_sample(self) -> np.ndarray:
        """The mean of the current curriculum (clipped into the space)."""
        return self._finalize_task(self.unit.from_unit(self._gauss.unpack(self.params_x)[0]))

    def _update(self, task: np.ndarray, score: float, steps: int, value: float) -> None:
        row = np.append(self.unit.to_unit(task), value)
        self.buffer = np.vstack([self.buffer[-(self.buffer_size - 1) :], row[None]])
        self.n_steps += steps
        if self.n_steps >= self.next_update:
            # one update per crossing episode, then the next multiple of update_frequency
            passed = (self.n_steps - self.update_offset) // self.update_frequency + 1
            self.next_update = self.update_offset + passed * self.update_frequency
            if len(self.buffer) >= 2:
                self._update_distribution(self.buffer[:, :-1], self.buffer[:, -1])
                self.buffer = np.zeros((0, self.unit.dim + 1))

    # ------------------------------------------------------------------ SPDL v2
    def target_kl(self) -> float:
        """KL(p ‖ μ) of the current curriculum to the target."""
        mean, chol = self._gauss.unpack(self.params_x)
        return gaussian_kl(mean, chol, *self._target)

    def _update_distribution(self, contexts: np.ndarray, values: np.ndarray) -> None:
        # Values and δ are divided by one scale (the problem is unchanged), so returns of any
        # magnitude stay finite in the optimizer.
        scale = max(1.0, float(np.max(np.abs(values))))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self._optimize(contexts, values / scale, self.perf_lb / scale, scale)

    def _optimize(self, contexts: np.ndarray, values: np.ndarray, perf_lb: float, scale: float) -> None:
        g = self._gauss
        x0 = self.params_x.copy()
        m_old, chol_old = g.unpack(x0)
        log_p_old = g.log_pdf(x0, contexts)
        n = len(values)
        m_t, chol_t = self._target

        def perf(x):
            return float(np.mean(np.exp(g.log_pdf(x, contexts) - log_p_old) * values))

        def perf_grad(x):
            w = np.exp(g.log_pdf(x, contexts) - log_p_old) * values / n
            return g.log_pdf_grad(x, contexts, w)

        def trust(x):  # >= 0 inside the trust region
            m, chol = g.unpack(x)
            return self.max_kl - gaussian_kl(m_old, chol_old, m, chol)

        def trust_grad(x):
            m, chol = g.unpack(x)
            return -g.grad_pack(*_kl_grad_second(m_old, chol_old, m, chol), chol)

        def target_kl(x):
            m, chol = g.unpack(x)
            return gaussian_kl(m, chol, m_t, chol_t)

        def target_kl_grad(x):
            m, chol = g.unpack(x)
            return g.grad_pack(*_kl_grad_first(m, chol, m_t, chol_t), chol)

        # Bounds keep the optimizer's trial points well-conditioned (a Cholesky diagonal in
        # [1e-6, 1e3] of the unit range); the std floor raises the lower one.
        d = self.unit.dim
        lb, ub = np.full_like(x0, -np.inf), np.full_like(x0, np.inf)
        lb[d : 2 * d], ub[d : 2 * d] = np.log(1e-6), np.log(1e3)
        if self._std_floor is not None and target_kl(x0) > self.kl_threshold:
            lb[d : 2 * d] = np.maximum(lb[d : 2 * d], np.log(self._std_floor))
        x0 = np.clip(x0, lb, ub)
        bounds = [(lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None) for lo, hi in zip(lb, ub, strict=True)]
        perf0 = perf(x0)
        if not np.isfinite(perf0):
            return
        self.last_performance = perf0 * scale
        constraints = [{"type": "ineq", "fun": trust, "jac": trust_grad}]
        if perf0 >= perf_lb:
            self.perf_reached = 1
            objective, gradient = target_kl, target_kl_grad
            constraints.append({"type": "ineq", "fun": lambda x: perf(x) - perf_lb, "jac": perf_grad})
        elif not self.perf_reached:
            objective, gradient = (lambda x: -perf(x)), (lambda x: -perf_grad(x))
        else:
            return  # δ was reached once and is lost: v2 waits for the student
        try:
            x = minimize(objective, x0, jac=gradient, method="SLSQP", bounds=bounds, constraints=constraints,
                         options={"maxiter": 100, "ftol": 1e-8}).x
            ok = (
                bool(np.all(np.isfinite(x)))
                and bool(np.all(x >= lb - 1e-9) and np.all(x <= ub + 1e-9))
                and all(c["fun"](x) >= -1e-6 for c in constraints)
                and objective(x) < objective(x0)
            )
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            ok = False  # a failed optimization keeps the old distribution, as in v2
        if ok:
            self.params_x = np.asarray(x, dtype=np.float64)
            self.n_distribution_updates += 1

    # ------------------------------------------------------------------ introspection
    def internals(self) -> dict[str, Any]:
        """``"gaussian"``: the curriculum's ``mean`` and ``covariance`` in raw units, its
        ``target_kl``, the importance-weighted ``performance`` at the last update and
        whether δ was reached; ``"gmm"``: the same Gaussian as a one-component mixture
        (for the GMM plots)."""
        mean, chol = self._gauss.unpack(self.params_x)
        span = self.unit.high - self.unit.low
        cov = (chol @ chol.T) * np.outer(span, span)
        raw_mean = self.unit.low + mean * span
        perf = float(self.last_performance) if np.isfinite(self.last_performance) else None
        return {
            "gaussian": {"mean": raw_mean.tolist(), "covariance": cov.tolist(), "target_kl": self.target_kl(),
                         "performance": perf, "perf_reached": bool(self.perf_reached),
                         "updates": self.n_distribution_updates},
            "gmm": {"means": [raw_mean.tolist()], "covariances": [cov.tolist()], "weights": [1.0], "lp": [0.0]},
        }
