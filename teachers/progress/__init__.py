"""Learning-progress trackers: turn a student's results into a teacher's signal.

Usable on their own; each has ``state_dict()`` / ``load_state_dict()`` and no global RNG.
"""

from teachers.progress.alp import ALPTracker
from teachers.progress.arms import ArmEMATracker, ArmWindowTracker

__all__ = ["ALPTracker", "ArmEMATracker", "ArmWindowTracker"]
