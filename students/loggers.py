"""Run loggers: where the curriculum loop sends what happens during training.

The loop calls every logger with the same records; the run directory writer, W&B and any
user logger implement the same small interface. All methods are no-ops by default.

Record formats (also the line formats of the run directory's JSONL files):

- episode (``history.jsonl``): ``{"episode": int, "step": int, "env": int, "task": list[float],
  "score": float, "return": float, "length": int, "success": bool}`` plus, when the teacher's
  task differs from the env's (discrete arms), ``"teacher_task"``.
- metrics (``metrics.jsonl``): ``{"step": int, "episodes": int, <name>: float, ...}``.
- evaluation (``evaluations.jsonl``): ``{"step": int, "returns": list[float],
  "successes": list[bool], "mastered_pct": float}``; tasks are the run's ``test_set``.
- teacher (``teacher.jsonl``): ``{"step": int, "episode": int, "internals": dict}`` with
  :meth:`teachers.Teacher.internals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MultiLogger", "RunLogger"]


class RunLogger:
    """Base class of run loggers (every hook optional).

    :meth:`on_start` receives the run config (a dict: env, teacher, student, task space with
    ``low``/``high``/``names``, seed, ...) and the test set (``(n, d)`` list of tasks).
    """

    def on_start(self, config: dict[str, Any], test_set: Sequence[Sequence[float]]) -> None:
        """Called once when training starts or resumes."""

    def on_episodes(self, step: int, records: list[dict[str, Any]]) -> None:
        """Finished episodes (history rows), in the order the teacher received them."""

    def on_metrics(self, step: int, metrics: dict[str, float]) -> None:
        """Scalar training metrics at ``step``."""

    def on_evaluation(self, step: int, evaluation: dict[str, Any]) -> None:
        """One test-set evaluation."""

    def on_teacher(self, step: int, episode: int, internals: dict[str, Any]) -> None:
        """A snapshot of :meth:`teachers.Teacher.internals`."""

    def close(self) -> None:
        """Flush and release resources."""


class MultiLogger(RunLogger):
    """Forwards every call to several loggers, in order.

    :param loggers: the loggers to forward to.
    """

    def __init__(self, loggers: Sequence[RunLogger]) -> None:
        self.loggers = list(loggers)

    def on_start(self, config, test_set):
        for lg in self.loggers:
            lg.on_start(config, test_set)

    def on_episodes(self, step, records):
        for lg in self.loggers:
            lg.on_episodes(step, records)

    def on_metrics(self, step, metrics):
        for lg in self.loggers:
            lg.on_metrics(step, metrics)

    def on_evaluation(self, step, evaluation):
        for lg in self.loggers:
            lg.on_evaluation(step, evaluation)

    def on_teacher(self, step, episode, internals):
        for lg in self.loggers:
            lg.on_teacher(step, episode, internals)

    def close(self):
        for lg in self.loggers:
            lg.close()
