"""SEC: self-evolving curriculum (Chen et al. 2025, arXiv 2505.14970).

Each arm (a problem category) keeps a value ``Q``. After an episode on arm ``c`` with
learnability reward ``r`` (SEC: the mean absolute advantage of the category's rollouts):

    Q(c) ← α · r + (1 − α) · Q(c)          (TD(0) with step size α)

and arms are sampled by Boltzmann exploration, ``p(c) ∝ exp(Q(c) / τ)``.

Defaults ``α = 0.1``, ``τ = 1.0``, ``Q₀ = 0`` are those of the same group's port
(ServiceNow/PipelineRL ``curriculum/bandit.py``); the paper's own values were not found.
The paper updates each arm once per training batch with the batch mean; here every episode
is one TD step on its arm (``k`` episodes of one arm in a batch are ``k`` steps).
``τ`` is in score units: with signals in ``[0, 1]`` (e.g. normalized advantages) τ = 1
gives mild preferences; lower it, or feed larger-scale signals, for sharper ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.arms import POSITIVE, ArmTeacher, stable_softmax
from teachers.progress.arms import mix
from teachers.registry import register
from teachers.state import Array, StateField
from teachers.validation import Interval, Real

__all__ = ["SECTeacher"]


@register("sec")
class SECTeacher(ArmTeacher):
    """TD(0) arm values with Boltzmann sampling.

    :param task_space: ``Discrete``, ``MultiDiscrete``, or a 1-D ``Box`` cut into ``bins``.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]``.
    :param bins: ``Box`` only: cells per dimension (default 5).
    :param arm_names: optional label per arm.
    :param alpha: TD step size α in ``(0, 1]`` (default 0.1).
    :param temperature: Boltzmann temperature τ (default 1.0).
    :param q_init: initial value Q₀ of every arm (default 0.0).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "alpha": [Interval(Real, 0, 1, closed="right")],
        "temperature": POSITIVE,
        "q_init": [Interval(Real, None, None)],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {"q": Array("f", ("n_arms",))}

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        bins: int | Sequence[int] | None = None,
        arm_names: Sequence[str] | None = None,
        alpha: float = 0.1,
        temperature: float = 1.0,
        q_init: float = 0.0,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range, bins=bins, arm_names=arm_names)
        self.alpha = alpha
        self.temperature = temperature
        self.q_init = q_init
        self.q = np.full(self.n_arms, self.q_init, dtype=np.float64)

    def arm_probabilities(self) -> np.ndarray:
        return stable_softmax(self.q, self.temperature)

    def _update_arm(self, arm: int, score: float) -> None:
        self.q[arm] = mix(float(self.q[arm]), score, self.alpha)

    def internals(self) -> dict[str, Any]:
        out = super().internals()
        if "probabilities" in out:
            out["q"] = [float(v) for v in self.q]
        return out
