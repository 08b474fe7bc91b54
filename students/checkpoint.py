"""Checkpoints of a curriculum run, written atomically as a set.

A checkpoint is a folder ``checkpoints/step_<N>/`` holding ``model.zip``,
``replay_buffer.pkl`` (off-policy students), ``teacher.pkl`` (the teacher's ``state_dict``),
``loop.pkl`` (counters, run-directory offsets, global RNG states) and ``vecnormalize.pkl``
(when used). It is written under a temporary name, renamed into place, and only then made
current by atomically replacing ``checkpoints/latest.json``; older folders are removed
afterwards. A crash at any moment leaves the previous checkpoint usable.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from students.run_dir import RunDirError, atomic_write_text

__all__ = [
    "Checkpoint", "get_rng_states", "latest_checkpoint", "load_pickle", "read_checkpoint", "save_checkpoint",
    "set_rng_states",
]

#: Keys every ``loop.pkl`` holds.
LOOP_KEYS = ("step", "n_episodes", "offsets", "rng")


def get_rng_states() -> dict[str, Any]:
    """The global RNG states SB3 draws from (``random``, ``numpy``, ``torch``)."""
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),  # noqa: NPY002 (SB3 uses the legacy global RNG)
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore :func:`get_rng_states` on any machine: the CUDA generators saved on a CUDA
    machine are restored for the GPUs present here (none on a CPU-only machine, which then
    resumes from the CPU states alone); a state saved without CUDA leaves them as they are."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])  # noqa: NPY002
    torch.set_rng_state(torch.as_tensor(states["torch"], device="cpu"))
    if "torch_cuda" in states and torch.cuda.is_available():
        for index, state in enumerate(states["torch_cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(torch.as_tensor(state, device="cpu"), device=index)


def _dump_pickle(path: Path, obj: Any) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickle(path: str | Path) -> Any:
    """Unpickle a checkpoint file (only load checkpoints you trust: unpickling runs code).

    :raises RunDirError: naming the file when it cannot be read or unpickled.
    """
    try:
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 (documented: trusted checkpoints only)
    except Exception as err:  # noqa: BLE001 (a damaged pickle raises almost anything)
        raise RunDirError(f"{path}: cannot be read ({type(err).__name__}: {err})") from err


def save_checkpoint(
    root: str | Path,
    step: int,
    model: Any,
    teacher_state: dict[str, Any],
    loop_state: dict[str, Any],
    vec_normalize: Any = None,
) -> Path:
    """Write a checkpoint and make it the latest one.

    :param root: the run's ``checkpoints/`` folder.
    :param step: env steps done (names the folder).
    :param model: the SB3 model (its replay buffer is saved too, if it has one).
    :param teacher_state: ``teacher.state_dict()``.
    :param loop_state: the loop's counters and offsets (RNG states are added here).
    :param vec_normalize: the ``VecNormalize`` wrapper, or ``None``.
    :return: the checkpoint folder.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = f"step_{int(step):012d}"
    final = root / name
    tmp = root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save(tmp / "model.zip")
    if getattr(model, "replay_buffer", None) is not None:
        model.save_replay_buffer(tmp / "replay_buffer.pkl")
    if vec_normalize is not None:
        vec_normalize.save(tmp / "vecnormalize.pkl")
    _dump_pickle(tmp / "teacher.pkl", teacher_state)
    _dump_pickle(tmp / "loop.pkl", {**loop_state, "step": int(step), "rng": get_rng_states()})
    if final.exists():  # re-checkpointing the same step (e.g. the final one)
        shutil.rmtree(final)
    tmp.rename(final)
    atomic_write_text(root / "latest.json", json.dumps({"step": int(step), "dir": name}))
    for old in root.glob("step_*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(root: str | Path) -> Path | None:
    """The folder ``latest.json`` points to, or ``None`` when there is no checkpoint.

    :raises RunDirError: naming ``latest.json`` when it is unreadable or names no complete
        checkpoint folder.
    """
    pointer = Path(root) / "latest.json"
    if not pointer.exists():
        return None
    try:
        name = json.loads(pointer.read_text())["dir"]
        if not isinstance(name, str) or not name.startswith("step_") or "/" in name:
            raise ValueError(f"bad folder name {name!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RunDirError(f"{pointer}: cannot be read ({type(err).__name__}: {err})") from err
    folder = Path(root) / name
    if not (folder / "loop.pkl").exists():
        raise RunDirError(f"{pointer}: checkpoint {folder} it names is incomplete or missing")
    return folder


@dataclasses.dataclass
class Checkpoint:
    """A checkpoint read back, every pickle loaded and checked (see :func:`read_checkpoint`).

    :param folder: the checkpoint folder.
    :param loop_state: ``loop.pkl`` (counters, run-directory offsets, RNG states).
    :param teacher_state: ``teacher.pkl`` (the teacher's ``state_dict``).
    :param vec_normalize: the unpickled ``VecNormalize`` (without its venv), or ``None``.
    """

    folder: Path
    loop_state: dict[str, Any]
    teacher_state: dict[str, Any]
    vec_normalize: Any = None

    @property
    def model_path(self) -> Path:
        return self.folder / "model.zip"

    @property
    def replay_buffer_path(self) -> Path | None:
        path = self.folder / "replay_buffer.pkl"
        return path if path.exists() else None


def read_checkpoint(root: str | Path) -> Checkpoint | None:
    """Read the latest checkpoint under ``root`` (``None`` if there is none).

    Loads ``loop.pkl``, ``teacher.pkl`` and ``vecnormalize.pkl`` and checks that
    ``model.zip`` is a readable zip archive; the model itself is loaded by the caller.

    :raises RunDirError: naming the first file that is missing, unreadable or malformed.
    """
    folder = latest_checkpoint(root)
    if folder is None:
        return None
    loop_state = load_pickle(folder / "loop.pkl")
    missing = [k for k in LOOP_KEYS if k not in loop_state] if isinstance(loop_state, dict) else list(LOOP_KEYS)
    if missing:
        raise RunDirError(f"{folder / 'loop.pkl'}: not a loop state (missing {missing})")
    teacher_state = load_pickle(folder / "teacher.pkl")
    if not isinstance(teacher_state, dict):
        raise RunDirError(f"{folder / 'teacher.pkl'}: not a teacher state_dict (got {type(teacher_state).__name__})")
    _check_zip(folder / "model.zip")
    vec_path = folder / "vecnormalize.pkl"
    return Checkpoint(folder, loop_state, teacher_state, load_pickle(vec_path) if vec_path.exists() else None)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (OSError, zipfile.BadZipFile) as err:
        raise RunDirError(f"{path}: cannot be read ({type(err).__name__}: {err})") from err
    if bad is not None:
        raise RunDirError(f"{path}: member {bad!r} is corrupt")
