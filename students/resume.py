"""Opening a run directory to resume it: everything is read and checked before anything is
written (:func:`open_resume`).

A damaged run directory (empty or unparsable ``config.yaml``, JSONL files shorter than the
checkpoint's offsets, an unreadable or corrupt ``latest.json``, ``loop.pkl``,
``teacher.pkl``, ``model.zip``, replay buffer or ``vecnormalize.pkl``, a read-only folder)
raises one :class:`~students.run_dir.RunDirError` naming the file, and the directory is left
exactly as it was.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from students.checkpoint import Checkpoint, read_checkpoint
from students.config import RunConfig, algorithm_class, check_device
from students.run_dir import (
    CHECKPOINT_DIR,
    CONFIG_FILE,
    RunDirError,
    check_offsets,
    check_writable,
    read_test_set,
)

__all__ = ["Resume", "open_resume"]


@dataclasses.dataclass
class Resume:
    """A run directory read back for resuming.

    :param run_dir: the run directory.
    :param config: its ``config.yaml`` with the caller's changes, validated.
    :param checkpoint: the latest checkpoint, its pickles loaded.
    :param test_set: the run's test set.
    :param model: the SB3 model (and its replay buffer), loaded without an env: attach one
        with ``model.set_env(env, force_reset=True)``.
    """

    run_dir: Path
    config: RunConfig
    checkpoint: Checkpoint
    test_set: np.ndarray
    model: Any

    @property
    def loop_state(self) -> dict[str, Any]:
        """The checkpoint's loop state with this resume counted in ``"resumes"``."""
        state = dict(self.checkpoint.loop_state)
        state["resumes"] = int(state.get("resumes", 0)) + 1
        return state

    def restore_teacher(self, teacher: Any) -> None:
        """Load the checkpoint's teacher state into ``teacher`` (built like the run's).

        :raises RunDirError: naming ``teacher.pkl`` when the teacher refuses the state.
        """
        try:
            teacher.load_state_dict(self.checkpoint.teacher_state)
        except (ValueError, KeyError, TypeError) as err:
            path = self.checkpoint.folder / "teacher.pkl"
            raise RunDirError(f"{path}: the teacher cannot load it ({type(err).__name__}: {err})") from err


def open_resume(run_dir: str | Path, changes: dict[str, Any] | None = None) -> Resume:
    """Read and check everything a resume of ``run_dir`` needs; write nothing.

    :param run_dir: the run directory.
    :param changes: config fields to change (:data:`~students.config.RESUME_FIELDS`:
        ``steps``, ``progress_bar``, ``device``); the model, its replay buffer and the RNG
        states are mapped to ``device`` whatever device saved them, and ``device="cpu"`` also
        moves a teacher that ran on CUDA (``teacher_params["device"]``) to the CPU.
    :raises ValueError: naming the device when ``changes["device"]`` cannot be used here.
    :raises RunDirError: (a ``ValueError``) naming the first missing, unreadable, damaged or
        read-only file or folder.
    """
    changes = dict(changes or {})
    if "device" in changes:
        check_device(changes["device"])  # the caller's error, not the run directory's
    run_dir = Path(run_dir)
    config_path = run_dir / CONFIG_FILE
    if not config_path.is_file():
        raise RunDirError(f"cannot resume {str(run_dir)!r}: no config.yaml there")
    try:
        config = RunConfig.from_yaml(config_path).replace(**changes, run_dir=str(run_dir)).validate()
    except RunDirError:
        raise
    except ValueError as err:
        message = str(err) if str(config_path) in str(err) else f"config file {str(config_path)!r}: {err}"
        raise RunDirError(message) from err
    config = _teacher_device(config, changes.get("device"))
    checkpoint = read_checkpoint(run_dir / CHECKPOINT_DIR)
    if checkpoint is None:
        raise RunDirError(f"cannot resume {str(run_dir)!r}: it has no checkpoint ({run_dir / 'checkpoints' / 'latest.json'} is missing)")
    check_offsets(run_dir, checkpoint.loop_state["offsets"])
    test_set = read_test_set(run_dir)
    check_writable(run_dir)
    model = _load_model(config, checkpoint)
    return Resume(run_dir, config, checkpoint, test_set, model)


def _teacher_device(config: RunConfig, device: str | None) -> RunConfig:
    """``config`` with its teacher moved to the CPU when the resume asks for ``device="cpu"``
    and the teacher ran on CUDA (a neural teacher's ``device``; its state loads on any
    device). A CUDA teacher on a machine without CUDA is an error that says how to resume.

    :raises ValueError: the teacher's device is CUDA, torch sees none, and ``device`` is not
        ``"cpu"``.
    """
    teacher_device = config.teacher_params.get("device")
    if not (isinstance(teacher_device, str) and teacher_device.startswith("cuda")):
        return config
    if device == "cpu":
        return config.replace(teacher_params={**config.teacher_params, "device": "cpu"})
    import torch

    if not torch.cuda.is_available():
        raise ValueError(
            f"the run's teacher uses device {teacher_device!r} but torch sees no CUDA device here; "
            "resume with --device cpu to move the student and the teacher to the CPU"
        )
    return config


def _load_model(config: RunConfig, checkpoint: Checkpoint) -> Any:
    """The SB3 model of ``checkpoint`` (with its replay buffer), without an env."""
    algo = algorithm_class(config.student)
    path = checkpoint.model_path
    try:
        model = algo.load(path, device=config.device)
    except Exception as err:  # noqa: BLE001 (a damaged archive raises almost anything)
        raise RunDirError(f"{path}: cannot be loaded as a {algo.__name__} model ({type(err).__name__}: {err})") from err
    buffer = checkpoint.replay_buffer_path
    if buffer is not None:
        try:
            with open(buffer, "rb") as f:  # SB3 leaves a path's file open when unpickling fails
                model.load_replay_buffer(f)
        except Exception as err:  # noqa: BLE001
            raise RunDirError(f"{buffer}: cannot be loaded ({type(err).__name__}: {err})") from err
    return model
