"""The run directory's format, in one place: its files and markers, the writer
(:class:`RunDirectory`, a :class:`RunLogger`), the reader of its records (:func:`read_jsonl`),
its lock (:class:`RunLock`), the ``DONE`` marker (:func:`mark_done`, :func:`run_status`) and
the checks a resume makes before writing. Checkpoints are :mod:`students.checkpoint`'s.

Layout (see the contract in ``students/loggers.py``)::

    <run_dir>/config.yaml  test_set.json  history.jsonl  metrics.jsonl
              evaluations.jsonl  teacher.jsonl  checkpoints/  DONE  .lock
              pretest.json   (only for a teacher with a pre-test)

JSONL files are append-only. A checkpoint stores their byte sizes
(:meth:`RunDirectory.offsets`); resuming truncates them back to those sizes
(:meth:`RunDirectory.truncate`), so lines written after the last checkpoint, which the
restored teacher never saw, disappear and are written again by the resumed run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from students.loggers import RunLogger

__all__ = [
    "CHECKPOINT_DIR", "CONFIG_FILE", "DONE_MARKER", "JSONL_FILES", "PRETEST_FILE", "RECORD_KEYS", "TEST_SET_FILE",
    "RunDirError", "RunDirectory", "RunInUseError", "RunLock", "atomic_write_bytes", "atomic_write_text",
    "check_offsets", "check_writable", "mark_done", "read_jsonl", "read_test_set", "task_array", "run_status",
]

CONFIG_FILE = "config.yaml"
TEST_SET_FILE = "test_set.json"
#: The pre-test of a teacher that asks for one (Meta-ACL's AGAIN): step, episode, tasks,
#: returns, successes (:class:`students.callbacks.PretestCallback`).
PRETEST_FILE = "pretest.json"
CHECKPOINT_DIR = "checkpoints"
#: Written last by a finished run (its steps and episodes): sweeps skip such runs.
DONE_MARKER = "DONE"

#: Record kind → file name.
JSONL_FILES = {
    "history": "history.jsonl",
    "metrics": "metrics.jsonl",
    "evaluations": "evaluations.jsonl",
    "teacher": "teacher.jsonl",
}
#: Record kind → the field that increases along a run (see :func:`read_jsonl`).
RECORD_KEYS = {"history": "episode", "metrics": "step", "evaluations": "step", "teacher": "step"}


class RunDirError(ValueError):
    """A run directory that cannot be written or resumed as it is (the message names the file)."""


class RunInUseError(RunDirError):
    """Another live process holds the run directory's lock."""


def _pid_alive(pid: Any) -> bool:
    """Whether process ``pid`` lives (an unreadable pid counts as alive: never break a lock on a guess)."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class RunLock:
    """One writer per run directory: an exclusive ``flock`` on ``<run_dir>/.lock``.

    The lock file records the holder (``{"pid", "host", "started"}``, JSON). The kernel
    releases a ``flock`` when its holder dies, so the lock of a killed run is simply taken
    over. A lock still held although the recorded process is dead on this host (forked
    helpers of a killed run can keep the file open a moment) is broken too. The file is
    removed on release; an acquirer checks that the file it locked is still the one at the
    path, so removal never lets two writers in.

    :param run_dir: the run directory (created if missing).
    :raises RunInUseError: naming the holder (pid, host, start time) when it is held.
    :raises RunDirError: when the directory or the lock file cannot be written.
    """

    NAME = ".lock"

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / self.NAME
        self._fd: int | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._acquire()
        except OSError as err:
            raise RunDirError(f"cannot lock run directory {str(self.path.parent)!r}: {err.strerror or err}") from err

    def _acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._read(fd)
                if holder.get("host") == socket.gethostname() and not _pid_alive(holder.get("pid")):
                    self._break(fd)  # stale: its holder died; its helpers may still hold the file
                    os.close(fd)
                    continue
                os.close(fd)
                raise RunInUseError(
                    f"run directory {str(self.path.parent)!r} is in use by process {holder.get('pid', '?')} "
                    f"on host {holder.get('host', '?')} (since {holder.get('started', '?')}); wait for it "
                    f"to finish or stop it (lock file {str(self.path)!r})"
                ) from None
            if not self._is_current(fd):  # released and removed by its holder meanwhile: lock the new one
                os.close(fd)
                continue
            self._fd = fd
            record = {"pid": os.getpid(), "host": socket.gethostname(), "started": dt.datetime.now().isoformat(timespec="seconds")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
            return

    def _is_current(self, fd: int) -> bool:
        """Whether ``fd`` is the file now at the lock path (not one removed meanwhile)."""
        try:
            return os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def _break(self, fd: int) -> None:
        """Remove the stale lock file ``fd`` if it is still the one at the path."""
        if self._is_current(fd):
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    @staticmethod
    def _read(fd: int) -> dict[str, Any]:
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:
            return {}
        return holder if isinstance(holder, dict) else {}

    def release(self) -> None:
        """Remove the lock file and release the lock (idempotent)."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


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


def check_offsets(run_dir: str | Path, offsets: dict[str, int]) -> None:
    """Check that every JSONL file holds at least the bytes a checkpoint counted, ending on a
    line boundary (reads only; lines beyond are cut by :meth:`RunDirectory.truncate`).

    :raises RunDirError: naming the first file that is missing, shorter or not cut at a line end.
    """
    for kind, name in JSONL_FILES.items():
        path, size = Path(run_dir) / name, int(offsets.get(kind, 0))
        if size == 0:
            continue
        try:
            with open(path, "rb") as f:
                actual = os.fstat(f.fileno()).st_size
                f.seek(size - 1)
                last = f.read(1)
        except OSError as err:
            raise RunDirError(f"{path}: cannot be read ({err.strerror or err}); the checkpoint expects {size} bytes") from err
        if actual < size:
            raise RunDirError(f"{path}: holds {actual} bytes, fewer than the {size} the checkpoint expects (lines are missing)")
        if last != b"\n":
            raise RunDirError(f"{path}: byte {size} the checkpoint ends at is not a line end (the file was changed)")


def check_writable(run_dir: str | Path) -> None:
    """Check that the run directory, its ``checkpoints/`` and its files can be written.

    :raises RunDirError: naming the first one that cannot.
    """
    run_dir = Path(run_dir)
    paths = [run_dir, run_dir / CHECKPOINT_DIR, run_dir / CONFIG_FILE, *(run_dir / n for n in JSONL_FILES.values())]
    for path in paths:
        if path.exists() and not os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0)):
            raise RunDirError(f"{path}: is not writable")


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


def read_test_set(run_dir: str | Path, dim: int | None = None) -> np.ndarray:
    """The ``(n, d)`` test set of a run (``test_set.json``); the one reader of that file.

    :param run_dir: the run directory.
    :param dim: the task-space dimension, when known (checked).
    :raises RunDirError: naming the file when it is missing or malformed.
    """
    path = Path(run_dir) / TEST_SET_FILE
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))["tasks"]
        if not isinstance(tasks, list):
            raise TypeError(f"'tasks' is a {type(tasks).__name__}, not a list")
        return task_array(tasks, dim)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RunDirError(f"{path}: cannot be read ({type(err).__name__}: {err})") from err


def read_jsonl(path: str | Path, key: str | None = None, strict: bool = False) -> list[dict[str, Any]]:
    """The records of a JSONL file of a (possibly killed, possibly resumed) run.

    A trailing line cut short by a kill is ignored; a corrupt line elsewhere is skipped with a
    warning. Runs written before resumes cut their files back may repeat records: with
    ``key`` (the field that increases along the run, :data:`RECORD_KEYS`), a record whose key
    is not larger than every earlier one drops the earlier records with a key ``>=`` it (the
    resumed run supersedes them).

    :param path: the file; a missing file reads as no records.
    :param key: see above; ``None`` keeps every record.
    :param strict: raise a :class:`RunDirError` naming the file and line for any line that is
        not a JSON object, the last one included.
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
            rec = None
        if not isinstance(rec, dict):
            if strict:
                raise RunDirError(f"{path}:{i + 1}: not a JSON object: {line[:80]!r}")
            if i < len(lines) - 1:  # the last line may legitimately be cut short
                warnings.warn(f"{path}:{i + 1}: skipping a corrupt line", stacklevel=2)
            continue
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


def mark_done(run_dir: str | Path, steps: int, episodes: int) -> None:
    """Write the ``DONE`` marker of a finished run (atomically; the run's last write)."""
    atomic_write_text(Path(run_dir) / DONE_MARKER, json.dumps({"steps": int(steps), "episodes": int(episodes)}))


def run_status(run_dir: str | Path) -> str:
    """``"done"`` (``DONE`` present), ``"interrupted"`` (a checkpoint, no ``DONE``) or ``"new"``."""
    run_dir = Path(run_dir)
    if (run_dir / DONE_MARKER).is_file():
        return "done"
    ckpt = run_dir / CHECKPOINT_DIR
    if ckpt.is_dir() and any(ckpt.iterdir()):
        return "interrupted"
    return "new"


class RunDirectory(RunLogger):
    """Writes the run directory.

    :param run_dir: the directory (created if needed).
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / CHECKPOINT_DIR).mkdir(exist_ok=True)
        self._files: dict[str, Any] = {}

    def file(self, kind: str) -> Path:
        """Path of the JSONL file of ``kind`` (``"history"``, ``"metrics"``, ...)."""
        return self.path / JSONL_FILES[kind]

    def truncate(self, offsets: dict[str, int]) -> None:
        """Cut every JSONL file back to its size in ``offsets`` (resume). Call before writing.

        :raises RunDirError: see :func:`check_offsets` (checked before anything is cut).
        """
        check_offsets(self.path, offsets)
        for kind in JSONL_FILES:
            path, size = self.file(kind), int(offsets.get(kind, 0))
            if path.exists() and path.stat().st_size > size:
                with open(path, "r+b") as f:
                    f.truncate(size)

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
        atomic_write_text(self.path / CONFIG_FILE, yaml.safe_dump(_jsonable(config), sort_keys=False))
        atomic_write_text(self.path / TEST_SET_FILE, json.dumps({"tasks": _jsonable(list(test_set))}))

    def on_episodes(self, step: int, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._write("history", record)

    def on_metrics(self, step: int, metrics: dict[str, float]) -> None:
        self._write("metrics", {"step": step, **metrics})
        self.flush()  # once per metrics line: a running run's files can be watched (tail -f)

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
