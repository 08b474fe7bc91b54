"""A run directory in memory (:func:`load_run`), for plots: its config, test set and records,
read with :func:`students.run_dir.read_jsonl` (tolerant of what a killed run leaves behind)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from students.run_dir import (
    CONFIG_FILE,
    JSONL_FILES,
    RECORD_KEYS,
    TEST_SET_FILE,
    read_jsonl,
    read_test_set,
    task_array,
)

__all__ = ["RunData", "load_run", "task_array"]


@dataclass
class RunData:
    """Everything a run directory holds that the plots need.

    :param config: the run config (``config.yaml``), ``{}`` when absent.
    :param test_set: ``(n, d)`` evaluation tasks.
    :param history: one dict per finished episode (``history.jsonl``).
    :param metrics: ``metrics.jsonl`` records.
    :param evaluations: ``evaluations.jsonl`` records.
    :param teacher: ``teacher.jsonl`` records (``step``, ``episode``, ``internals``).
    :param run_dir: where it was read from, if anywhere.
    """

    config: dict[str, Any] = field(default_factory=dict)
    test_set: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    history: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    teacher: list[dict[str, Any]] = field(default_factory=list)
    run_dir: Path | None = None

    def __post_init__(self) -> None:
        self.tasks = task_array([r["task"] for r in self.history])
        space = self.config.get("task_space") or {}
        if space.get("low") is not None and space.get("high") is not None:
            self.low = np.atleast_1d(np.asarray(space["low"], dtype=np.float64))
            self.high = np.atleast_1d(np.asarray(space["high"], dtype=np.float64))
        else:  # infer a box from what was sampled and tested
            seen = [a for a in (self.tasks, self.test_set) if a.size]
            if not seen:
                self.low = self.high = np.zeros(0)
            else:
                allt = np.concatenate(seen)
                self.low, self.high = allt.min(axis=0), allt.max(axis=0)
                flat = self.high <= self.low
                self.low, self.high = self.low - 0.5 * flat, self.high + 0.5 * flat
        d = self.low.size
        if len(self.tasks) == 0:
            self.tasks = np.zeros((0, d))
        if self.tasks.size and self.tasks.shape[1] != d:
            raise ValueError(f"history tasks have dimension {self.tasks.shape[1]}, task space has {d}")
        if self.test_set.size == 0:
            self.test_set = np.zeros((0, d))
        names = space.get("names")
        self.names = tuple(str(n) for n in names) if names and len(names) == d else tuple(
            f"task_{i}" for i in range(d)
        )
        self.steps = np.array([r.get("step", 0) for r in self.history], dtype=np.int64)
        self.returns = np.array([r.get("return", np.nan) for r in self.history], dtype=np.float64)
        self.scores = np.array([r.get("score", np.nan) for r in self.history], dtype=np.float64)

    @property
    def dim(self) -> int:
        """Dimension of the task space."""
        return int(self.low.size)

    def teacher_at(self, step: int) -> dict[str, Any] | None:
        """The teacher snapshot closest in time (step) to ``step``, or ``None``."""
        if not self.teacher:
            return None
        return min(self.teacher, key=lambda r: abs(r.get("step", 0) - step))

    def evaluation_at(self, step: int) -> dict[str, Any] | None:
        """The last evaluation made at or before ``step``, or ``None``."""
        done = [e for e in self.evaluations if e.get("step", 0) <= step]
        return done[-1] if done else None


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory written by the curriculum loop (see ``students/loggers.py``).

    :param run_dir: the run directory.
    :raises ValueError: when ``run_dir`` is not a directory.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"run directory {str(run_dir)!r} does not exist")
    config: dict[str, Any] = {}
    if (run_dir / CONFIG_FILE).exists():
        config = yaml.safe_load((run_dir / CONFIG_FILE).read_text(encoding="utf-8")) or {}
    dim = len((config.get("task_space") or {}).get("low") or []) or None
    test_set = np.zeros((0, dim or 0))
    if (run_dir / TEST_SET_FILE).exists():
        test_set = read_test_set(run_dir, dim)
    return RunData(
        config=config,
        test_set=test_set,
        **{kind: read_jsonl(run_dir / name, RECORD_KEYS[kind]) for kind, name in JSONL_FILES.items()},
        run_dir=run_dir,
    )
