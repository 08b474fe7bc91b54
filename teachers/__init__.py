"""teachrl teachers: the Teacher API, learning-progress trackers and the algorithms.

Plain numpy / scipy / scikit-learn: this package never imports torch, SB3 or ``envs``.

>>> import numpy as np, teachers
>>> from gymnasium import spaces
>>> t = teachers.make("random", spaces.Box(np.zeros(2), np.ones(2)), seed=0)
>>> task = t.sample(); t.update(task, score=1.0)
"""

from teachers.alp_gmm import ALPGMMTeacher  # registers "alp-gmm"
from teachers.base import Teacher
from teachers.checks import check_teacher
from teachers.covar_gmm import CovarGMMTeacher  # registers "covar-gmm"
from teachers.random import RandomTeacher  # noqa: E402  (registers "random")
from teachers.registry import available, get_class, make, register

__all__ = [
    "ALPGMMTeacher",
    "CovarGMMTeacher",
    "RandomTeacher",
    "Teacher",
    "available",
    "check_teacher",
    "get_class",
    "make",
    "register",
]
