"""Random: uniform sampling over the task space (the baseline every ACL paper compares to)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from teachers.base import Teacher
from teachers.registry import register

__all__ = ["RandomTeacher"]


@register("random")
class RandomTeacher(Teacher):
    """Uniform sampling; learns nothing.

    Works on every task space: uniform in a ``Box``, uniform over arms of ``Discrete`` and
    ``MultiDiscrete``.

    :param task_space: the task space.
    :param seed: RNG seed (0 is a seed).
    :param reward_range: accepted for API uniformity; unused.
    """

    supported_spaces = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete)
    state_version: ClassVar[int] = 1  # the RNG and counters only (Teacher's fields)

    def _sample(self) -> Any:
        space = self.task_space
        if isinstance(space, spaces.Box):
            return self.unit.from_unit(self.rng.random(self.unit.dim))
        if isinstance(space, spaces.Discrete):
            return space.start + self.rng.integers(space.n)
        return space.start + self.rng.integers(np.zeros_like(space.nvec), space.nvec)
