"""Learning-progress curriculum (Kanitscheider et al. 2021, arXiv 2106.14876).

Per arm, a fast and a slow EMA of the success rate (:class:`ArmEMATracker`; the slow one
smooths the fast one, both with step 0.1 as Syllabus' ``ema_alpha``). Before taking their
difference both are *reweighted* to stretch low success rates, where progress on a hard
task would otherwise look tiny:

    f(p) = p · (1 − θ) / (p + θ · (1 − 2p)),      θ = 0.1   (f(0)=0, f(θ)=0.5, f(1)=1)

    LP = |f(p_fast) − f(p_slow)|

Sampling as in the reference implementation (Syllabus ``LearningProgress``): arms with
``LP > 0`` or a non-zero success estimate are kept (the others get probability 0, unless
none is kept); their LPs are z-scored, passed through a sigmoid and normalized. The online
variant mixes in uniform sampling (``uniform_prob``, Syllabus' ``OnlineLearningProgress``
default 0.25), which also lets never-tried arms be discovered.

Scores must be successes in ``[0, 1]``: pass the episode's success (the curriculum loop's
``score="success"``), or map returns with ``reward_range``, or set ``success_threshold``
to turn each score into ``score >= threshold``. Other scores are clipped to ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.arms import PROBABILITY, SUCCESS_THRESHOLD, ArmTeacher, to_success
from teachers.progress.arms import ArmEMATracker
from teachers.registry import register
from teachers.state import Nested, StateField
from teachers.validation import Interval, Real

__all__ = ["LearningProgressTeacher", "lp_probabilities", "reweight"]


def reweight(p: np.ndarray, theta: float) -> np.ndarray:
    """The paper's success reweighting ``p(1−θ) / (p + θ(1−2p))`` (monotone, fixes 0 and 1)."""
    p = np.asarray(p, dtype=np.float64)
    return p * (1.0 - theta) / (p + theta * (1.0 - 2.0 * p))


def lp_probabilities(lp: np.ndarray, success: np.ndarray) -> np.ndarray:
    """Sampling distribution from learning progress: z-score → sigmoid → normalize.

    Arms with zero ``lp`` and zero ``success`` get probability 0 unless every arm does.
    """
    lp = np.asarray(lp, dtype=np.float64)
    keep = (lp > 0) | (np.asarray(success) > 0)
    if not keep.any():
        keep[:] = True
    sub = lp[keep]
    std = sub.std()
    z = (sub - sub.mean()) / (std if std > 0 else 1.0)
    w = 1.0 / (1.0 + np.exp(-z))
    probs = np.zeros_like(lp)
    probs[keep] = w / w.sum()
    return probs


@register("lp")
class LearningProgressTeacher(ArmTeacher):
    """Bidirectional learning progress over arms, from fast/slow success EMAs.

    :param task_space: ``Discrete``, ``MultiDiscrete``, or a 1-D ``Box`` cut into ``bins``.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores (returns) to ``[0, 1]``.
    :param bins: ``Box`` only: cells per dimension (default 5).
    :param arm_names: optional label per arm.
    :param ema_alpha: step size of the fast EMA and of the slow EMA of the fast one (0.1).
    :param p_theta: θ of the reweighting (0.1).
    :param uniform_prob: share of uniformly random arms mixed in (0.25, Syllabus' online LP).
    :param success_threshold: if given, a score counts as success 1 when ``>=`` it, else 0
        (compared after ``reward_range`` normalization when that is set).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "ema_alpha": [Interval(Real, 0, 1, closed="right")],
        "p_theta": [Interval(Real, 0, 0.5, closed="neither")],
        "uniform_prob": PROBABILITY,
        "success_threshold": SUCCESS_THRESHOLD,
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {"tracker": Nested()}

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        bins: int | Sequence[int] | None = None,
        arm_names: Sequence[str] | None = None,
        ema_alpha: float = 0.1,
        p_theta: float = 0.1,
        uniform_prob: float = 0.25,
        success_threshold: float | None = None,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range, bins=bins, arm_names=arm_names)
        self.ema_alpha = ema_alpha
        self.p_theta = p_theta
        self.uniform_prob = uniform_prob
        self.success_threshold = success_threshold
        self.tracker = ArmEMATracker(self.n_arms, fast_alpha=ema_alpha, slow_alpha=ema_alpha)

    def learning_progress(self) -> np.ndarray:
        """``|f(p_fast) − f(p_slow)|`` per arm."""
        t = self.tracker
        return np.abs(reweight(t.fast, self.p_theta) - reweight(t.slow, self.p_theta))

    def arm_probabilities(self) -> np.ndarray:
        p = lp_probabilities(self.learning_progress(), self.tracker.fast)
        return (1.0 - self.uniform_prob) * p + self.uniform_prob / self.n_arms

    def _update_arm(self, arm: int, score: float) -> None:
        self.tracker.update(arm, to_success(score, self.success_threshold))

    def internals(self) -> dict[str, Any]:
        out = super().internals()
        if "probabilities" in out:
            out["lp"] = [float(v) for v in self.learning_progress()]
            out["success_fast"] = [float(v) for v in self.tracker.fast]
        return out
