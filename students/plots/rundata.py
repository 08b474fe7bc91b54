"""Reading a run directory (``config.yaml``, ``test_set.json`` and the JSONL logs) into memory.

The reader is tolerant of what a killed or resumed run leaves behind:

- a trailing partial line (the process died mid-write) is ignored; a corrupt line elsewhere is
  skipped with a warning;
- a resumed run appends again from its checkpoint, so its first records repeat keys that the
  interrupted run had already written past. When a record's key (``episode`` for the history,
  ``step`` for the other files) is not larger than the largest key seen so far, the earlier
  records with a key ``>=`` it are dropped: the resumed run supersedes them.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

__all__ = ["RunData", "load_run", "read_jsonl", "task_array"]


def read_jsonl(path: str | Path, key: str | None = None) -> list[dict[str, Any]]:
    """Read a JSONL log written by a (possibly killed, possibly resumed) run.

    :param path: the file; a missing file reads as no records.
    :param key: the record field that increases along a run (``"episode"``, ``"step"``);
        records superseded by a resume are dropped on it (see the module docstring).
        ``None`` keeps every record.
    :return: the records, in file order.
    """
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    records: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i < len(lines) - 1:  # the last line may legitimately be cut short
                warnings.warn(f"{path}:{i + 1}: skipping a corrupt line", stacklevel=2)
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return _drop_superseded(records, key) if key is not None else records


def _drop_superseded(records: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    largest = None
    for rec in records:
        k = rec.get(key)
        if k is None:
            out.append(rec)
            continue
        if largest is not None and k <= largest:
            out = [r for r in out if r.get(key) is None or r[key] < k]
            largest = max((r[key] for r in out if r.get(key) is not None), default=None)
        out.append(rec)
        largest = k if largest is None else max(largest, k)
    return out


def task_array(tasks: Sequence[Any], dim: int | None = None) -> np.ndarray:
    """Stack tasks (scalars, lists, integer or float) into a float ``(n, d)`` array.

    :param tasks: one task per row; a scalar task is a 1-D task.
    :param dim: the expected dimension (used for an empty input and checked otherwise).
    :raises ValueError: when the tasks do not all have the same dimension.
    """
    rows = [np.atleast_1d(np.asarray(t, dtype=np.float64)).ravel() for t in tasks]
    if not rows:
        return np.zeros((0, dim or 0))
    sizes = {r.size for r in rows}
    if len(sizes) != 1 or (dim is not None and sizes != {dim}):
        raise ValueError(f"tasks must all have dimension {dim or 'd'}, got sizes {sorted(sizes)}")
    return np.stack(rows)


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
    if (run_dir / "config.yaml").exists():
        config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8")) or {}
    dim = len((config.get("task_space") or {}).get("low") or []) or None
    test_set = np.zeros((0, dim or 0))
    if (run_dir / "test_set.json").exists():
        tasks = json.loads((run_dir / "test_set.json").read_text(encoding="utf-8")).get("tasks", [])
        test_set = task_array(tasks, dim)
    return RunData(
        config=config,
        test_set=test_set,
        history=read_jsonl(run_dir / "history.jsonl", "episode"),
        metrics=read_jsonl(run_dir / "metrics.jsonl", "step"),
        evaluations=read_jsonl(run_dir / "evaluations.jsonl", "step"),
        teacher=read_jsonl(run_dir / "teacher.jsonl", "step"),
        run_dir=run_dir,
    )
