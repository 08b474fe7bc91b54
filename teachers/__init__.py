"""teachrl teachers: the Teacher API, learning-progress trackers and the algorithms.

Plain numpy / scipy / scikit-learn: this package never imports torch, SB3 or ``envs``.

>>> import numpy as np, teachers
>>> from gymnasium import spaces
>>> t = teachers.make("random", spaces.Box(np.zeros(2), np.ones(2)), seed=0)
>>> task = t.sample(); t.update(task, score=1.0)
"""

# Importing each algorithm module registers it by name (see teachers.registry).
from teachers.adr import ADRTeacher
from teachers.alp_gmm import ALPGMMTeacher
from teachers.base import Teacher
from teachers.checks import check_teacher
from teachers.covar_gmm import CovarGMMTeacher
from teachers.currot import CURROTTeacher
from teachers.learnability import LearnabilityTeacher
from teachers.learning_progress import LearningProgressTeacher
from teachers.plr import PLRTeacher
from teachers.random import RandomTeacher
from teachers.registry import available, get_class, make, register
from teachers.riac import RIACTeacher
from teachers.sec import SECTeacher
from teachers.spdl import SPDLTeacher
from teachers.ucb import UCBTeacher

__all__ = [
    "ADRTeacher",
    "ALPGMMTeacher",
    "CURROTTeacher",
    "CovarGMMTeacher",
    "LearnabilityTeacher",
    "LearningProgressTeacher",
    "PLRTeacher",
    "RIACTeacher",
    "RandomTeacher",
    "SECTeacher",
    "SPDLTeacher",
    "Teacher",
    "UCBTeacher",
    "available",
    "check_teacher",
    "get_class",
    "make",
    "register",
]
