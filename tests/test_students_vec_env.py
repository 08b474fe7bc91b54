"""GuardedSubprocVecEnv: a crashed worker stops scripts/train.py at once, under every start
method and whichever worker dies, with one message, an intact checkpoint and no process left."""

from __future__ import annotations

import os
import pickle
import re
import signal
import time

import numpy as np
import pytest
from gymnasium import spaces

from students.checkpoint import latest_checkpoint
from students.testing import RecordingTeacher
from students.train import EnvFactory
from students.vec_env import GuardedSubprocVecEnv, WorkerCrashedError
from tests.processes import new_tag, run_train, wait_no_tagged

ECHO = "students.testing:teachrl_test/TaskEcho-v0"
N_ENVS = 3
SEED = 10


# The default suite covers every start method with the last worker (the one SB3's close()
# hung on) and fork with the first; the other two cases are slow.
CASES = [
    ("fork", 0), ("fork", N_ENVS - 1), ("forkserver", N_ENVS - 1), ("spawn", N_ENVS - 1),
    pytest.param("forkserver", 0, marks=pytest.mark.slow), pytest.param("spawn", 0, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("start_method, index", CASES)
def test_crashed_worker_stops_train_script(tmp_path, start_method, index):
    run = tmp_path / "run"
    tag = new_tag()
    proc = run_train([
        "--env", ECHO, "--teacher", "test-recording", "--vec-env", "subproc",
        "--start-method", start_method, "--n-envs", str(N_ENVS), "--seed", str(SEED),
        "--env-kwargs", f"{{crash_at_step: 300, crash_seed: {SEED + index}}}", "--steps", "100000",
        "--checkpoint-every", "96", "--eval-every", "0", "--wandb-mode", "disabled", "--no-progress-bar",
        "--student-param", "n_steps=32", "--student-param", "batch_size=48", "--student-param", "n_epochs=1",
        "--run-dir", str(run),
    ], tag)
    ended = time.time()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    [line] = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    match = re.fullmatch(
        r"error: worker (\d+) crashed: RuntimeError: TaskEchoEnv crashed on purpose at step 300 "
        r"\(t=([\d.]+)\)", line,
    )
    assert match, line
    assert int(match[1]) == index
    assert ended - float(match[2]) < 10, "train.py took more than 10 s to exit after the crash"
    assert wait_no_tagged(tag) == []

    ckpt = latest_checkpoint(run / "checkpoints")
    loop = pickle.loads((ckpt / "loop.pkl").read_bytes())
    assert 0 < loop["step"] <= 300 * N_ENVS
    teacher = RecordingTeacher.from_state_dict(
        spaces.Box(0, 1, (2,), np.float32), pickle.loads((ckpt / "teacher.pkl").read_bytes())
    )
    assert len(teacher.updates) == loop["n_episodes"] > 0
    assert not list((run / "checkpoints").glob(".*tmp"))
    from stable_baselines3 import PPO

    assert PPO.load(ckpt / "model.zip", device="cpu").num_timesteps == loop["step"]


def test_dead_worker_is_reported_by_every_call_and_close_does_not_block():
    venv = GuardedSubprocVecEnv([EnvFactory(ECHO) for _ in range(2)], start_method="fork", close_timeout=0.5)
    try:
        venv.reset()
        venv.processes[1].kill()
        start = time.monotonic()
        with pytest.raises(WorkerCrashedError, match=r"worker 1 crashed: its process ended \(killed by signal 9\)"):
            venv.step(np.zeros((2, 1), np.float32))
        with pytest.raises(WorkerCrashedError, match="worker 1 crashed"):
            venv.env_method("set_task", [0.5, 0.5], indices=[1])
        assert venv.env_method("set_task", [0.5, 0.5], indices=[0]) == [None]
        assert time.monotonic() - start < 5
    finally:
        start = time.monotonic()
        venv.close()
    assert time.monotonic() - start < 5
    assert not any(p.is_alive() for p in venv.processes)


def test_close_after_a_crash_in_step_lets_the_other_workers_exit_by_themselves():
    # The last worker crashes inside step_wait, after the others' replies were read: they owe
    # no reply, and close() must still ask them to exit instead of waiting, then terminating.
    env_fns = [EnvFactory(ECHO, {"crash_at_step": 2, "crash_seed": SEED + 2}) for _ in range(N_ENVS)]
    venv = GuardedSubprocVecEnv(env_fns, start_method="fork", close_timeout=60.0)
    try:
        venv.seed(SEED)
        venv.reset()
        with pytest.raises(WorkerCrashedError, match="worker 2 crashed: RuntimeError"):
            for _ in range(3):
                venv.step(np.zeros((N_ENVS, 1), np.float32))
        assert venv.waiting
    finally:
        venv.close()
    assert [p.exitcode for p in venv.processes] == [0, 0, 1]  # not killed by a signal


def test_stuck_worker_is_terminated_by_close():
    venv = GuardedSubprocVecEnv([EnvFactory(ECHO) for _ in range(2)], start_method="fork", close_timeout=0.5)
    venv.reset()
    venv.remotes[0].send(("env_method", ("set_task", ([0.5, 0.5],), {})))
    venv.remotes[0].recv()
    os.kill(venv.processes[0].pid, signal.SIGSTOP)  # alive but never answers
    start = time.monotonic()
    venv.close()
    assert time.monotonic() - start < 5
    assert not any(p.is_alive() for p in venv.processes)
