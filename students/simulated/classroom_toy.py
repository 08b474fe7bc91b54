"""Meta-ACL's classroom toy env as a simulated student: bodies that learn the same space differently.

After flowersteam/meta-acl@7d2d5b9 ``teachDRL/toy_env/classroom_toy_env.py`` ([MA]), version 2
(``ClassroomToyEnvV2``): the task space ``[0, 1]²`` is cut into ``20 × 20`` cubes, each with a
competence in ``0..100`` (0 at the start):

- an episode on a cube raises its competence by 1 (at most 100) if the cube is *learnable*:
  it is the student's start cube, or one of its 4 neighbours has competence ≥ 75;
- the score is the cube's competence / 100 (after the update, as [MA]);
- a cube is *mastered* when its competence is > 75 ([MA] ``get_score``).

A student's *type* (its body) is its start cube; ``rotation`` (``k × 90°`` about the centre,
[MA] version 1's student types) turns the task space before the cube is found. Two students of
the same type learn identically whatever the teacher does; students of different types must
expand their mastered area from different places, so a curriculum that served one serves the
others poorly: what AGAIN's classroom exploits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from students.simulated.grid import SimulatedStudent

__all__ = ["ClassroomToyStudent"]

#: Competence units per cube, and the competence a cube needs to unlock its neighbours
#: and to count as mastered ([MA]: max_per_cube 100; unlock >= 75; mastered > 75).
MAX_COMPETENCE = 100
UNLOCK = 75


class ClassroomToyStudent(SimulatedStudent):
    """The Meta-ACL toy student (see the module docstring).

    :param start_cube: index ``0 .. n_cubes² − 1`` of the start cube (row-major over
        (first, second) task coordinates). Default 0 (the corner at the origin).
    :param rotation: quarter turns of the task space, ``0..3``. Default 0.
    :param n_cubes: cubes per dimension. Default 20 ([MA] toy_run.py).
    :param seed: unused (the student is deterministic); kept for the simulated-student API.
    """

    task_space = spaces.Box(low=np.zeros(2), high=np.ones(2), dtype=np.float64)

    def __init__(self, start_cube: int = 0, rotation: int = 0, n_cubes: int = 20, seed: int | None = None) -> None:
        super().__init__(seed)
        if not (isinstance(n_cubes, int | np.integer) and n_cubes >= 2):
            raise ValueError(f"n_cubes must be an integer >= 2, got {n_cubes!r}")
        if not (isinstance(start_cube, int | np.integer) and 0 <= start_cube < n_cubes**2):
            raise ValueError(f"start_cube must be in [0, {n_cubes**2 - 1}], got {start_cube!r}")
        if rotation not in (0, 1, 2, 3):
            raise ValueError(f"rotation must be 0, 1, 2 or 3, got {rotation!r}")
        self.start_cube, self.rotation, self.n_cubes = int(start_cube), int(rotation), int(n_cubes)
        self._start = divmod(self.start_cube, self.n_cubes)
        self.competence = np.zeros((self.n_cubes, self.n_cubes), dtype=np.int64)

    def _cube(self, task: Any) -> tuple[int, int]:
        p = np.clip(np.asarray(task, dtype=np.float64)[:2], 0.0, 1.0)
        for _ in range(self.rotation):  # a quarter turn about (0.5, 0.5), counter-clockwise
            p = np.array([1.0 - p[1], p[0]])
        i, j = np.minimum((p * self.n_cubes).astype(int), self.n_cubes - 1)
        return int(i), int(j)

    def _learnable(self, i: int, j: int) -> bool:
        if (i, j) == self._start:
            return True
        c, n = self.competence, self.n_cubes
        return any(
            0 <= a < n and 0 <= b < n and c[a, b] >= UNLOCK for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
        )

    def episode(self, task: Any) -> tuple[float, bool]:
        """One episode on ``task``: learn if the cube is learnable; score = competence / 100."""
        i, j = self._cube(task)
        if self.competence[i, j] < MAX_COMPETENCE and self._learnable(i, j):
            self.competence[i, j] += 1
        c = int(self.competence[i, j])
        return c / MAX_COMPETENCE, c > UNLOCK

    def mastered_pct(self) -> float:
        """Percentage of cubes with competence > 75 ([MA] ``get_score``)."""
        return 100.0 * float((self.competence > UNLOCK).mean())

    def test_set(self) -> np.ndarray:
        """The cube centres in task coordinates, ``(n_cubes², 2)``, row-major."""
        c = (np.arange(self.n_cubes) + 0.5) / self.n_cubes
        return np.stack(np.meshgrid(c, c, indexing="ij"), axis=-1).reshape(-1, 2)

    def test_scores(self, tasks: np.ndarray | None = None) -> np.ndarray:
        """Scores (competence / 100) on ``tasks`` (default :meth:`test_set`), without training:
        the pre-test / KC vector ([MA] toy: the flattened competence grid)."""
        tasks = self.test_set() if tasks is None else np.asarray(tasks, dtype=np.float64)
        return np.array([self.competence[self._cube(t)] for t in tasks], dtype=np.float64) / MAX_COMPETENCE
