"""Learnability: sample arms by ``p · (1 − p)`` of their success rate ``p``.

Sampling For Learnability (SFL; Rutherford et al. 2024, "No Regrets: Investigating and
Improving Regret Approximations for Curriculum Discovery") scores a level by ``p(1 − p)``:
zero on levels the agent always or never solves, highest at ``p = 0.5``. For a 0/1 reward
this is the variance of the reward, the quantity GRPO-style advantages measure, but
computed from successes alone, so it does not grow with the reward scale of a level.

SFL and Syllabus' ``Learnability`` estimate ``p`` with periodic evaluation rollouts. This
teacher estimates it online from the training episodes it receives: ``p`` is the mean of the
arm's last ``window`` successes, and an arm never tried counts as ``p = 0.5`` (the highest
learnability, so every arm is tried early). Sampling, as in Syllabus:

- ``"dist"``: probabilities proportional to ``p(1 − p)`` (uniform while every arm scores 0);
- ``"topk"``: uniform over the ``topk`` arms of highest learnability.

Either is mixed with ``uniform_prob`` uniform sampling. Without evaluation rollouts this is
what keeps re-measuring arms whose estimate says 0 or 1: an arm last seen at ``p = 0`` would
otherwise never be sampled again, even after the agent has learned a neighbouring task. The
defaults (``window`` 20, ``uniform_prob`` 0.2, ``"dist"``) are teachrl's, not the paper's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.arms import PROBABILITY, SUCCESS_THRESHOLD, ArmTeacher, to_success
from teachers.progress.arms import ArmWindowTracker
from teachers.registry import register
from teachers.state import Nested, StateField
from teachers.validation import Integral, Interval, Options

__all__ = ["LearnabilityTeacher"]

_SAMPLINGS = ("dist", "topk")


@register("learnability")
class LearnabilityTeacher(ArmTeacher):
    """Arms sampled by the learnability ``p(1 − p)`` of their recent success rate.

    :param task_space: ``Discrete``, ``MultiDiscrete``, or a 1-D ``Box`` cut into ``bins``.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores (returns) to ``[0, 1]``.
    :param bins: ``Box`` only: cells per dimension (default 5).
    :param arm_names: optional label per arm.
    :param window: successes per arm in the estimate of ``p`` (20).
    :param sampling: ``"dist"`` (proportional to learnability) or ``"topk"`` (uniform over
        the ``topk`` most learnable arms).
    :param topk: arms kept by ``"topk"`` (default: a quarter of the arms, at least 1).
    :param uniform_prob: share of uniformly random arms mixed in (0.2).
    :param success_threshold: if given, a score counts as success 1 when ``>=`` it, else 0
        (after ``reward_range`` normalization when that is set); otherwise scores are
        clipped to ``[0, 1]``: pass successes (the curriculum loop's ``score="success"``).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "window": [Interval(Integral, 1, None)],
        "sampling": [Options(_SAMPLINGS)],
        "topk": [None, Interval(Integral, 1, None)],
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
        window: int = 20,
        sampling: str = "dist",
        topk: int | None = None,
        uniform_prob: float = 0.2,
        success_threshold: float | None = None,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range, bins=bins, arm_names=arm_names)
        self.window = window
        self.sampling = sampling
        self.topk = topk
        self.uniform_prob = uniform_prob
        self.success_threshold = success_threshold
        # An arm without data reads p = 0.5: the highest learnability.
        self.tracker = ArmWindowTracker(self.n_arms, window=window, empty_value=0.5)

    def success_rates(self) -> np.ndarray:
        """Mean of each arm's last ``window`` successes (0.5 for arms never tried)."""
        return self.tracker.means()

    def learnability(self) -> np.ndarray:
        """``p(1 − p)`` per arm."""
        p = self.success_rates()
        return p * (1.0 - p)

    def arm_probabilities(self) -> np.ndarray:
        score = self.learnability()
        if self.sampling == "dist":
            focus = score / score.sum() if score.sum() > 0 else np.full(self.n_arms, 1.0 / self.n_arms)
        else:
            k = min(self.topk or max(1, self.n_arms // 4), self.n_arms)
            # stable order: ties go to the lower arm index
            top = np.argsort(-score, kind="stable")[:k]
            focus = np.zeros(self.n_arms)
            focus[top] = 1.0 / k
        return (1.0 - self.uniform_prob) * focus + self.uniform_prob / self.n_arms

    def _update_arm(self, arm: int, score: float) -> None:
        self.tracker.update(arm, to_success(score, self.success_threshold))

    def internals(self) -> dict[str, Any]:
        out = super().internals()
        if "probabilities" in out:
            out["learnability"] = [float(v) for v in self.learnability()]
            out["success_rate"] = [float(v) for v in self.success_rates()]
        return out
