"""The run directory: :class:`RunDirectory` (a :class:`RunLogger`) and atomic file helpers.

Layout (see the contract in ``students/loggers.py``)::

    <run_dir>/config.yaml  test_set.json  history.jsonl  metrics.jsonl
              evaluations.jsonl  teacher.jsonl  checkpoints/

JSONL files are append-only. A checkpoint stores their byte sizes
(:meth:`RunDirectory.offsets`); resuming truncates them back to those sizes
(:meth:`RunDirectory.truncate`), so lines written after the last checkpoint, which the
restored teacher never saw, disappear and are written again by the resumed run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from students.loggers import RunLogger

__all__ = ["JSONL_FILES", "RunDirectory", "atomic_write_bytes", "atomic_write_text", "read_jsonl"]

#: Record kind → file name.
JSONL_FILES = {
    "history": "history.jsonl",
    "metrics": "metrics.jsonl",
    "evaluations": "evaluations.jsonl",
    "teacher": "teacher.jsonl",
}


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace`` (all or nothing)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All records of a JSONL file (``[]`` if it does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class RunDirectory(RunLogger):
    """Writes the run directory.

    :param run_dir: the directory (created if needed).
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "checkpoints").mkdir(exist_ok=True)
        self._files: dict[str, Any] = {}

    def file(self, kind: str) -> Path:
        """Path of the JSONL file of ``kind`` (``"history"``, ``"metrics"``, ...)."""
        return self.path / JSONL_FILES[kind]

    def truncate(self, offsets: dict[str, int]) -> None:
        """Cut every JSONL file back to its size in ``offsets`` (resume). Call before writing."""
        for kind in JSONL_FILES:
            path, size = self.file(kind), int(offsets.get(kind, 0))
            if path.exists() and path.stat().st_size > size:
                with open(path, "r+b") as f:
                    f.truncate(size)
            elif not path.exists() and size > 0:
                raise ValueError(f"{path} is missing but the checkpoint expects {size} bytes")

    def offsets(self) -> dict[str, int]:
        """Flush and return the byte size of every JSONL file."""
        self.flush()
        return {k: (self.file(k).stat().st_size if self.file(k).exists() else 0) for k in JSONL_FILES}

    def _write(self, kind: str, record: dict[str, Any]) -> None:
        f = self._files.get(kind)
        if f is None:
            f = self._files[kind] = open(self.file(kind), "a")  # noqa: SIM115 (kept open)
        f.write(json.dumps(_jsonable(record)) + "\n")

    # ------------------------------------------------------------------ RunLogger
    def on_start(self, config: dict[str, Any], test_set: Sequence[Sequence[float]]) -> None:
        atomic_write_text(self.path / "config.yaml", yaml.safe_dump(_jsonable(config), sort_keys=False))
        atomic_write_text(self.path / "test_set.json", json.dumps({"tasks": _jsonable(list(test_set))}))

    def on_episodes(self, step: int, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._write("history", record)

    def on_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self._write("metrics", {"step": step, **metrics})

    def on_evaluation(self, step: int, evaluation: dict[str, Any]) -> None:
        self._write("evaluations", {"step": step, **evaluation})

    def on_teacher(self, step: int, episode: int, internals: dict[str, Any]) -> None:
        self._write("teacher", {"step": step, "episode": episode, "internals": internals})

    def flush(self) -> None:
        """Flush every open file."""
        for f in self._files.values():
            f.flush()

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files = {}
