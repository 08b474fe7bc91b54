"""Moved to :mod:`envs.bodies`; these names stay importable from here."""

from envs.bodies import BODIES, BodySpec
from envs.bodies.body import Body as Walker

__all__ = ["BODIES", "BodySpec", "Walker"]
