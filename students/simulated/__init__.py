"""Simulated students: a few lines of numpy in place of RL, so teachers compare in minutes.

numpy only: ``import students.simulated`` loads neither torch nor stable-baselines3.

- :mod:`students.simulated.grid`: the grid-competence student and TeachMyAgent's challenge
  variants (:data:`STUDENTS`), and :func:`simulate`, which runs a teacher on a student;
- :mod:`students.simulated.classroom_toy`: Meta-ACL's toy student, whose start cube is its
  body (:class:`ClassroomToyStudent`, the AGAIN benchmark's population);
- :mod:`students.simulated.bandits`: bandit students over discrete arms (:data:`BANDIT_STUDENTS`)
  and :func:`run_bandit_episodes`, which also measures where the teacher sampled.
"""

from students.simulated.bandits import (
    BANDIT_STUDENTS,
    BanditStudent,
    BoxBanditStudent,
    run_bandit_episodes,
)
from students.simulated.classroom_toy import ClassroomToyStudent
from students.simulated.grid import STUDENTS, GridStudent, SimulatedStudent, simulate

__all__ = [
    "BANDIT_STUDENTS",
    "STUDENTS",
    "BanditStudent",
    "BoxBanditStudent",
    "ClassroomToyStudent",
    "GridStudent",
    "SimulatedStudent",
    "run_bandit_episodes",
    "simulate",
]
