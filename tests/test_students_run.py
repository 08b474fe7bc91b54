"""run_curriculum: run directory, evaluation, checkpoints, resume, crashed workers, config."""

from __future__ import annotations

import json
import pickle
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces

from students.checkpoint import latest_checkpoint, save_checkpoint
from students.config import RunConfig, parse_overrides
from students.evaluation import TaskEvaluator, make_test_set
from students.loggers import RunLogger
from students.run_dir import read_jsonl
from students.testing import RecordingTeacher, task_code, task_success
from students.train import EnvFactory, run_curriculum
from students.vec_env import WorkerCrashedError

ECHO = "students.testing:teachrl_test/TaskEcho-v0"


def small_config(tmp_path, **changes):
    cfg = dict(
        env=ECHO, teacher="test-recording", student="ppo", device="cpu", wandb_mode="disabled",
        student_params={"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        steps=2048, n_envs=4, eval_every=1024, eval_tasks=16, checkpoint_every=512,
        log_every=256, teacher_log_every=512, run_dir=str(tmp_path / "run"),
    )
    cfg.update(changes)
    return cfg


class StopAt(RunLogger):
    """Simulates a crash: raises at the first metrics line at or after ``step``."""

    def __init__(self, step):
        self.step = step

    def on_metrics(self, step, metrics):
        if step >= self.step:
            raise KeyboardInterrupt(f"stopped at {step}")


def test_run_directory_contents(tmp_path):
    result = run_curriculum(small_config(tmp_path, steps=1024))
    run = result.run_dir
    config = RunConfig.from_yaml(run / "config.yaml")
    assert config.teacher == "test-recording" and config.steps == 1024
    import yaml

    stored = yaml.safe_load((run / "config.yaml").read_text())
    assert stored["task_space"] == {"low": [0.0, 0.0], "high": [1.0, 1.0], "names": ["x0", "x1"]}
    tasks = json.loads((run / "test_set.json").read_text())["tasks"]
    assert np.allclose(tasks, make_test_set(spaces.Box(0, 1, (2,)), 16))
    history = read_jsonl(run / "history.jsonl")
    assert len(history) == result.episodes == len(result.teacher.updates) > 50
    assert set(history[0]) == {"episode", "step", "env", "task", "score", "return", "length", "success"}
    evaluations = read_jsonl(run / "evaluations.jsonl")
    assert [e["step"] for e in evaluations] == [0, 1024]
    # the test env's return encodes the task: evaluation ran each test task exactly
    assert np.allclose(evaluations[-1]["returns"], [task_code(t) for t in tasks])
    assert evaluations[-1]["successes"] == [task_success(t) for t in tasks]
    assert evaluations[-1]["mastered_pct"] == pytest.approx(100 * np.mean([task_success(t) for t in tasks]))
    metrics = read_jsonl(run / "metrics.jsonl")
    assert metrics[-1]["step"] == 1024 and metrics[-1]["episodes"] == len(history)
    assert read_jsonl(run / "teacher.jsonl")[-1] == {"step": 1024, "episode": len(history), "internals": {}}
    ckpt = latest_checkpoint(run / "checkpoints")
    assert ckpt.name == "step_000000001024"
    assert {p.name for p in ckpt.iterdir()} == {"model.zip", "teacher.pkl", "loop.pkl"}
    assert [p.name for p in (run / "checkpoints").iterdir() if p.is_dir()] == [ckpt.name]
    with pytest.raises(ValueError, match="already holds a run"):
        run_curriculum(small_config(tmp_path, steps=1024))


@pytest.mark.parametrize("student", ["ppo", pytest.param("sac", marks=pytest.mark.slow)])
def test_resume_history_is_exact_concatenation(tmp_path, student):
    params = (
        {"n_steps": 64, "batch_size": 64, "n_epochs": 1} if student == "ppo"
        else {"learning_starts": 100, "batch_size": 32, "buffer_size": 4000, "policy_kwargs": {"net_arch": [32]}}
    )
    cfg = small_config(tmp_path, student=student, student_params=params, steps=2560)
    with pytest.raises(KeyboardInterrupt):
        run_curriculum(cfg, extra_loggers=[StopAt(1400)])
    run = tmp_path / "run"
    before = (run / "history.jsonl").read_bytes()
    ckpt = latest_checkpoint(run / "checkpoints")
    loop = pickle.loads((ckpt / "loop.pkl").read_bytes())
    assert loop["step"] == 1024 if student == "ppo" else loop["step"] >= 1024
    cut = loop["offsets"]["history"]
    assert len(before) > cut  # episodes were written after the checkpoint: truncation matters

    result = run_curriculum({"steps": 2560}, resume=run)
    assert result.steps >= 2560
    after = (run / "history.jsonl").read_bytes()
    assert after[:cut] == before[:cut]
    history = read_jsonl(run / "history.jsonl")
    assert [r["episode"] for r in history] == list(range(len(history)))
    # the restored teacher saw part 1 (up to the checkpoint) then part 2, nothing else
    teacher = result.teacher
    assert len(teacher.updates) == len(history) == result.episodes
    for (task, score), rec in zip(teacher.updates, history, strict=True):
        assert np.allclose(task, rec["task"]) and score == pytest.approx(rec["score"], rel=1e-12)
        assert score == pytest.approx(task_code(task), rel=1e-6)
    part1 = read_jsonl(run / "history.jsonl")[: loop["n_episodes"]]
    assert part1[-1]["step"] <= loop["step"] < history[loop["n_episodes"]]["step"]
    for name in ("metrics", "evaluations", "teacher"):
        steps = [r["step"] for r in read_jsonl(run / f"{name}.jsonl")]
        assert steps == sorted(steps) and len(steps) == len(set(steps)), name
    if student == "sac":
        assert result.model.replay_buffer.size() > 1024 // 4


def test_resume_extends_a_finished_run(tmp_path):
    first = run_curriculum(small_config(tmp_path, steps=768, eval_every=0))
    second = run_curriculum({"steps": 1536}, resume=first.run_dir)
    assert second.steps == 1536 and RunConfig.from_yaml(first.run_dir / "config.yaml").steps == 1536
    assert len(second.teacher.updates) == len(read_jsonl(first.run_dir / "history.jsonl"))


def test_crashed_worker_raises_quickly_and_keeps_checkpoint(tmp_path):
    cfg = small_config(
        tmp_path, vec_env="subproc", n_envs=2, eval_every=0, checkpoint_every=128,
        student_params={"n_steps": 32, "batch_size": 64, "n_epochs": 1},
        env_kwargs={"crash_at_step": 300}, steps=100_000,
    )

    def hang(signum, frame):
        raise TimeoutError("training hung after a worker crash")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(120)
    try:
        start = time.monotonic()
        with pytest.raises(WorkerCrashedError, match=r"worker \d crashed: RuntimeError: TaskEchoEnv crashed"):
            run_curriculum(cfg)
        elapsed = time.monotonic() - start
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert elapsed < 60
    run = tmp_path / "run"
    ckpt = latest_checkpoint(run / "checkpoints")
    loop = pickle.loads((ckpt / "loop.pkl").read_bytes())
    assert 0 < loop["step"] <= 600
    state = pickle.loads((ckpt / "teacher.pkl").read_bytes())
    teacher = RecordingTeacher.from_state_dict(spaces.Box(0, 1, (2,), np.float32), state)
    assert len(teacher.updates) == loop["n_episodes"] > 0
    assert not list((run / "checkpoints").glob(".*tmp"))
    from stable_baselines3 import PPO

    assert PPO.load(ckpt / "model.zip", device="cpu").num_timesteps == loop["step"]


def test_interrupted_checkpoint_keeps_the_previous_one(tmp_path):
    class Model:
        def __init__(self, fail):
            self.fail = fail

        def save(self, path):
            if self.fail:
                raise OSError("disk full")
            Path(path).write_bytes(b"model")

    root = tmp_path / "checkpoints"
    save_checkpoint(root, 10, Model(False), {"t": 1}, {"n_episodes": 3})
    with pytest.raises(OSError):
        save_checkpoint(root, 20, Model(True), {"t": 2}, {"n_episodes": 5})
    ckpt = latest_checkpoint(root)
    assert ckpt.name == "step_000000000010"
    assert pickle.loads((ckpt / "loop.pkl").read_bytes())["n_episodes"] == 3


def test_make_test_set():
    box2 = spaces.Box(np.array([0.0, -1.0]), np.array([2.0, 1.0]), dtype=np.float64)
    grid = make_test_set(box2, 9)
    assert grid.shape == (9, 2) and len({tuple(t) for t in grid}) == 9
    assert np.allclose(sorted(set(grid[:, 0])), [1 / 3, 1, 5 / 3])
    assert np.allclose(make_test_set(spaces.Box(0, 1, (1,)), 4)[:, 0], [0.125, 0.375, 0.625, 0.875])
    box3 = spaces.Box(0, 1, (3,))
    u = make_test_set(box3, 20, seed=5)
    assert u.shape == (20, 3) and np.array_equal(u, make_test_set(box3, 20, seed=5))
    assert not np.array_equal(u, make_test_set(box3, 20, seed=6))
    with pytest.raises(ValueError, match="square"):
        make_test_set(box2, 10)
    with pytest.raises(ValueError, match="positive"):
        make_test_set(box2, 0)


def test_evaluator_runs_every_task_and_episode():
    class ZeroPolicy:
        def predict(self, obs, deterministic=False):
            assert deterministic
            return np.zeros((len(obs), 1), dtype=np.float32), None

    tasks = make_test_set(spaces.Box(0, 1, (2,)), 25)
    ev = TaskEvaluator(EnvFactory(ECHO, monitor=False), tasks, n_episodes=2, n_parallel=3)
    out = ev.evaluate(ZeroPolicy())
    assert np.allclose(out["returns"], [task_code(t) for t in tasks])
    assert out["successes"] == [task_success(t) for t in tasks]
    assert out["mastered_pct"] == pytest.approx(40.0)  # x0 < 0.5 on 2 of 5 grid columns
    ev.close()


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"env": "teachrl/NoSuchEnv-v0"}, "unknown env 'teachrl/NoSuchEnv-v0'"),
        ({"teacher": "nope"}, "unknown teacher 'nope'"),
        ({"student": "xgboost"}, "unknown student 'xgboost'"),
        ({"teacher_params": {"temperature": 1}}, r"\['temperature'\]"),
        ({"teacher_params": {"seed": 1}}, r"\['seed'\]"),
        ({"teacher_params": {"reward_range": [1, 0]}}, r"reward_range .* got \[1, 0\]"),
        ({"student_params": {"n_stepz": 8}}, r"\['n_stepz'\]"),
        ({"student": "sac", "student_params": {}, "score": "advantage"}, "on-policy"),
        ({"student": "td3", "student_params": {}, "score": "positive_advantage"}, "'positive_advantage' needs an on-policy"),
        ({"score": "value"}, "score must be one of"),
        ({"advantage_norm": "std"}, "advantage_norm must be one of .* got 'std'"),
        ({"vec_env": "ray"}, "vec_env must be one of"),
        ({"device": "tpu"}, "device must be one of"),
        pytest.param({"device": "cuda"}, "no CUDA device", marks=pytest.mark.skipif(
            __import__("torch").cuda.is_available(), reason="CUDA present")),
        ({"steps": -5}, r"steps must be an int in \[1, inf\), got -5"),
        ({"n_envs": 2.5}, "n_envs must be an int in"),
        ({"eval_tasks": 10}, "square test set size"),
        ({"env_kwargs": {"no_such_kwarg": 1}}, "rejected env_kwargs {'no_such_kwarg': 1}"),
    ],
)
def test_bad_config_errors(tmp_path, changes, match):
    with pytest.raises(ValueError, match=match):
        run_curriculum(small_config(tmp_path, **changes))
    assert not (tmp_path / "run").exists()  # nothing written for a bad config


def test_config_parsing_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['stepz'\]"):
        RunConfig.from_dict({"stepz": 3})
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides(["lr"], "student")
    assert parse_overrides(["lr=3e-4", "net=[64, 64]", "flag=true"], "student") == {
        "lr": 3e-4, "net": [64, 64], "flag": True}
    with pytest.raises(ValueError, match="no such directory"):
        run_curriculum(resume=tmp_path / "nothing")


def test_resume_restores_vecnormalize(tmp_path):
    first = run_curriculum(small_config(tmp_path, steps=768, eval_every=256, normalize=True))
    ckpt = latest_checkpoint(first.run_dir / "checkpoints")
    assert (ckpt / "vecnormalize.pkl").exists()
    count = first.model.get_vec_normalize_env().obs_rms.count
    second = run_curriculum({"steps": 1024}, resume=first.run_dir)
    norm = second.model.get_vec_normalize_env()
    assert norm is not None and norm.obs_rms.count > count > 700


def test_resume_with_advantage_score(tmp_path):
    cfg = small_config(tmp_path, score="advantage", steps=2048, eval_every=0)
    with pytest.raises(KeyboardInterrupt):
        run_curriculum(cfg, extra_loggers=[StopAt(1300)])
    result = run_curriculum({"steps": 2048}, resume=tmp_path / "run")
    history = read_jsonl(tmp_path / "run" / "history.jsonl")
    assert [r["episode"] for r in history] == list(range(len(history)))
    assert len(result.teacher.updates) == len(history) > 100
    for (task, score), rec in zip(result.teacher.updates, history, strict=True):
        assert np.allclose(task, rec["task"]) and score == pytest.approx(rec["score"], rel=1e-12)
        assert rec["return"] == pytest.approx(task_code(task), rel=1e-6) and score >= 0


def test_run_directory_files_can_be_watched_after_each_metrics_line(tmp_path):
    from students.run_dir import RunDirectory

    writer = RunDirectory(tmp_path / "run")
    writer.on_episodes(10, [{"episode": 0, "step": 10}])
    assert not (tmp_path / "run" / "history.jsonl").read_text()  # buffered until ...
    writer.on_metrics(10, {"episodes": 1})  # ... the next metrics line
    assert read_jsonl(tmp_path / "run" / "history.jsonl", strict=True) == [{"episode": 0, "step": 10}]
    assert read_jsonl(tmp_path / "run" / "metrics.jsonl", strict=True) == [{"step": 10, "episodes": 1}]
    writer.close()
