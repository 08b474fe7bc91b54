"""Runs you can trust: one writer per run directory, and a damaged run directory is refused
with one line naming the file (exit code 2) before anything in it changes."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from students.checkpoint import latest_checkpoint
from students.run_dir import RunInUseError, RunLock
from students.train import run_curriculum
from tests.processes import TRAIN, new_tag, tagged_env
from tests.scripts import load_script

ECHO = "students.testing:teachrl_test/TaskEcho-v0"


@pytest.fixture(scope="module")
def script():
    return load_script("train")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished off-policy run with VecNormalize: every checkpoint file kind is there."""
    run = tmp_path_factory.mktemp("base") / "run"
    run_curriculum(dict(
        env=ECHO, teacher="test-recording", student="sac", device="cpu", wandb_mode="disabled",
        student_params={"learning_starts": 64, "batch_size": 32, "buffer_size": 2000, "policy_kwargs": {"net_arch": [16]}},
        steps=256, n_envs=2, eval_every=0, checkpoint_every=128, log_every=64, normalize=True, run_dir=str(run),
    ))
    names = {p.name for p in latest_checkpoint(run / "checkpoints").iterdir()}
    assert names == {"model.zip", "teacher.pkl", "loop.pkl", "replay_buffer.pkl", "vecnormalize.pkl"}
    return run


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    return run


def snapshot(run: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime (ns), and every folder's entries' names."""
    return {
        str(p.relative_to(run)): (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else (b"dir", 0)
        for p in sorted(run.rglob("*"))
    }


def ckpt_file(run: Path, name: str) -> Path:
    return latest_checkpoint(run / "checkpoints") / name


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00not what it should be\xff" * 3)


def halve(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGES = {
    "empty config": (lambda r: (r / "config.yaml").write_text(""), "config.yaml", "is empty"),
    "unparsable config": (lambda r: (r / "config.yaml").write_text("steps: [1,\n"), "config.yaml", "cannot be read"),
    "bad config value": (lambda r: (r / "config.yaml").write_text("steps: -3\n"), "config.yaml", "steps must be an int"),
    "config not a mapping": (lambda r: (r / "config.yaml").write_text("- 1\n"), "config.yaml", "must be a mapping"),
    "short history": (lambda r: halve(r / "history.jsonl"), "history.jsonl", "fewer than the"),
    "missing history": (lambda r: (r / "history.jsonl").unlink(), "history.jsonl", "cannot be read"),
    "edited metrics": (lambda r: (r / "metrics.jsonl").write_bytes(b"x" * (r / "metrics.jsonl").stat().st_size),
                       "metrics.jsonl", "not a line end"),
    "bad test set": (lambda r: garbage(r / "test_set.json"), "test_set.json", "cannot be read"),
    "bad latest.json": (lambda r: garbage(r / "checkpoints" / "latest.json"), "latest.json", "cannot be read"),
    "latest.json names nothing": (
        lambda r: (r / "checkpoints" / "latest.json").write_text('{"step": 1, "dir": "step_000000000001"}'),
        "latest.json", "incomplete or missing"),
    "corrupt model.zip": (lambda r: garbage(ckpt_file(r, "model.zip")), "model.zip", "cannot be read"),
    "cut model.zip": (lambda r: halve(ckpt_file(r, "model.zip")), "model.zip", "cannot be"),
    "corrupt teacher.pkl": (lambda r: garbage(ckpt_file(r, "teacher.pkl")), "teacher.pkl", "cannot be read"),
    "refused teacher state": (lambda r: ckpt_file(r, "teacher.pkl").write_bytes(pickle.dumps({"x": 1})),
                              "teacher.pkl", "the teacher cannot load it"),
    "corrupt loop.pkl": (lambda r: halve(ckpt_file(r, "loop.pkl")), "loop.pkl", "cannot be read"),
    "loop.pkl of another kind": (lambda r: ckpt_file(r, "loop.pkl").write_bytes(pickle.dumps([1])),
                                 "loop.pkl", "not a loop state"),
    "corrupt replay buffer": (lambda r: halve(ckpt_file(r, "replay_buffer.pkl")), "replay_buffer.pkl", "cannot be"),
    "corrupt vecnormalize": (lambda r: garbage(ckpt_file(r, "vecnormalize.pkl")), "vecnormalize.pkl", "cannot be read"),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_run_is_refused_untouched(script, run_copy, capsys, case):
    damage, file_name, phrase = DAMAGES[case]
    damage(run_copy)
    before = snapshot(run_copy)
    assert script.main(["--resume", str(run_copy), "--no-progress-bar"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert file_name in err and phrase in err, err
    assert snapshot(run_copy) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only folders")
@pytest.mark.parametrize("folder", [".", "checkpoints"])
def test_read_only_folder_is_refused_untouched(script, run_copy, capsys, folder):
    target = run_copy / folder
    before = snapshot(run_copy)
    target.chmod(0o555)
    try:
        assert script.main(["--resume", str(run_copy), "--no-progress-bar"]) == 2
    finally:
        target.chmod(0o755)
    err = capsys.readouterr().err
    assert str(target.resolve()).rstrip("/.") in err or str(target) in err, err
    assert snapshot(run_copy) == before


@pytest.mark.parametrize("folder", [".", "checkpoints"])
def test_unwritable_folder_is_refused_untouched_as_os_access_sees_it(script, run_copy, capsys, monkeypatch, folder):
    """The same refusal, with the permission answer emulated (root may write anywhere, so the
    test above cannot run as root): the check asks ``os.access``, as a non-root user's would."""
    import students.run_dir

    target = (run_copy / folder).resolve()
    real_access = os.access
    monkeypatch.setattr(
        students.run_dir.os, "access",
        lambda path, mode: False if Path(path).resolve() == target else real_access(path, mode),
    )
    before = snapshot(run_copy)
    assert script.main(["--resume", str(run_copy), "--no-progress-bar"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not writable" in err, err
    assert str(run_copy / folder).rstrip("/.") in err, err
    assert snapshot(run_copy) == before


def test_cut_last_line_beyond_checkpoint_is_truncated(run_copy):
    with open(run_copy / "history.jsonl", "a") as f:
        f.write('{"episode": 99999, "st')  # a crash in the middle of a line after the checkpoint
    result = run_curriculum({"steps": 384}, resume=run_copy)
    lines = (run_copy / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["episode"] for line in lines] == list(range(result.episodes))


def test_second_writer_is_refused_while_first_runs(script, run_copy, capsys):
    first = subprocess.Popen(
        [sys.executable, str(TRAIN), "--resume", str(run_copy), "--steps", "1000000", "--no-progress-bar"],
        env=tagged_env(new_tag()), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (run_copy / "metrics.jsonl").stat().st_size > 0 or not _locked_by(run_copy, first.pid):
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read().decode()
            time.sleep(0.05)
        assert script.main(["--resume", str(run_copy), "--no-progress-bar"]) == 2
        err = capsys.readouterr().err
        assert f"in use by process {first.pid} on host {socket.gethostname()}" in err, err
        assert script.main(["--env", ECHO, "--teacher", "random", "--run-dir", str(run_copy)]) == 2
        assert "already holds a run" in capsys.readouterr().err
    finally:
        first.kill()
        first.wait()
        first.stderr.close()


def _locked_by(run: Path, pid: int) -> bool:
    try:
        return json.loads((run / ".lock").read_text())["pid"] == pid
    except (OSError, ValueError, KeyError):
        return False


def test_lock_refuses_a_second_holder_and_names_it(tmp_path):
    with RunLock(tmp_path / "run") as lock:
        record = json.loads(lock.path.read_text())
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        with pytest.raises(RunInUseError, match=f"in use by process {os.getpid()} on host"):
            RunLock(tmp_path / "run")
    assert not (tmp_path / "run" / ".lock").exists()
    RunLock(tmp_path / "run").release()  # free again


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_lock_of_a_dead_writer_is_taken_over(script, run_copy, capsys):
    stale = {"pid": _dead_pid(), "host": socket.gethostname(), "started": "2000-01-01T00:00:00"}
    (run_copy / ".lock").write_text(json.dumps(stale))  # left by a killed run: nobody holds it
    assert script.main(["--resume", str(run_copy), "--steps", "384", "--no-progress-bar"]) == 0
    assert not (run_copy / ".lock").exists()
    # still held (by a helper the dead writer left), but its recorded writer is dead: broken
    (run_copy / ".lock").write_text(json.dumps(stale))
    helper = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
        "print('locked', flush=True); time.sleep(60)"), str(run_copy / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert helper.stdout.readline().strip() == "locked"
        with RunLock(run_copy) as lock:
            assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    finally:
        helper.kill()
        helper.wait()
        helper.stdout.close()
