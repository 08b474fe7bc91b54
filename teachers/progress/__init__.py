"""Learning-progress trackers: turn (task, score) streams into a teacher's signal."""

from teachers.progress.arms import ArmEMATracker, ArmWindowTracker

__all__ = ["ArmEMATracker", "ArmWindowTracker"]
