"""Simulated students: teacher-only benchmarks without RL (plain numpy, thousands of episodes/s).

A simulated student replaces the RL agent: :meth:`SimulatedStudent.episode` "trains" on one task
and returns a score, and :meth:`SimulatedStudent.mastered_pct` measures the student on its own
fixed test set. ``scripts/benchmark_teachers.py`` runs teachers against the students of
:data:`STUDENTS`.

The grid-competence student (:class:`GridStudent`)
--------------------------------------------------
The task space holds a ``grid_size × grid_size`` grid of cells over its first two dimensions
(by default ``[0, 3] × [0, 6]``, the Stump Tracks ranges, so that teachers working in raw
units would show it). Each cell has a competence ``c ∈ [0, 1]``:

- a cell is *learnable* if it is a start cell (by default the single corner cell ``(0, 0)``)
  or one of its 4 neighbours is *mastered* (``c ≥ mastery_threshold``, default 0.9);
- an episode on a learnable cell raises its competence: ``c += learning_rate · (1 − c)``
  (default rate 0.04: about 56 episodes take a fresh cell to mastery); an episode on a locked
  cell teaches nothing;
- the score is ``c + N(0, noise_std)`` for the cell the task falls in, ``0 + noise`` outside the
  grid where the space is unfeasible and ``1 + noise`` where it is trivial.

So the only cells where scores change are the ones on the learnable frontier, and mastering
them is the only way to open new ones: a teacher that finds the cells whose scores move (the
learning progress) and keeps sampling there advances the frontier; one that spends its
episodes on mastered or locked cells does not. With uniform sampling each cell gets about
``episodes / 100`` visits, so in 20k episodes Random advances the frontier by only about
three cells from the corner (≈ 6 % mastered), while a teacher that concentrates on the frontier
can master the whole grid in well under 20k episodes (100 cells × 56 visits ≈ 5.6k episodes).

Feedback for teachers that require more than the score (``teacher.requires``): ``success``
is the episode's flag (``c ≥ mastery_threshold`` before the episode, 1 on trivial tasks, 0
on unfeasible ones); ``value`` is :meth:`GridStudent.value`, the student's *current expected
score* of the task (its competence ``c`` without noise, taken after the episode's learning,
as the RL loop evaluates V(s0) when an episode ends); ``steps`` is a notional episode length
(``episode_steps``, default 100) so that teachers scheduled in env steps (SPDL) run; their
step parameters must be scaled to it. Teachers with ``requires_value_fn`` get
:meth:`GridStudent.value` as their value function.

``mastered_pct()`` is the percentage of the grid's cells (the test set: one task per cell
centre) with ``c ≥ mastery_threshold``; it does not train.

Variants (after TeachMyAgent's challenges), all registered in :data:`STUDENTS`:

- ``grid-unfeasible``: the first dimension extends to ``[0, 9]``; only ``[0, 3]`` holds the
  grid, the other 2/3 of the space is impossible (score 0).
- ``grid-trivial``: the first dimension extends to ``[−3, 3]``; ``[−3, 0)`` is trivial
  (score 1, nothing to learn).
- ``grid-rugged``: the grid is cut into 5 × 5 blocks of 2 × 2 cells that are permuted (like
  TeachMyAgent's dimension shuffler with 4 cuts per dimension): neighbours in the difficulty
  layout are no longer neighbours in the task space.
- ``grid-forgetting``: all competence is reset (to the initial state) every 7,000 episodes, as
  TeachMyAgent resets its SAC student.
- ``grid-irrelevant``: four extra task dimensions that the student ignores (6-D task space).
- ``grid-noisy``: score noise std 0.3 instead of 0.05.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["STUDENTS", "GridStudent", "SimulatedStudent", "episode_feedback", "simulate"]


class SimulatedStudent:
    """Base class of simulated students.

    :param seed: seed of the student's own ``np.random.Generator`` (score noise); ``0`` is a
        seed, ``None`` draws fresh entropy.
    """

    #: The space teachers sample tasks from for this student.
    task_space: spaces.Space
    #: The notional length of an episode in env steps (the ``"steps"`` feedback).
    episode_steps: int = 100

    def __init__(self, seed: int | None = None, **params: Any) -> None:
        if params:
            raise ValueError(f"unknown parameter(s) {sorted(params)} for {type(self).__name__}")
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def episode(self, task: Any) -> tuple[float, bool]:
        """Train one episode on ``task``; return ``(score, success)``. Updates competence."""
        raise NotImplementedError

    def mastered_pct(self) -> float:
        """% of the student's own fixed test set currently mastered (no learning)."""
        raise NotImplementedError

    def value(self, tasks: Any) -> np.ndarray:
        """The student's value estimate of each task (``(n, d)`` raw tasks -> ``(n,)``): its
        current expected score there, without noise and without learning."""
        raise NotImplementedError(f"{type(self).__name__} has no value estimate")

    def steps(self, task: Any) -> int:
        """The episode length of ``task`` in env steps (:attr:`episode_steps`)."""
        return int(self.episode_steps)


class GridStudent(SimulatedStudent):
    """Grid-competence student: cells unlock from mastered neighbours (see the module doc).

    :param seed: seed of the score noise (the dynamics are otherwise deterministic).
    :param grid_size: cells per dimension of the 2-D grid (``grid_size**2`` cells).
    :param grid_low: raw lower corner of the grid.
    :param grid_high: raw upper corner of the grid.
    :param learning_rate: competence gain ``lr · (1 − c)`` per episode on a learnable cell.
    :param mastery_threshold: competence at which a cell counts as mastered and unlocks its
        neighbours.
    :param noise_std: std of the Gaussian noise added to every score.
    :param start_cells: ``(row, col)`` cells of the difficulty layout learnable from the start
        (row indexes the first task dimension).
    :param unfeasible_ratio: fraction of the first task dimension, beyond the grid's high end,
        that is impossible (score ``0``, nothing learnt). ``2/3`` turns ``[0, 3]`` into ``[0, 9]``.
    :param trivial_ratio: fraction of the first task dimension, below the grid's low end, that
        is trivial (score ``1``, nothing to learn). ``1/2`` turns ``[0, 3]`` into ``[−3, 3]``.
    :param shuffle_blocks: ``0`` for none, else the grid is cut into ``shuffle_blocks²`` equal
        blocks which are randomly permuted (``grid_size`` must be a multiple of it).
    :param layout_seed: seed of the block permutation (fixed across student seeds, like
        TeachMyAgent's shuffler seed 21).
    :param forget_every: if set, the student is reset to its initial competence every this
        many episodes.
    :param n_irrelevant: extra task dimensions in ``[0, 1]`` that the student ignores.
    """

    def __init__(
        self,
        seed: int | None = None,
        grid_size: int = 10,
        grid_low: tuple[float, float] = (0.0, 0.0),
        grid_high: tuple[float, float] = (3.0, 6.0),
        learning_rate: float = 0.04,
        mastery_threshold: float = 0.9,
        noise_std: float = 0.05,
        start_cells: tuple[tuple[int, int], ...] = ((0, 0),),
        unfeasible_ratio: float = 0.0,
        trivial_ratio: float = 0.0,
        shuffle_blocks: int = 0,
        layout_seed: int = 21,
        forget_every: int | None = None,
        n_irrelevant: int = 0,
    ) -> None:
        super().__init__(seed)
        if int(grid_size) < 1:
            raise ValueError(f"grid_size must be >= 1, got {grid_size!r}")
        if not 0.0 < learning_rate <= 1.0:
            raise ValueError(f"learning_rate must be in (0, 1], got {learning_rate!r}")
        if not 0.0 < mastery_threshold <= 1.0:
            raise ValueError(f"mastery_threshold must be in (0, 1], got {mastery_threshold!r}")
        if noise_std < 0:
            raise ValueError(f"noise_std must be >= 0, got {noise_std!r}")
        if not (0.0 <= unfeasible_ratio < 1.0 and 0.0 <= trivial_ratio < 1.0):
            raise ValueError(
                f"unfeasible_ratio and trivial_ratio must be in [0, 1), got {unfeasible_ratio!r}, {trivial_ratio!r}"
            )
        if unfeasible_ratio + trivial_ratio >= 1.0:
            raise ValueError(f"unfeasible_ratio + trivial_ratio must be < 1, got {unfeasible_ratio + trivial_ratio!r}")
        if shuffle_blocks and grid_size % shuffle_blocks:
            raise ValueError(f"grid_size {grid_size} is not a multiple of shuffle_blocks {shuffle_blocks}")
        if forget_every is not None and forget_every < 1:
            raise ValueError(f"forget_every must be >= 1 or None, got {forget_every!r}")
        if n_irrelevant < 0:
            raise ValueError(f"n_irrelevant must be >= 0, got {n_irrelevant!r}")
        self.grid_size = n = int(grid_size)
        for cell in start_cells:
            if not (0 <= cell[0] < n and 0 <= cell[1] < n):
                raise ValueError(f"start cell {cell!r} is outside the {n}x{n} grid")
        self.grid_low = tuple(float(v) for v in grid_low)
        self.grid_high = tuple(float(v) for v in grid_high)
        if not all(h > lo for lo, h in zip(self.grid_low, self.grid_high, strict=True)):
            raise ValueError(f"grid_high {grid_high!r} must exceed grid_low {grid_low!r}")
        self.learning_rate = float(learning_rate)
        self.mastery_threshold = float(mastery_threshold)
        self.noise_std = float(noise_std)
        self.start_cells = tuple((int(r), int(c)) for r, c in start_cells)
        self.unfeasible_ratio = float(unfeasible_ratio)
        self.trivial_ratio = float(trivial_ratio)
        self.shuffle_blocks = int(shuffle_blocks)
        self.layout_seed = layout_seed
        self.forget_every = forget_every
        self.n_irrelevant = int(n_irrelevant)

        # Task space: the grid's first dimension is extended by the unfeasible/trivial parts so
        # that they make up the requested fractions of the whole range.
        width0 = self.grid_high[0] - self.grid_low[0]
        total0 = width0 / (1.0 - self.unfeasible_ratio - self.trivial_ratio)
        low = [self.grid_low[0] - self.trivial_ratio * total0, self.grid_low[1]] + [0.0] * self.n_irrelevant
        high = [self.grid_high[0] + self.unfeasible_ratio * total0, self.grid_high[1]] + [1.0] * self.n_irrelevant
        self.task_space = spaces.Box(np.array(low), np.array(high), dtype=np.float64)

        # Map task-space cell -> difficulty-layout cell (identity unless shuffled).
        cell_map = np.arange(n * n).reshape(n, n)
        if self.shuffle_blocks:
            b = n // self.shuffle_blocks
            perm = np.random.default_rng(layout_seed).permutation(self.shuffle_blocks**2)
            for bi in range(self.shuffle_blocks):
                for bj in range(self.shuffle_blocks):
                    ti, tj = divmod(int(perm[bi * self.shuffle_blocks + bj]), self.shuffle_blocks)
                    cell_map[bi * b:(bi + 1) * b, bj * b:(bj + 1) * b] = (
                        np.arange(ti * b, (ti + 1) * b)[:, None] * n + np.arange(tj * b, (tj + 1) * b)[None, :]
                    )
        self._layout_of = cell_map.ravel().tolist()  # task cell index -> layout cell index
        self._neighbours = [
            [r2 * n + c2 for r2, c2 in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)) if 0 <= r2 < n and 0 <= c2 < n]
            for r in range(n)
            for c in range(n)
        ]
        self.n_episodes = 0
        self._reset_competence()

    def _reset_competence(self) -> None:
        n = self.grid_size
        self.competence = np.zeros(n * n)  # indexed by layout cell
        self.learnable = np.zeros(n * n, dtype=bool)
        for r, c in self.start_cells:
            self.learnable[r * n + c] = True

    def _cell(self, task: Any) -> tuple[str, int]:
        """``("grid", layout cell)``, ``("unfeasible", -1)`` or ``("trivial", -1)`` for a task."""
        x = np.asarray(task, dtype=np.float64)
        if x.shape != self.task_space.shape or not np.all(np.isfinite(x)):
            raise ValueError(f"task {task!r} must be a finite array of shape {self.task_space.shape}")
        x0, x1 = float(x[0]), float(x[1])
        if x0 < self.grid_low[0]:
            return "trivial", -1
        if x0 > self.grid_high[0]:
            return "unfeasible", -1
        n = self.grid_size
        u0 = (x0 - self.grid_low[0]) / (self.grid_high[0] - self.grid_low[0])
        u1 = (x1 - self.grid_low[1]) / (self.grid_high[1] - self.grid_low[1])
        i = min(max(int(u0 * n), 0), n - 1)
        j = min(max(int(u1 * n), 0), n - 1)
        return "grid", self._layout_of[i * n + j]

    def episode(self, task: Any) -> tuple[float, bool]:
        """Train one episode on ``task``; return ``(score, success)``.

        The score reflects the competence *before* the episode's learning.

        :raises ValueError: for a task of the wrong shape or not finite.
        """
        kind, cell = self._cell(task)
        if self.forget_every is not None and self.n_episodes > 0 and self.n_episodes % self.forget_every == 0:
            self._reset_competence()
        self.n_episodes += 1
        noise = self.noise_std * self.rng.standard_normal() if self.noise_std > 0 else 0.0
        if kind == "trivial":
            return 1.0 + noise, True
        if kind == "unfeasible":
            return noise, False
        c = float(self.competence[cell])
        if self.learnable[cell]:
            new = c + self.learning_rate * (1.0 - c)
            self.competence[cell] = new
            if c < self.mastery_threshold <= new:
                self.learnable[self._neighbours[cell]] = True
        return c + noise, c >= self.mastery_threshold

    def mastered_pct(self) -> float:
        """% of grid cells (one test task per cell centre) with competence ≥ the threshold."""
        return 100.0 * float(np.mean(self.competence >= self.mastery_threshold))

    def value(self, tasks: Any) -> np.ndarray:
        """Expected score of each task now: its cell's competence, 1 where trivial, 0 where
        unfeasible (``(n, d)`` raw tasks -> ``(n,)``; no noise, no learning)."""
        x = np.asarray(tasks, dtype=np.float64).reshape(-1, self.task_space.shape[0])
        n = self.grid_size
        u0 = (x[:, 0] - self.grid_low[0]) / (self.grid_high[0] - self.grid_low[0])
        u1 = (x[:, 1] - self.grid_low[1]) / (self.grid_high[1] - self.grid_low[1])
        i = np.clip((u0 * n).astype(np.int64), 0, n - 1)
        j = np.clip((u1 * n).astype(np.int64), 0, n - 1)
        out = self.competence[np.asarray(self._layout_of)[i * n + j]]
        out = np.where(x[:, 0] < self.grid_low[0], 1.0, out)
        return np.where(x[:, 0] > self.grid_high[0], 0.0, out)

    @property
    def easy_task(self) -> np.ndarray:
        """A task the student can learn from the start: the centre of its first start cell.

        Expert knowledge for teachers that need a feasible start point (ADR's ``initial_task``).
        """
        n = self.grid_size
        r, c = self.start_cells[0]
        task_cell = self._layout_of.index(r * n + c)
        return self.test_set()[task_cell]

    @property
    def expert_knowledge(self) -> dict[str, Any]:
        """What the student declares for expert knowledge (:mod:`students.expert`; the
        ``expert_knowledge`` of envs): scores in ``(0, 1)`` (competence, before noise) and easy
        tasks ``N(easy_task, (10% of each range)²)`` (TeachMyAgent's rule for Stump Tracks)."""
        span = self.task_space.high - self.task_space.low
        return {
            "reward_range": (0.0, 1.0),
            "initial_dist": {"mean": self.easy_task.tolist(), "std": np.round(0.1 * span, 9).tolist()},
        }

    def test_set(self) -> np.ndarray:
        """The test tasks: one per cell centre (irrelevant dimensions at 0.5), raw units."""
        n = self.grid_size
        centres = (np.arange(n) + 0.5) / n
        g0 = self.grid_low[0] + centres * (self.grid_high[0] - self.grid_low[0])
        g1 = self.grid_low[1] + centres * (self.grid_high[1] - self.grid_low[1])
        grid = np.stack(np.meshgrid(g0, g1, indexing="ij"), axis=-1).reshape(-1, 2)
        return np.hstack([grid, np.full((n * n, self.n_irrelevant), 0.5)])


def episode_feedback(teacher: Any, student: SimulatedStudent, task: Any, success: bool) -> dict[str, Any]:
    """The feedback ``teacher`` requires of one finished episode of ``student``: ``success``,
    ``value`` (:meth:`SimulatedStudent.value` of the task, now) and ``steps``
    (:meth:`SimulatedStudent.steps`); only the names in ``teacher.requires``."""
    needs = getattr(teacher, "requires", ())
    feedback: dict[str, Any] = {}
    if "success" in needs:
        feedback["success"] = bool(success)
    if "value" in needs:
        feedback["value"] = float(student.value(np.asarray(task, dtype=np.float64)[None])[0])
    if "steps" in needs:
        feedback["steps"] = student.steps(task)
    return feedback


def simulate(teacher: Any, student: SimulatedStudent, episodes: int, eval_every: int) -> dict[str, Any]:
    """Run ``teacher`` on ``student`` for ``episodes`` episodes.

    Teachers that require feedback get it (:func:`episode_feedback`); those with
    ``requires_value_fn`` get :meth:`SimulatedStudent.value` as their value function.

    :param teacher: a :class:`teachers.Teacher` on ``student.task_space``.
    :param student: the simulated student (trained in place).
    :param episodes: number of episodes.
    :param eval_every: measure ``mastered_pct`` every this many episodes (and at 0 and the end).
    :return: ``{"episodes": [...], "mastered_pct": [...], "teacher_seconds": float}`` where
        ``teacher_seconds`` is the CPU time (this thread's, so robust to other processes on
        a shared machine) spent in ``sample`` and ``update`` only.
    """
    if episodes < 0 or eval_every < 1:
        raise ValueError(f"need episodes >= 0 and eval_every >= 1, got {episodes!r}, {eval_every!r}")
    if getattr(teacher, "requires_value_fn", False):
        teacher.set_value_fn(student.value)
    clock = time.thread_time
    points, pcts = [0], [student.mastered_pct()]
    spent = 0.0
    for i in range(1, episodes + 1):
        t0 = clock()
        task = teacher.sample()
        spent += clock() - t0
        score, success = student.episode(task)
        feedback = episode_feedback(teacher, student, task, success)
        t0 = clock()
        teacher.update(task, score, **feedback)
        spent += clock() - t0
        if i % eval_every == 0 or i == episodes:
            points.append(i)
            pcts.append(student.mastered_pct())
    return {"episodes": points, "mastered_pct": pcts, "teacher_seconds": spent}


def _variant(**fixed: Any) -> Callable[..., SimulatedStudent]:
    factory = functools.partial(GridStudent, **fixed)
    return factory


#: Name -> factory ``(seed=None, **params) -> SimulatedStudent``; used by the benchmark script.
STUDENTS: dict[str, Callable[..., SimulatedStudent]] = {
    "grid": GridStudent,
    "grid-unfeasible": _variant(unfeasible_ratio=2 / 3),
    "grid-trivial": _variant(trivial_ratio=1 / 2),
    "grid-rugged": _variant(shuffle_blocks=5),
    "grid-forgetting": _variant(forget_every=7000),
    "grid-irrelevant": _variant(n_irrelevant=4),
    "grid-noisy": _variant(noise_std=0.3),
}
