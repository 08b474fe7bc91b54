"""Sweeps: config expansion and validation, local and Ray backends, skip/resume on re-run.

The runs use ``tests/fake_trainer.py`` (same CLI as ``scripts/train.py``, no RL) through the
``train_script`` fixture; ``test_tiny_sweep_real_trainer`` (slow) uses the real one.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from students.cli import config_from_args
from students.config import RunConfig
from students.experiments.report import write_report
from students.experiments.sweep import (
    REPO_ROOT,
    SweepConfig,
    build_command,
    check_registries,
    ray_init_arguments,
    run_sweep,
)
from students.run_dir import run_status
from tests.fake_trainer import FAKE_TRAINER, fake_mastered_pct, tiny_sweep_dict
from tests.scripts import load_script

CONFIGS = REPO_ROOT / "configs" / "sweeps"


@pytest.fixture
def train_script() -> Path:
    """The trainer the sweep tests launch (switch to scripts/train.py once it exists)."""
    return FAKE_TRAINER


def _evals(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "evaluations.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------------------- expansion
def test_expand_names_dirs_and_settings(tmp_path):
    raw = tiny_sweep_dict(tmp_path / "out")
    raw["envs"] = [
        "teachrl/PointGate-v0",
        {"id": "teachrl/StumpTracks-v0", "grid": {"body": ["default", "short"]}},
        {"id": "teachrl/CartPole-v0", "kwargs": {"pole_length": 2.0}, "label": "cartpole-long"},
    ]
    raw["teachers"] = [
        "random",
        {"name": "ucb", "label": "ucb-bins", "params": {"bins": 5}, "student_params": {"n_steps": 128},
         "config": {"score": "advantage"}},
    ]
    cfg = SweepConfig.from_dict(raw)
    runs = cfg.expand()
    assert len(runs) == 4 * 2 * 2
    names = [r.name for r in runs]
    assert names[:4] == [
        "PointGate-v0/random/seed0",
        "PointGate-v0/random/seed1",
        "PointGate-v0/ucb-bins/seed0",
        "PointGate-v0/ucb-bins/seed1",
    ]
    assert "StumpTracks-v0_body-short/ucb-bins/seed1" in names
    assert "cartpole-long/random/seed0" in names
    assert len(set(r.run_dir for r in runs)) == len(runs)
    short = next(r for r in runs if r.name == "StumpTracks-v0_body-short/ucb-bins/seed1")
    assert short.run_dir == tmp_path / "out" / "StumpTracks-v0_body-short" / "ucb-bins" / "seed1"
    assert short.env.kwargs == {"body": "short"} and short.teacher.name == "ucb"
    assert short.student_params == {"n_steps": 128}  # the teacher's override wins
    plain = next(r for r in runs if r.name == "PointGate-v0/random/seed0")
    assert plain.student_params == {"n_steps": 256} and plain.run_config() is None
    assert short.run_config() == {"env": "teachrl/StumpTracks-v0", "env_kwargs": {"body": "short"}, "score": "advantage"}
    assert next(r for r in runs if r.name == "cartpole-long/ucb-bins/seed0").config_extras == {"score": "advantage"}
    assert {r.wandb_group for r in runs} == {"tiny-test"}  # one group per sweep, its name


def test_seed_count_and_relative_root(tmp_path):
    raw = tiny_sweep_dict("rel/out", seeds=3)
    cfg = SweepConfig.from_dict(raw, base_dir=tmp_path)
    assert cfg.seeds == (0, 1, 2)
    assert cfg.output_root == (tmp_path / "rel" / "out").resolve()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"teacher": ["random"]}, "unknown key.*'teacher'"),
        ({"seeds": [0, -1]}, "-1"),
        ({"seeds": [1, 1]}, r"duplicates \[1\]"),
        ({"seeds": "five"}, "five"),
        ({"seeds": 0}, "seeds must be a positive integer, got 0"),
        ({"name": "a/b"}, "'a/b' is not a safe directory name"),
        ({"teachers": ["random", "random"]}, r"duplicate teacher label\(s\) \['random'\]"),
        ({"teachers": [{"name": "ucb", "label": "x y"}]}, "'x y'"),
        ({"teachers": [{"params": {}}]}, r"teachers\[0\]\.name"),
        ({"teachers": []}, "teachers must be a non-empty list"),
        ({"envs": [{"kwargs": {}}]}, r"envs\[0\]\.id"),
        ({"envs": [{"id": "E", "grid": {"body": []}}]}, "grid.body must be a non-empty list"),
        ({"envs": [{"id": "E", "grid": {"b": [1]}, "label": "L"}]}, "label cannot be given with a grid"),
        ({"train": {"steps": 0}}, "train.steps must be a positive integer, got 0"),
        ({"train": {"n_envs": 2.5}}, "2.5"),
        ({"train": {"lr": 1}}, "unknown key.*'lr'.*train"),
        ({"wandb": {"mode": "cloud"}}, "'cloud'"),
    ],
)
def test_validation_names_bad_values(tmp_path, change, match):
    raw = tiny_sweep_dict(tmp_path)
    raw.update(change)
    with pytest.raises(ValueError, match=match):
        SweepConfig.from_dict(raw)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_configs_are_valid(path, tmp_path):
    cfg = SweepConfig.from_yaml(path, base_dir=tmp_path)
    runs = cfg.expand()
    assert len(runs) == len(cfg.envs) * len(cfg.teachers) * len(cfg.seeds)
    assert cfg.wandb_group == cfg.name
    for run in {(r.env.id, r.teacher.label): r for r in runs}.values():  # every run's config validates
        RunConfig.from_dict({
            **(run.run_config() or {"env": run.env.id}), "teacher": run.teacher.name, "teacher_params": run.teacher.params,
            "student": run.student, "student_params": run.student_params, "steps": run.steps,
        }).validate()


def test_paper_config_follows_the_protocol():
    cfg = SweepConfig.from_yaml(CONFIGS / "stump_tracks_paper.yaml")
    assert (cfg.student, cfg.steps, cfg.eval_every, cfg.eval_tasks, len(cfg.seeds)) == (
        "sac", 20_000_000, 500_000, 100, 16
    )
    assert {t.name for t in cfg.teachers} == {"random", "alp-gmm", "covar-gmm", "riac", "adr"}
    unfeasible = SweepConfig.from_yaml(CONFIGS / "pointgate_unfeasible.yaml")
    assert [e.id for e in unfeasible.envs] == ["teachrl/PointGate-Unfeasible-v0"]
    assert len(unfeasible.seeds) >= 5 and unfeasible.student == "ppo"


def test_check_registries_lists_unknown_names(tmp_path):
    raw = tiny_sweep_dict(tmp_path, teachers=["random", "no-such-teacher", {"name": "random", "label": "r2",
                                                                            "params": {"bogus": 1}}])  # fmt: skip
    raw["envs"] = ["teachrl/NoSuchEnv-v9"]
    with pytest.raises(ValueError) as err:
        check_registries(SweepConfig.from_dict(raw))
    msg = str(err.value)
    assert "no-such-teacher" in msg and "['bogus']" in msg and "teachrl/NoSuchEnv-v9" in msg


def test_build_command_flags_and_resume(tmp_path):
    raw = tiny_sweep_dict(tmp_path, teachers=[{"name": "alp-gmm", "params": {"potential_ks": [2, 3], "fit_rate": 50}}])
    raw["envs"] = [{"id": "teachrl/StumpTracks-v0", "kwargs": {"body": "short"}}]
    raw["wandb"] = {"mode": "offline", "project": "p", "tags": ["a", "b"]}
    spec = SweepConfig.from_dict(raw).expand()[0]
    cmd = build_command(spec, ["{python}", "scripts/train.py"], REPO_ROOT)
    assert cmd[:2] == [sys.executable, str(REPO_ROOT / "scripts" / "train.py")] or cmd[1] == "scripts/train.py"
    args = load_script("train").build_parser().parse_args(cmd[2:])  # what train.py will read
    assert args.config == str(spec.run_dir / "sweep_run.yaml")
    spec.run_dir.mkdir(parents=True)
    (spec.run_dir / "sweep_run.yaml").write_text(yaml.safe_dump(spec.run_config()))
    config = RunConfig.from_dict(config_from_args(args))
    assert config.run_dir == str(spec.run_dir) and config.seed == 0 and config.progress_bar is False
    assert config.env == "teachrl/StumpTracks-v0" and config.env_kwargs == {"body": "short"}
    assert config.teacher == "alp-gmm" and config.teacher_params == {"potential_ks": [2, 3], "fit_rate": 50}
    assert config.student_params == {"n_steps": 256}
    assert config.wandb_tags == ["a", "b"] and config.wandb_group == "tiny-test" and config.wandb_project == "p"
    resume = build_command(spec, ["{python}", "scripts/train.py"], REPO_ROOT, resume=True)
    assert resume[2:] == ["--resume", str(spec.run_dir)]


def test_run_status(tmp_path):
    assert run_status(tmp_path / "missing") == "new"
    (tmp_path / "checkpoints").mkdir()
    assert run_status(tmp_path) == "new"  # an empty checkpoint folder holds nothing to resume
    (tmp_path / "checkpoints" / "model.zip").write_text("x")
    assert run_status(tmp_path) == "interrupted"
    (tmp_path / "DONE").write_text("{}")
    assert run_status(tmp_path) == "done"


# ---------------------------------------------------------------------------- running
def _check_finished_sweep(cfg: SweepConfig) -> None:
    for spec in cfg.expand():
        evals = _evals(spec.run_dir)
        assert [e["step"] for e in evals] == [1024, 2048, 3072, 4096]
        assert evals[-1]["mastered_pct"] == pytest.approx(fake_mastered_pct(spec.teacher.name, spec.seed, 4096, 4096))
        run_cfg = yaml.safe_load((spec.run_dir / "config.yaml").read_text())
        assert run_cfg["teacher"] == spec.teacher.name and run_cfg["teacher_params"] == spec.teacher.params
        assert run_cfg["wandb_group"] == "tiny-test" and run_cfg["seed"] == spec.seed
        assert (spec.run_dir / "train.log").read_text().count("=== teachrl sweep") == 1


def test_local_backend_runs_the_grid(tmp_path, train_script):
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "sweep", train_script))
    summary = run_sweep(cfg, backend="local", workers=2, log=None)
    assert summary.ok and summary.count("done") == 4 and len(summary.results) == 4
    assert [r.name for r in summary.results] == [r.name for r in cfg.expand()]
    _check_finished_sweep(cfg)
    manifest = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [r["teacher_label"] for r in manifest["runs"]] == ["random", "random", "alp-gmm", "alp-gmm"]


def test_rerun_skips_finished_and_resumes_interrupted(tmp_path, train_script):
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "sweep", train_script))
    crashed = tmp_path / "sweep" / "PointGate-v0" / "alp-gmm" / "seed1"
    first = run_sweep(cfg, workers=2, env_vars={"FAKE_TRAIN_CRASH": "alp-gmm/seed1@2"}, log=None)
    assert not first.ok and (first.count("done"), first.count("failed")) == (3, 1)
    failed = next(r for r in first.results if r.action == "failed")
    assert failed.name == "PointGate-v0/alp-gmm/seed1" and failed.returncode == 3
    assert run_status(crashed) == "interrupted" and [e["step"] for e in _evals(crashed)] == [1024, 2048]

    lines = []
    second = run_sweep(cfg, workers=2, log=lines.append)
    assert second.ok and (second.count("skipped"), second.count("resumed"), second.count("done")) == (3, 1, 0)
    assert "skipped: 3, resumed: 1, failed: 0" in lines[-1]
    assert json.loads((crashed / "DONE").read_text())["resumed"] is True
    assert [e["step"] for e in _evals(crashed)] == [1024, 2048, 3072, 4096]  # nothing lost or repeated
    assert (crashed / "train.log").read_text().count("--resume") == 1
    for spec in cfg.expand():  # the finished runs were not started again
        if spec.run_dir != crashed:
            assert (spec.run_dir / "train.log").read_text().count("=== teachrl sweep") == 1


def test_run_without_checkpoint_restarts_fresh(tmp_path, train_script):
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "sweep", train_script, seeds=[0], teachers=["random"]))
    first = run_sweep(cfg, workers=1, env_vars={"FAKE_TRAIN_CRASH": "random/seed0@0"}, log=None)
    run_dir = cfg.expand()[0].run_dir
    assert first.count("failed") == 1 and run_status(run_dir) == "new"
    (run_dir / "stale.txt").write_text("left by the crashed attempt")
    second = run_sweep(cfg, workers=1, log=None)
    assert second.count("done") == 1 and not (run_dir / "stale.txt").exists()
    assert json.loads((run_dir / "DONE").read_text())["resumed"] is False
    assert (run_dir / "train.log").read_text().count("=== teachrl sweep") == 2  # the log is kept


def test_missing_trainer_fails_cleanly(tmp_path):
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "s", tmp_path / "nope.py", seeds=[0], teachers=["random"]))
    summary = run_sweep(cfg, workers=1, log=None)
    assert not summary.ok and "status" in summary.results[0].message


def test_bad_backend_and_workers(tmp_path):
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path))
    with pytest.raises(ValueError, match="'slurm'"):
        run_sweep(cfg, backend="slurm", log=None)
    with pytest.raises(ValueError, match="workers must be a positive integer, got 0"):
        run_sweep(cfg, workers=0, log=None)


def test_script_exit_status_and_dry_run(tmp_path, train_script):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(tiny_sweep_dict(tmp_path / "out", train_script, seeds=[0])))
    script = [sys.executable, str(REPO_ROOT / "scripts" / "sweep.py"), str(path), "--no-check"]
    dry = subprocess.run([*script, "--dry-run"], capture_output=True, text=True, check=True)
    assert dry.stdout.count("new ") == 2 and not (tmp_path / "out" / "PointGate-v0").exists()
    env = {**os.environ, "FAKE_TRAIN_CRASH": "alp-gmm/seed0@1"}
    bad = subprocess.run([*script, "--workers", "2"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "failed: 1" in bad.stdout
    good = subprocess.run([*script, "--workers", "2"], capture_output=True, text=True)
    assert good.returncode == 0 and "skipped: 1, resumed: 1, failed: 0" in good.stdout


def test_missing_ray_is_one_line_before_anything_is_written(tmp_path, monkeypatch):
    import importlib.util

    import students.experiments.sweep

    real = importlib.util.find_spec
    monkeypatch.setattr(students.experiments.sweep.importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "sweep"))
    with pytest.raises(ValueError, match=r"needs Ray, which is not installed: pip install -e '\.\[ray\]'"):
        run_sweep(cfg, backend="ray", log=None)
    assert not (tmp_path / "sweep").exists()  # not even the manifest


def test_script_reports_missing_ray_in_one_line(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(tiny_sweep_dict(tmp_path / "out")))
    # A module named ray that cannot be found: a `ray` package shadowed by None in sys.modules.
    code = (
        "import sys; sys.modules['ray'] = None; import importlib.util as u; f = u.find_spec; "
        "u.find_spec = lambda n, *a: None if n == 'ray' else f(n, *a); "
        f"sys.argv = ['sweep.py', {str(path)!r}, '--backend', 'ray', '--no-check']; "
        f"sys.path.insert(0, {str(REPO_ROOT / 'scripts')!r}); import runpy; "
        "runpy.run_path(sys.path[0] + '/sweep.py', run_name='__main__')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: the ray backend needs Ray, which is not installed: pip install -e '.[ray]'"
    ]


def test_rerun_lists_each_skipped_run(tmp_path, train_script):
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "sweep", train_script, seeds=[0]))
    assert run_sweep(cfg, workers=2, log=None).ok
    lines: list[str] = []
    again = run_sweep(cfg, workers=2, log=lines.append)
    assert again.count("skipped") == 2
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert [line.split(":")[0] for line in skipped] == [
        "skipped PointGate-v0/random/seed0", "skipped PointGate-v0/alp-gmm/seed0"
    ]


def test_ray_init_arguments():
    local = ray_init_arguments(None, 3)
    assert local["num_cpus"] == 3 and local["include_dashboard"] is False
    assert local["runtime_env"] == {"env_vars": {"PYTHONPATH": str(REPO_ROOT)}}
    cluster = ray_init_arguments("ray://head:10001", 3, {"namespace": "sweeps"})
    assert cluster["address"] == "ray://head:10001" and "num_cpus" not in cluster
    assert cluster["runtime_env"]["working_dir"] == str(REPO_ROOT) and "runs" in cluster["runtime_env"]["excludes"]
    assert cluster["namespace"] == "sweeps"


def test_ray_backend_local_mode(tmp_path, train_script):
    ray = pytest.importorskip("ray")
    cfg = SweepConfig.from_dict(tiny_sweep_dict(tmp_path / "sweep", train_script))
    try:
        try:
            summary = run_sweep(cfg, backend="ray", workers=1, log=None)
        except Exception as err:  # Ray's fixed 30 s startup deadline on an overloaded machine
            if "timed out during startup" not in str(err):
                raise
            ray.shutdown()
            summary = run_sweep(cfg, backend="ray", workers=1, log=None)
        assert not ray.is_initialized()  # the sweep shuts down the Ray it started
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert summary.ok and summary.count("done") == 4
    _check_finished_sweep(cfg)


@pytest.mark.slow
def test_tiny_sweep_real_trainer(tmp_path):
    if not (REPO_ROOT / "scripts" / "train.py").exists():
        pytest.skip("scripts/train.py is not in this checkout")
    cfg = SweepConfig.from_yaml(CONFIGS / "tiny.yaml")
    cfg.output_root = tmp_path / "tiny"
    check_registries(cfg)
    summary = run_sweep(cfg, workers=2, log=None)
    assert summary.ok, summary.format()
    for spec in cfg.expand():
        assert run_status(spec.run_dir) == "done" and _evals(spec.run_dir)
        if spec.teacher.label == "alp-gmm":  # the demo shows a fitted curriculum, not Random's twin
            snapshots = (spec.run_dir / "teacher.jsonl").read_text().splitlines()
            assert json.loads(snapshots[-1])["internals"]["gmm"]["means"]


@pytest.mark.parametrize("backend", ["local", "ray"])
def test_real_trainer_sweep_and_report(tmp_path, backend):
    """2 teachers x 2 seeds through scripts/train.py on a tiny budget, then the report."""
    if backend == "ray":
        pytest.importorskip("ray")
    raw = tiny_sweep_dict(tmp_path / "sweep", REPO_ROOT / "scripts" / "train.py")
    raw["envs"] = ["students.testing:teachrl_test/TaskEcho-v0"]
    raw["train"] = {"student": "ppo", "steps": 512, "n_envs": 2, "eval_every": 256, "eval_tasks": 4,
                    "student_params": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}}
    cfg = SweepConfig.from_dict(raw)
    summary = run_sweep(cfg, backend=backend, workers=2, log=None)
    assert summary.ok and summary.count("done") == 4, summary.format()
    finals = {}
    for spec in cfg.expand():
        assert run_status(spec.run_dir) == "done"
        evals = _evals(spec.run_dir)
        assert [e["step"] for e in evals] == [0, 256, 512]
        finals.setdefault(spec.teacher.label, []).append(evals[-1]["mastered_pct"])
    report = write_report(cfg.output_root, tmp_path / "report")
    text = report.read_text()
    assert "random" in text and "alp-gmm" in text
    (env_summary,) = json.loads((report.parent / "summary.json").read_text())["envs"]
    assert env_summary["steps"] == [0, 256, 512]
    rows = {row["teacher"]: row for row in env_summary["teachers"]}
    assert set(rows) == {"random", "alp-gmm"}
    for teacher, values in finals.items():
        assert rows[teacher]["seeds"] == [0, 1] and rows[teacher]["final"] == values
