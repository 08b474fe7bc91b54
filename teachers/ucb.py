"""UCB distribution scheduler of DUMP (Wang et al. 2025, arXiv 2504.09710).

Per arm ``j`` (a task distribution): ``L_j`` = mean learnability signal over the arm's last
``window`` samples, ``n_j`` = its cumulative sample count, ``N = Σ n_j``;

    UCB_j = L_j + c · sqrt(2 · ln(N + 1) / (n_j + 1)),       p = softmax(UCB / τ).

DUMP's signal is the mean absolute advantage of a sample; with SB3 use the curriculum
loop's ``score="advantage"`` (the episode's mean |GAE|). The teacher uses the score as
given (after ``reward_range``, if any), so any non-negative learnability signal works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.arms import POSITIVE, ArmTeacher, stable_softmax
from teachers.progress.arms import ArmWindowTracker
from teachers.registry import register
from teachers.state import Nested, StateField
from teachers.validation import Integral, Interval, Real

__all__ = ["UCBTeacher"]


@register("ucb")
class UCBTeacher(ArmTeacher):
    """DUMP's UCB scheduler over arms with softmax sampling.

    Probabilities are recomputed at every :meth:`sample` (DUMP recomputes them after each
    training batch; with per-episode updates this is the same rule at a finer grain). Arms
    never sampled have ``L_j = 0`` and the largest exploration bonus.

    :param task_space: ``Discrete``, ``MultiDiscrete``, or a 1-D ``Box`` cut into ``bins``.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]``.
    :param bins: ``Box`` only: cells per dimension (default 5).
    :param arm_names: optional label per arm.
    :param window: samples per arm in the learnability mean (DUMP: 300).
    :param c: exploration coefficient of the UCB bonus (DUMP: 1.0).
    :param temperature: softmax temperature τ (DUMP: 0.1).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "window": [Interval(Integral, 1, None)],
        "c": [Interval(Real, 0, None)],
        "temperature": POSITIVE,
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
        window: int = 300,
        c: float = 1.0,
        temperature: float = 0.1,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range, bins=bins, arm_names=arm_names)
        self.window = window
        self.c = c
        self.temperature = temperature
        self.tracker = ArmWindowTracker(self.n_arms, window=window)

    def ucb_scores(self) -> np.ndarray:
        """``L_j + c·sqrt(2·ln(N+1)/(n_j+1))`` for every arm."""
        n = self.tracker.counts.astype(np.float64)
        bonus = np.sqrt(2.0 * np.log(n.sum() + 1.0) / (n + 1.0))
        with np.errstate(over="ignore"):  # c * bonus may overflow to inf: the softmax's limit
            return self.tracker.means() + self.c * bonus

    def arm_probabilities(self) -> np.ndarray:
        return stable_softmax(self.ucb_scores(), self.temperature)

    def _update_arm(self, arm: int, score: float) -> None:
        self.tracker.update(arm, score)

    def internals(self) -> dict[str, Any]:
        out = super().internals()
        if "probabilities" in out:
            out["ucb"] = [float(v) for v in self.ucb_scores()]
            out["learnability"] = [float(v) for v in self.tracker.means()]
        return out
