"""Checkpoints of a curriculum run, written atomically as a set.

A checkpoint is a folder ``checkpoints/step_<N>/`` holding ``model.zip``,
``replay_buffer.pkl`` (off-policy students), ``teacher.pkl`` (the teacher's ``state_dict``),
``loop.pkl`` (counters, run-directory offsets, global RNG states) and ``vecnormalize.pkl``
(when used). It is written under a temporary name, renamed into place, and only then made
current by atomically replacing ``checkpoints/latest.json``; older folders are removed
afterwards. A crash at any moment leaves the previous checkpoint usable.
"""

from __future__ import annotations

import json
import pickle
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from students.run_dir import atomic_write_text

__all__ = ["get_rng_states", "latest_checkpoint", "load_pickle", "save_checkpoint", "set_rng_states"]


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
    """Restore :func:`get_rng_states`."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])  # noqa: NPY002
    torch.set_rng_state(states["torch"])
    if "torch_cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["torch_cuda"])


def _dump_pickle(path: Path, obj: Any) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickle(path: str | Path) -> Any:
    """Unpickle a checkpoint file (only load checkpoints you trust)."""
    with open(path, "rb") as f:
        return pickle.load(f)


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
    """The folder ``latest.json`` points to, or ``None`` when there is no checkpoint."""
    pointer = Path(root) / "latest.json"
    if not pointer.exists():
        return None
    with open(pointer) as f:
        folder = Path(root) / json.load(f)["dir"]
    if not (folder / "loop.pkl").exists():
        raise ValueError(f"checkpoint {folder} named by {pointer} is incomplete or missing")
    return folder
