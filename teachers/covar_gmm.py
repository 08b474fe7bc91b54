"""Covar-GMM: Gaussian mixtures over (task, time, score); progress = time–score covariance.

Moulin-Frier, Nguyen & Oudeyer, "Self-organization of early vocal development in infants and
machines: the role of intrinsic motivation", Frontiers in Psychology 2014, as adapted by
Portelas et al. (CoRL 2019) as a baseline of ALP-GMM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.gmm import GMMTeacher
from teachers.registry import register
from teachers.state import Array, Int, StateField
from teachers.validation import Boolean

__all__ = ["CovarGMMTeacher"]


@register("covar-gmm")
class CovarGMMTeacher(GMMTeacher):
    """Covar-GMM.

    Every episode is stored as (task, t, score) with ``t = (episode index mod fit_rate) /
    fit_rate``. Every ``fit_rate`` episodes, full-covariance GMMs with ``k`` in
    ``potential_ks`` are fitted on the last ``fit_rate`` points and the best by
    ``criterion`` is kept. A component's learning progress is its time–score covariance,
    clipped at 0 (or its absolute value with ``absolute_lp``); components are picked ∝ it
    (∝ their weights if all are 0). Otherwise it samples like ALP-GMM: uniform before the first
    fit (or from ``initial_dist``) and with probability ``random_task_ratio`` after it.

    Scaling: task coordinates are unit ``[0, 1]^d``, ``t`` is in ``[0, 1)``, and the score
    axis is min–max scaled over the fit window so raw returns cannot swamp the other axes.
    ``internals()["gmm"]["lp"]`` reports the covariance in units of the min–max scaled score
    (so it stays finite for any finite scores).

    :param task_space: a ``Box`` task space.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]``.
    :param fit_rate: episodes between fits, and size of the fitted window. Default 250.
    :param potential_ks: candidate numbers of components. Default 2..10.
    :param criterion: ``"aic"`` (default) or ``"bic"``.
    :param random_task_ratio: share of uniform samples after the first fit. Default 0.2.
    :param nb_em_init: k-means initialisations per ``k``, best kept. Default 1.
    :param initial_dist: optional ``{"mean": ..., "std": ...}`` (raw units) of a diagonal
        Gaussian to sample from before the first fit. Default ``None`` (uniform).
    :param absolute_lp: use ``|covariance|`` instead of ``max(covariance, 0)``. Default False.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"absolute_lp": [Boolean()]}
    state_version: ClassVar[int] = 2
    _state_fields: ClassVar[dict[str, StateField]] = {
        # (task, t, score) of the episodes since the last fit; the first _n_pending are used.
        "_points": Array("f", ("fit_rate", lambda t: t.unit.dim + 2)),
        "_n_pending": Int(low=0, below="fit_rate"),
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
        absolute_lp: bool = False,
    ) -> None:
        super().__init__(
            task_space, seed, reward_range, fit_rate, potential_ks, criterion, random_task_ratio, nb_em_init, initial_dist
        )
        self.absolute_lp = absolute_lp
        self._points = np.zeros((self.fit_rate, self.unit.dim + 2))  # (task, t, score) since the last fit
        self._n_pending = 0

    def _update(self, task: np.ndarray, score: float) -> None:
        row = self._points[self._n_pending]
        row[:-2] = self.unit.to_unit(task)
        row[-2] = (self.n_updates % self.fit_rate) / self.fit_rate  # n_updates: this episode's index
        row[-1] = score
        self._n_pending += 1
        if self._n_pending == self.fit_rate:
            self._n_pending = 0
            X = self._points.copy()
            # Min-max scale the score axis; halves keep hi - lo finite for any finite scores.
            lo, hi = X[:, -1].min() / 2, X[:, -1].max() / 2
            X[:, -1] = (X[:, -1] / 2 - lo) / (hi - lo) if hi > lo else 0.0
            fit = self._fit(X)
            # LP in units of the scaled score axis: sampling is proportional, so the scale is moot.
            covar = fit.covariances[:, -2, -1]
            self._set_gmm(fit, np.abs(covar) if self.absolute_lp else np.maximum(covar, 0.0))
