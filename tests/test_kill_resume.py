"""SIGKILL scripts/train.py at ten (twelve, slow) moments of one run (inside checkpoint writes, right after
the resume's truncation, after the config rewrite, in an evaluation, mid-learning, and at
plain timed moments), resuming after each: every resume runs, and the finished run's files
are exactly one run's (contiguous unique history, as many rows as teacher updates)."""

from __future__ import annotations

import json
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401 (registers PointGate)
import teachers
from students.checkpoint import latest_checkpoint
from students.run_dir import JSONL_FILES, read_jsonl
from tests.processes import TRAIN, new_tag, tagged_env, wait_no_tagged

LAUNCHER = Path(__file__).resolve().parent / "kill_launcher.py"
FIT_RATE = 10
ARGS = [
    "--n-envs", "2", "--checkpoint-every", "256", "--eval-every", "1024",
    "--eval-tasks", "4", "--log-every", "256", "--wandb-mode", "disabled", "--no-progress-bar",
    "--student-param", "n_steps=64", "--student-param", "batch_size=64", "--student-param", "n_epochs=1",
    "--teacher-param", f"fit_rate={FIT_RATE}",  # the default teacher (ALP-GMM), fitting early and often
]

# (function, call, before/after) the launched train.py SIGKILLs itself at; or ("progress", k)
# (kill once the latest checkpoint advanced k times) or ("delay", s) (kill s seconds in).
MOMENTS = [
    ("students.checkpoint:_dump_pickle", 3, "before"),  # 2nd checkpoint: model.zip written, no teacher.pkl
    ("students.run_dir:RunDirectory.truncate", 1, "after"),  # resume: files cut back, nothing else
    ("students.checkpoint:atomic_write_text", 2, "before"),  # folder renamed, latest.json not updated
    ("students.checkpoint:atomic_write_text", 2, "after"),  # latest.json updated, old folder kept
    ("students.run_dir:RunDirectory.on_start", 1, "after"),  # config.yaml and test set rewritten
    ("students.callbacks:EvaluationCallback.act", 1, "before"),  # at an evaluation
    ("students.run_dir:RunDirectory._write", 8, "after"),  # mid-learning, lines unflushed
    ("students.checkpoint:_dump_pickle", 2, "after"),  # loop.pkl written, folder not renamed
    ("progress", 2),
    ("delay", 1.5),  # early in a resume (starting up or first steps): never long enough to finish
    ("students.run_dir:RunDirectory.flush", 3, "after"),  # in a checkpoint, offsets taken
    ("progress", 1),
]


def latest_step(run: Path) -> int:
    try:
        return json.loads((run / "checkpoints" / "latest.json").read_text())["step"]
    except (OSError, ValueError):
        return -1


def launch(moment: tuple, run: Path, tag: str, steps: int | None) -> subprocess.CompletedProcess | subprocess.Popen:
    """Start train.py (a new run of ``steps`` steps, or a resume when ``None``), SIGKILL it at
    ``moment``, wait for it."""
    train_args = [*ARGS, "--steps", str(steps), "--run-dir", str(run)] if steps else ["--resume", str(run), "--no-progress-bar"]
    if moment[0] in ("progress", "delay"):
        cmd = [sys.executable, str(TRAIN), *train_args]
    else:
        cmd = [sys.executable, str(LAUNCHER), moment[0], str(moment[1]), moment[2], "--", *train_args]
    proc = subprocess.Popen(cmd, env=tagged_env(tag), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if moment[0] in ("progress", "delay"):
        start_step, start = latest_step(run), time.monotonic()
        while proc.poll() is None:
            if moment[0] == "delay" and time.monotonic() - start >= moment[1]:
                break
            if moment[0] == "progress" and latest_step(run) >= start_step + moment[1] * 256:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.parametrize(
    "moments, steps_total",
    [
        pytest.param(MOMENTS[:10], 3072, id="10-moments"),
        pytest.param(MOMENTS, 4096, id="12-moments", marks=pytest.mark.slow),
    ],
)
def test_sigkill_at_many_moments_then_resume(tmp_path, moments, steps_total):
    run = tmp_path / "run"
    tag = new_tag()
    for k, moment in enumerate(moments):
        done = launch(moment, run, tag, steps_total if k == 0 else None)
        assert done.returncode == -signal.SIGKILL, (moment, done.returncode, done.stderr[-2000:])
        assert latest_checkpoint(run / "checkpoints") is not None or k == 0
    final = subprocess.run(
        [sys.executable, str(TRAIN), "--resume", str(run), "--no-progress-bar"], env=tagged_env(tag),
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert final.returncode == 0, final.stderr[-3000:]
    assert wait_no_tagged(tag) == []

    ckpt = latest_checkpoint(run / "checkpoints")
    loop = pickle.loads((ckpt / "loop.pkl").read_bytes())
    assert loop["step"] == steps_total
    records = {kind: read_jsonl(run / name, strict=True) for kind, name in JSONL_FILES.items()}
    history = records["history"]
    assert [r["episode"] for r in history] == list(range(len(history)))
    assert len(history) == loop["n_episodes"] >= 2 * FIT_RATE  # the teacher fitted, was saved and restored
    space = gym.make("teachrl/PointGate-v0").get_wrapper_attr("task_space")
    teacher = teachers.make("alp-gmm", space, seed=0, fit_rate=FIT_RATE)
    teacher.load_state_dict(pickle.loads((ckpt / "teacher.pkl").read_bytes()))
    assert teacher.n_updates == len(history)
    steps = [r["step"] for r in history]
    assert steps == sorted(steps) and steps[-1] <= steps_total
    for kind in ("metrics", "evaluations", "teacher"):
        kind_steps = [r["step"] for r in records[kind]]
        assert kind_steps == sorted(set(kind_steps)), kind
    assert [r["step"] for r in records["evaluations"]] == list(range(0, steps_total + 1, 1024))
    assert np.isfinite([r["return"] for r in history]).all()
    assert not (run / ".lock").exists()
