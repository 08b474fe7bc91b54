"""Prioritized Level Replay (Jiang, Grefenstette & Rocktäschel 2021; Robust PLR, Jiang et al. 2021).

Each *level* (an arm: a seed, a named level, a parameter bin) seen so far has a score
``S_i`` and a staleness ``C_i`` (samples since it was last drawn). Replay distribution:

    P_S(i) ∝ h(S_i)^(1/β),  h(S) = 1 / rank(S)  (rank 1 = highest score; "power": h(S) = S)
    P_C(i) ∝ C_i
    P_replay = (1 − ρ) · P_S + ρ · P_C

At every sample the teacher *replays* a seen level from ``P_replay`` with probability
``replay_prob`` (Robust PLR's fixed schedule; original PLR's "proportionate" schedule
replays with the fraction of levels seen), and otherwise draws a new, unseen level
uniformly. With no seen level it draws a new one; with no unseen level it replays.

The score is **the value passed to** ``update()``: PLR scores a level by its ``value_l1``
(mean |GAE| over the episode's steps; the curriculum loop's ``score="advantage"``) or by
Robust PLR's positive value loss (mean max(GAE, 0)), computed by the caller. A level's
new score replaces the old one (the reference's ``alpha = 1``; ``score_alpha < 1`` gives an
EMA). Defaults β = 0.1 and ρ = 0.1 are the paper's Procgen settings, ``replay_prob`` 0.5 the
Robust-PLR configs (dcd Bipedal/CarRacing/MiniGrid) and Syllabus' default.

Levels: a fixed set ``Discrete(n)`` (e.g. Procgen's 200 training seeds), or an unbounded
stream of seeds as ``Discrete(2**31)``: per-level state is kept only for seen levels (a
dict), a new level is a uniformly drawn unseen seed, and ``buffer_size`` bounds the memory
as Robust PLR's level buffer (a new level replaces the lowest-scored one when it scores
higher). ``MultiDiscrete`` and binned ``Box`` spaces work too (their arms are the levels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.arms import MAX_LOGGED_ARMS, POSITIVE, PROBABILITY, ArmTeacher, sample_index
from teachers.progress.arms import mix
from teachers.registry import register
from teachers.state import DictOf, Float, Int, StateField
from teachers.validation import Integral, Interval, Options, Real

__all__ = ["PLRTeacher", "rank_weights"]

_TRANSFORMS = ("rank", "power")
_SCHEDULES = ("fixed", "proportionate")


def rank_weights(scores: np.ndarray, temperature: float, transform: str = "rank") -> np.ndarray:
    """Normalized score prioritization ``h(S)^(1/β)`` (ties ranked by position, first highest).

    :param scores: one score per seen level.
    :param temperature: β.
    :param transform: ``"rank"`` (h = 1/rank) or ``"power"`` (h = S, scores must be ≥ 0).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if transform == "rank":
        order = np.argsort(-scores, kind="stable")
        ranks = np.empty(len(scores), dtype=np.float64)
        ranks[order] = np.arange(1, len(scores) + 1)
        h = 1.0 / ranks
    elif transform == "power":
        h = np.maximum(scores, 0.0)
        top = h.max(initial=0.0)
        h = h / top if top > 0 else h  # h**(1/β) of raw scores overflows; the weights are relative
    else:
        raise ValueError(f"score transform {transform!r} is not one of {_TRANSFORMS}")
    w = h ** (1.0 / temperature)
    z = w.sum()
    return w / z if z > 0 else np.full(len(scores), 1.0 / len(scores))


@register("plr")
class PLRTeacher(ArmTeacher):
    """Prioritized Level Replay over the arms of a discrete (or binned) task space.

    :param task_space: ``Discrete`` (levels or seeds), ``MultiDiscrete``, or a binned ``Box``.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: optional ``(lo, hi)`` mapping scores to ``[0, 1]``.
    :param bins: ``Box`` only: cells per dimension (default 5).
    :param arm_names: optional label per level.
    :param temperature: β of the score prioritization (0.1).
    :param staleness_coef: ρ, weight of the staleness distribution (0.1).
    :param replay_prob: probability of replaying a seen level under the fixed schedule (0.5).
    :param replay_schedule: ``"fixed"`` (Robust PLR) or ``"proportionate"`` (original PLR:
        replay probability = fraction of levels seen).
    :param score_transform: ``"rank"`` (default) or ``"power"``.
    :param score_alpha: a level's score becomes ``(1 − a)·old + a·new`` (1.0: replaced).
    :param buffer_size: at most this many seen levels are kept (``None``: all).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "temperature": POSITIVE,
        "staleness_coef": PROBABILITY,
        "replay_prob": PROBABILITY,
        "replay_schedule": [Options(_SCHEDULES)],
        "score_transform": [Options(_TRANSFORMS)],
        "score_alpha": [Interval(Real, 0, 1, closed="right")],
        "buffer_size": [None, Interval(Integral, 1, None)],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "scores": DictOf(Int(low=0, below="n_arms"), Float()),
        "last_sampled": DictOf(Int(low=0, below="n_arms"), Int(low=0)),
        "clock": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Space,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        bins: int | Sequence[int] | None = None,
        arm_names: Sequence[str] | None = None,
        temperature: float = 0.1,
        staleness_coef: float = 0.1,
        replay_prob: float = 0.5,
        replay_schedule: str = "fixed",
        score_transform: str = "rank",
        score_alpha: float = 1.0,
        buffer_size: int | None = None,
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range, bins=bins, arm_names=arm_names)
        self.temperature = temperature
        self.staleness_coef = staleness_coef
        self.replay_prob = replay_prob
        self.replay_schedule = replay_schedule
        self.score_transform = score_transform
        self.score_alpha = score_alpha
        self.buffer_size = buffer_size
        # Seen levels only (insertion-ordered, so deterministic): arm -> score.
        self.scores: dict[int, float] = {}
        # Arm -> sample clock when last drawn; staleness = clock - last (0 before any draw).
        self.last_sampled: dict[int, int] = {}
        self.clock = 0

    # ------------------------------------------------------------------ distributions
    def replay_distribution(self) -> tuple[list[int], np.ndarray]:
        """Seen levels and ``(1 − ρ)·P_S + ρ·P_C`` over them."""
        levels = list(self.scores)
        if not levels:
            return levels, np.zeros(0)
        p_s = rank_weights(np.fromiter(self.scores.values(), float, len(levels)), self.temperature, self.score_transform)
        if self.staleness_coef == 0:
            return levels, p_s
        stale = np.array([self.clock - self.last_sampled.get(a, 0) for a in levels], dtype=np.float64)
        total = stale.sum()
        p_c = stale / total if total > 0 else np.full(len(levels), 1.0 / len(levels))
        return levels, (1.0 - self.staleness_coef) * p_s + self.staleness_coef * p_c

    def current_replay_prob(self) -> float:
        """Probability that the next sample replays a seen level."""
        n_seen = len(self.scores)
        if n_seen == 0:
            return 0.0
        if n_seen >= self.n_arms:
            return 1.0
        if self.replay_schedule == "proportionate":
            return n_seen / self.n_arms
        return self.replay_prob

    def arm_probabilities(self) -> np.ndarray:
        """Marginal probability of every level at the next sample (dense: small sets only)."""
        p = np.zeros(self.n_arms)
        levels, p_replay = self.replay_distribution()
        q = self.current_replay_prob()
        if levels:
            p[levels] = q * p_replay
        n_unseen = self.n_arms - len(levels)
        if n_unseen:
            unseen = np.ones(self.n_arms, dtype=bool)
            unseen[levels] = False
            p[unseen] = (1.0 - q) / n_unseen
        return p

    # ------------------------------------------------------------------ sampling
    def _draw_unseen(self) -> int:
        n, seen = self.n_arms, self.scores
        if len(seen) < n // 2:
            # Rejection sampling: fewer than 2 draws on average; works for 2**31 seeds.
            while True:
                arm = int(self.rng.integers(n))
                if arm not in seen:
                    return arm
        unseen = np.setdiff1d(np.arange(n), np.fromiter(seen, np.int64, len(seen)))
        return int(unseen[self.rng.integers(len(unseen))])

    def _sample(self) -> Any:
        if self.rng.random() < self.current_replay_prob():
            levels, p = self.replay_distribution()
            arm = levels[sample_index(p, self.rng)]
        else:
            arm = self._draw_unseen()
        self.clock += 1
        self.last_sampled[arm] = self.clock
        return self.arms.task_of(arm, self.rng)

    def _update_arm(self, arm: int, score: float) -> None:
        if arm in self.scores:
            self.scores[arm] = mix(self.scores[arm], score, self.score_alpha)
            return
        if self.buffer_size is not None and len(self.scores) >= self.buffer_size:
            worst = min(self.scores, key=self.scores.__getitem__)
            if score <= self.scores[worst]:
                # Robust PLR: a new level enters a full buffer only if it scores higher.
                self.last_sampled.pop(arm, None)
                return
            del self.scores[worst]
            self.last_sampled.pop(worst, None)
        self.scores[arm] = score

    def non_exploratory_sample(self) -> Any:
        """The seen level with the highest replay probability (a uniform level if none)."""
        levels, p = self.replay_distribution()
        arm = levels[int(np.argmax(p))] if levels else 0
        return self._finalize_task(self.arms.task_of(arm))

    def internals(self) -> dict[str, Any]:
        """Dense per-level probabilities for small sets; for larger ones the replay buffer.

        Large sets: ``{"probabilities": P_replay over seen levels, "arms": their labels,
        "replay_prob": q, "n_arms": n}``.
        """
        if self.n_arms <= MAX_LOGGED_ARMS:
            out = super().internals()
            out["scores"] = [self.scores.get(a) for a in range(self.n_arms)]
            return out
        levels, p = self.replay_distribution()
        return {
            "probabilities": [float(v) for v in p],
            "arms": [self.arms.label(a) for a in levels],
            "replay_prob": self.current_replay_prob(),
            "n_arms": self.n_arms,
        }
