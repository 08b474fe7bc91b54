"""Simulated bandit students: discrete task sets with known learnability, for teacher benchmarks.

Subclasses of :class:`students.simulated.SimulatedStudent` (``task_space``,
``episode(task) -> (score, success)``, ``mastered_pct()``), plain numpy, no RL.

**Model** (:class:`BanditStudent`). Arm ``a`` has a competence ``c_a = σ(θ_a)``, the
probability that an episode on it succeeds. There are three kinds of arms:

- *learnable*: ``c_a`` starts in ``initial_competence`` (default 0.05–0.5) and every
  episode on the arm adds ``η_a`` (drawn log-uniformly in ``learning_rate``) to ``θ_a``:
  practice helps at a constant rate in logit space, whatever the current competence;
- *unlearnable*: ``c_a = 0`` forever (an infeasible task);
- *mastered*: ``c_a`` starts in 0.95–0.99 (a trivial task; it keeps improving slowly).

An arm is *mastered* when ``c_a ≥ mastery_threshold`` (0.9). Training never transfers
between arms and nothing is forgotten.

**Score** (what a teacher receives): a proxy for the episode's mean |advantage|, the signal
of DUMP, SEC and PLR's ``value_l1``. The reward is ``reward_scale · success`` and the
critic's value estimate is the true expected reward plus Gaussian error
(``value_noise``, clipped to the reward range), so the episode's advantage is

    A = reward_scale · (success − clip(c_a + ε, 0, 1)),   ε ~ N(0, value_noise²),

and ``E|A| ≈ 2·c_a·(1 − c_a)`` (for ``reward_scale`` 1): high on arms the student sometimes
solves, low on unlearnable and mastered arms. This is the premise the advantage-based
teachers rely on; the model does not test whether it holds in real RL, only whether a
teacher exploits it. Note that a learnable arm with a tiny initial competence emits almost
no signal although it is learnable (a real failure mode of these signals).

The score is ``|A|`` scaled as the curriculum loop scales it
(:class:`students.curriculum.CurriculumVecEnv`'s ``advantage_norm``): ``"batch"`` (default)
divides by the standard deviation of the advantages of the last ``batch_size`` episodes (a
rollout buffer's worth, all arms together), which makes the signal unit-free like the GRPO
advantages DUMP and SEC were tuned on; ``"none"`` leaves ``|A|`` in reward units.
:func:`run_bandit_episodes` passes ``success`` instead to teachers that need it (``"lp"``, ``"learnability"``).
"""

from __future__ import annotations

import numbers
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from students.simulated.grid import SimulatedStudent, simulate
from teachers.arms import ArmSpace
from teachers.base import Teacher

__all__ = ["ADVANTAGE_NORMS", "BANDIT_STUDENTS", "BanditStudent", "BoxBanditStudent", "run_bandit_episodes"]


#: Scalings of the score, as in the curriculum loop (``students.curriculum.ADVANTAGE_NORMS``;
#: not imported: ``teachers`` never imports ``students``).
ADVANTAGE_NORMS = ("batch", "none")


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _count(value: Any, what: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return int(value)


def _range(value: Any, what: str, lo: float, hi: float) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be a pair (low, high), got {value!r}") from err
    if not lo < a <= b < hi:
        raise ValueError(f"{what} must satisfy {lo} < low <= high < {hi}, got {value!r}")
    return a, b


class BanditStudent(SimulatedStudent):
    """A student over ``Discrete(n_arms)`` with learnable, unlearnable and mastered arms.

    Arms are shuffled (with the student's seed) so their kind is not given by their index.

    :param seed: seed of the student's RNG (arm draws, successes, value noise).
    :param n_learnable: learnable arms (default 8).
    :param n_unlearnable: arms with competence 0 forever (default 8).
    :param n_mastered: arms already mastered (default 8).
    :param learning_rate: ``(low, high)`` of the per-episode logit gain ``η``, log-uniform
        (default ``(0.01, 0.05)``: 60–600 episodes to master a learnable arm).
    :param initial_competence: ``(low, high)`` of learnable arms' initial competence.
    :param mastery_threshold: competence at which an arm counts as mastered (0.9).
    :param value_noise: std of the critic's error in the score (0.1).
    :param reward_scale: reward of a success; scales ``|A|`` (1.0; no effect on the
        ``"batch"``-normalized score).
    :param advantage_norm: ``"batch"`` (default) or ``"none"``: see the module docstring.
    :param batch_size: episodes in the normalizing window of ``"batch"`` (default 64).
    """

    def __init__(
        self,
        seed: int | None = None,
        n_learnable: int = 8,
        n_unlearnable: int = 8,
        n_mastered: int = 8,
        learning_rate: tuple[float, float] = (0.01, 0.05),
        initial_competence: tuple[float, float] = (0.05, 0.5),
        mastery_threshold: float = 0.9,
        value_noise: float = 0.1,
        reward_scale: float = 1.0,
        advantage_norm: str = "batch",
        batch_size: int = 64,
    ) -> None:
        n_l = _count(n_learnable, "n_learnable")
        n_u = _count(n_unlearnable, "n_unlearnable")
        n_m = _count(n_mastered, "n_mastered")
        if n_l + n_u + n_m == 0:
            raise ValueError("the student needs at least one arm")
        lr_lo, lr_hi = _range(learning_rate, "learning_rate", 0.0, np.inf)
        c_lo, c_hi = _range(initial_competence, "initial_competence", 0.0, 1.0)
        if not 0.0 < float(mastery_threshold) < 1.0:
            raise ValueError(f"mastery_threshold must be in (0, 1), got {mastery_threshold!r}")
        if not float(value_noise) >= 0.0:
            raise ValueError(f"value_noise must be >= 0, got {value_noise!r}")
        if not float(reward_scale) > 0.0:
            raise ValueError(f"reward_scale must be > 0, got {reward_scale!r}")
        if advantage_norm not in ADVANTAGE_NORMS:
            raise ValueError(f"advantage_norm must be one of {list(ADVANTAGE_NORMS)}, got {advantage_norm!r}")
        if _count(batch_size, "batch_size") < 2:
            raise ValueError(f"batch_size must be >= 2, got {batch_size!r}")
        super().__init__(seed)
        self.mastery_threshold = float(mastery_threshold)
        self.value_noise = float(value_noise)
        self.reward_scale = float(reward_scale)
        self.advantage_norm = advantage_norm
        self.batch_size = int(batch_size)
        self._recent = deque(maxlen=self.batch_size)  # signed advantages of the last episodes
        n = n_l + n_u + n_m
        kind = np.array(["learnable"] * n_l + ["unlearnable"] * n_u + ["mastered"] * n_m)
        c0 = np.concatenate([
            self.rng.uniform(c_lo, c_hi, n_l),
            np.zeros(n_u),
            self.rng.uniform(0.95, 0.99, n_m),
        ])
        eta = np.concatenate([
            np.exp(self.rng.uniform(np.log(lr_lo), np.log(lr_hi), n_l)),
            np.zeros(n_u),
            np.full(n_m, lr_lo),
        ])
        order = self.rng.permutation(n)
        #: ``"learnable" | "unlearnable" | "mastered"`` per arm (the initial kind).
        self.kinds = kind[order]
        self.learning_rates = eta[order]
        # Unlearnable arms stay at logit -inf (competence exactly 0).
        with np.errstate(divide="ignore"):
            self.logits = _logit(c0[order])
        self.n_arms = n
        self.task_space: spaces.Space = spaces.Discrete(n)
        self.n_episodes = 0

    # ------------------------------------------------------------------ protocol
    def arm_of(self, task: Any) -> int:
        """Arm index of a task of :attr:`task_space`."""
        arm = int(np.asarray(task).reshape(()))
        if not 0 <= arm < self.n_arms:
            raise ValueError(f"task {task!r} is outside {self.task_space}")
        return arm

    def competence(self) -> np.ndarray:
        """Success probability of every arm."""
        return 1.0 / (1.0 + np.exp(-self.logits))

    def advantage(self, task: Any) -> tuple[float, bool]:
        """Train one episode on ``task``; return (signed advantage ``A`` in reward units, success)."""
        arm = self.arm_of(task)
        c = float(self.competence()[arm])
        success = bool(self.rng.random() < c)
        value = float(np.clip(c + self.value_noise * self.rng.normal(), 0.0, 1.0))
        self.logits[arm] += self.learning_rates[arm]
        self.n_episodes += 1
        return self.reward_scale * (float(success) - value), success

    def episode(self, task: Any) -> tuple[float, bool]:
        """Train one episode on ``task``; return (|advantage| score, scaled as ``advantage_norm``, success)."""
        adv, success = self.advantage(task)
        self._recent.append(adv)
        scale = 1.0
        if self.advantage_norm == "batch" and len(self._recent) > 1:
            std = float(np.std(self._recent))
            scale = std if std > 1e-8 else 1.0
        return abs(adv) / scale, success

    def value(self, tasks: Any) -> np.ndarray:
        """Expected score (success probability) of each task's arm now, noise-free."""
        return np.array([self.competence()[self.arm_of(t)] for t in np.asarray(tasks)], dtype=np.float64)

    def mastered(self) -> np.ndarray:
        """Mask of arms whose competence reached ``mastery_threshold``."""
        return self.competence() >= self.mastery_threshold

    def mastered_pct(self) -> float:
        """% of all arms mastered (the test set is every arm once; no learning)."""
        return 100.0 * float(self.mastered().mean())

    # ------------------------------------------------------------------ benchmark helpers
    def learnable(self) -> np.ndarray:
        """Mask of arms that can be learned and did not start mastered."""
        return self.kinds == "learnable"

    def frontier(self) -> np.ndarray:
        """Mask of learnable arms not yet mastered (where training time is useful)."""
        return self.learnable() & ~self.mastered()


class BoxBanditStudent(BanditStudent):
    """:class:`BanditStudent` behind a continuous task space ``Box([0, 1]^dim)``.

    The unit box is a regular grid of ``grid`` cells per dimension; each cell is one arm
    (``grid**dim`` arms in all, split into the three kinds by the counts, which must add up).
    A teacher with ``bins=grid`` sees exactly these arms.

    :param grid: cells per dimension (default 4).
    :param dim: dimensions of the task space (default 2).
    :param kwargs: the :class:`BanditStudent` parameters.
    """

    def __init__(self, seed: int | None = None, grid: int = 4, dim: int = 2, **kwargs: Any) -> None:
        n = _count(grid, "grid") ** _count(dim, "dim")
        kwargs.setdefault("n_learnable", n // 3)
        kwargs.setdefault("n_unlearnable", n // 3)
        kwargs.setdefault("n_mastered", n - kwargs["n_learnable"] - kwargs["n_unlearnable"])
        if kwargs["n_learnable"] + kwargs["n_unlearnable"] + kwargs["n_mastered"] != n:
            raise ValueError(f"arm counts must add up to grid**dim = {n}, got {kwargs}")
        super().__init__(seed=seed, **kwargs)
        self.task_space = spaces.Box(0.0, 1.0, shape=(int(dim),), dtype=np.float64)
        #: Cells per dimension (``bins`` of a teacher whose arms are these cells).
        self.grid = int(grid)
        self._cells = ArmSpace(self.task_space, bins=self.grid)

    def arm_of(self, task: Any) -> int:
        arr = np.asarray(task, dtype=np.float64)
        if arr.shape != self.task_space.shape or not self.task_space.contains(arr):
            raise ValueError(f"task {task!r} is outside {self.task_space}")
        return self._cells.arm_of(arr)


BANDIT_STUDENTS: dict[str, Callable[..., BanditStudent]] = {
    "bandit": BanditStudent,
    "bandit-box": BoxBanditStudent,
}


class _FrontierRecorder:
    """A :class:`BanditStudent` seen through :func:`students.simulated.simulate`: each episode
    passes the chosen signal to the teacher and records where the sample landed."""

    def __init__(self, student: BanditStudent, warmup: int, signal: str) -> None:
        self.student, self.warmup, self.signal = student, warmup, signal
        self.task_space = student.task_space
        self.learnable = student.learnable()
        self.counts = np.zeros(student.n_arms, dtype=np.int64)
        self.on_frontier = self.counted = self.early_on = self.early_counted = 0
        self.to_master: int | None = None

    def mastered_pct(self) -> float:
        return self.student.mastered_pct()

    def value(self, tasks: Any) -> np.ndarray:
        return self.student.value(tasks)

    def steps(self, task: Any) -> int:
        return self.student.steps(task)

    def episode(self, task: Any) -> tuple[float, bool]:
        arm = self.student.arm_of(task)
        frontier = self.student.frontier()
        episode = int(self.counts.sum())
        if episode >= self.warmup and frontier.any():
            self.counted += 1
            self.on_frontier += bool(frontier[arm])
            if 2 * frontier.sum() >= self.learnable.sum():
                self.early_counted += 1
                self.early_on += bool(frontier[arm])
        self.counts[arm] += 1
        score, success = self.student.episode(task)
        if self.to_master is None and self.student.mastered()[self.learnable].all():
            self.to_master = episode + 1
        return (score if self.signal == "advantage" else float(success)), success


def run_bandit_episodes(
    teacher: Teacher,
    student: BanditStudent,
    n_episodes: int,
    warmup: int = 500,
    signal: str = "advantage",
    eval_every: int | None = None,
) -> dict[str, Any]:
    """Let ``teacher`` train ``student`` for ``n_episodes`` episodes and measure it.

    :param teacher: a teacher over ``student.task_space``.
    :param student: the bandit student (trained in place).
    :param n_episodes: episode budget.
    :param warmup: episodes excluded from the frontier fraction.
    :param signal: ``"advantage"`` (the student's |advantage| score) or ``"success"`` (0/1).
    :param eval_every: record ``mastered_pct`` every this many episodes (default: 20 points).
    :returns: ``frontier_fraction`` (share of post-warm-up samples on learnable, not yet
        mastered arms, counted while such arms remain; ``None`` if none remain),
        ``frontier_fraction_early`` (the same, counted only while at least half of the
        learnable arms are unmastered: it leaves out the tail where one or two slow arms
        remain among many finished ones),
        ``episodes_to_master`` (episodes until every learnable arm is mastered; ``None`` if
        not within the budget), ``final_mastered_pct``, ``arm_counts``, and what
        :func:`students.simulated.simulate` returns: ``episodes`` / ``mastered_pct`` (the
        curve) and ``teacher_seconds`` (thread CPU time in ``sample`` and ``update``).
    """
    if signal not in ("advantage", "success"):
        raise ValueError(f"signal must be 'advantage' or 'success', got {signal!r}")
    if eval_every is None:
        eval_every = max(1, n_episodes // 20)
    recorder = _FrontierRecorder(student, warmup, signal)
    result = simulate(teacher, recorder, n_episodes, eval_every)
    return {
        "frontier_fraction": recorder.on_frontier / recorder.counted if recorder.counted else None,
        "frontier_fraction_early": (
            recorder.early_on / recorder.early_counted if recorder.early_counted else None
        ),
        "episodes_to_master": recorder.to_master,
        "final_mastered_pct": student.mastered_pct(),
        "arm_counts": recorder.counts.tolist(),
        **result,
    }
