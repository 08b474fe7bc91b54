"""scripts/train.py: flags → config, defaults < --config < flags, errors, resume."""

from __future__ import annotations

import json

import pytest
import yaml

from students.config import RunConfig
from students.run_dir import read_jsonl
from tests.scripts import load_script
from tests.wandb_offline import offline_runs, read_config, read_history, run_id

ECHO = "students.testing:teachrl_test/TaskEcho-v0"


@pytest.fixture(scope="module")
def script():
    return load_script("train")


def test_flags_override_config_file(script, tmp_path):
    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text(yaml.safe_dump({"steps": 5000, "seed": 7, "student_params": {"gamma": 0.9}}))
    args = script.build_parser().parse_args([
        "--config", str(cfg_file), "--seed", "3", "--teacher", "random",
        "--student-param", "learning_rate=3e-4", "--teacher-param", "reward_range=[0, 10]",
        "--env-kwargs", "{max_length: 20}", "--wandb-mode", "disabled", "--wandb-tags", "a", "b",
        "--advantage-norm", "none", "--eval-set", "levels",
    ])
    data = script.config_from_args(args)
    config = RunConfig.from_dict(data)
    assert config.steps == 5000 and config.seed == 3 and config.teacher == "random"
    assert config.student_params == {"gamma": 0.9, "learning_rate": 3e-4}
    assert config.teacher_params == {"reward_range": [0, 10]}
    assert config.env_kwargs == {"max_length": 20}
    assert config.wandb_mode == "disabled" and config.wandb_tags == ["a", "b"]
    assert config.advantage_norm == "none" and RunConfig().advantage_norm == "batch"
    assert config.eval_set == "levels" and RunConfig().eval_set == "grid"
    assert RunConfig().env == "teachrl/PointGate-v0" and RunConfig().teacher == "alp-gmm"


def test_main_runs_and_resumes(script, tmp_path, capsys, wandb_env):
    """End to end: train.py (W&B offline by default), resume, then plot_run.py on the result."""
    run_dir = tmp_path / "run"
    argv = ["--env", ECHO, "--teacher", "random", "--steps", "512", "--n-envs", "2",
            "--eval-every", "256", "--eval-tasks", "4", "--run-dir", str(run_dir), "--no-progress-bar",
            "--student-param", "n_steps=64", "--student-param", "n_epochs=1"]
    assert script.main(argv) == 0
    out = capsys.readouterr().out
    assert str(run_dir) in out and "mastered" in out
    assert RunConfig.from_yaml(run_dir / "config.yaml").student_params == {"n_steps": 64, "n_epochs": 1}
    assert [e["step"] for e in read_jsonl(run_dir / "evaluations.jsonl")] == [0, 256, 512]
    assert json.loads((run_dir / "DONE").read_text())["steps"] == 512
    assert script.main(["--resume", str(run_dir), "--steps", "768", "--no-progress-bar"]) == 0
    assert f"Resuming {run_dir} from step 512 (" in capsys.readouterr().out
    assert read_jsonl(run_dir / "metrics.jsonl")[-1]["step"] == 768
    assert json.loads((run_dir / "DONE").read_text())["steps"] == 768

    # One W&B run resumed once: same id, every evaluation logged once at its own step.
    runs = offline_runs(run_dir / "wandb")
    assert len(runs) == 2 and run_id(runs[0]) == run_id(runs[1])
    rows = [row for d in runs for row in read_history(d)]
    steps = [step for step, _ in rows]
    assert steps == sorted(set(steps))
    assert [step for step, row in rows if "eval/mastered_pct" in row] == [0, 256, 512, 768]
    assert read_config(runs[0])["teacher"] == "random"

    written = load_script("plot_run").main([str(run_dir), "--frames", "3"])
    assert written and all(p.stat().st_size > 1000 for p in written)
    assert any(p.suffix == ".gif" for p in written)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--teacher", "nope"], "unknown teacher 'nope'"),
        (["--student", "ppo2"], "unknown student 'ppo2'"),
        (["--student-param", "lr"], "--student-params 'lr' is neither KEY=VALUE"),
        (["--teacher-param", "bogus=1"], "['bogus']"),
        (["--vec-env", "threads"], "vec_env must be one of"),
        (["--env-kwargs", "[1, 2]"], "--env-kwargs '[1, 2]' is neither KEY=VALUE"),
        (["--env-kwargs", "{a: [}"], "not valid YAML: '{a: [}'"),
        (["--resume", "somewhere", "--seed", "3"], "with --resume only --steps, --progress-bar, --device may be given"),
        (["--config", "/no/such.yaml"], "does not exist"),
    ],
)
def test_bad_arguments_exit_with_clear_error(script, capsys, argv, message):
    assert script.main(["--env", ECHO, "--teacher", "random", *argv]) == 2
    assert message in capsys.readouterr().err


def test_every_config_field_is_a_flag_documented_by_its_field(script):
    import dataclasses

    from students.cli import field_docs, flag_of

    parser = script.build_parser()
    options = {opt: action for action in parser._actions for opt in action.option_strings}
    docs = field_docs()
    for field in dataclasses.fields(RunConfig):
        action = options[flag_of(field.name)]
        assert action.dest == field.name
        assert docs[field.name] and action.help.startswith(docs[field.name].replace("%", "%%"))
    # Each field given on the command line lands in the config unchanged.
    args = parser.parse_args(["--n-envs", "3", "--normalize", "--torch-threads", "null", "--no-progress-bar"])
    data = script.config_from_args(args)
    assert (data["n_envs"], data["normalize"], data["torch_threads"], data["progress_bar"]) == (3, True, None, False)


@pytest.mark.parametrize(("student", "params", "steps", "expected"), [
    ("ppo", {"n_steps": 64}, 200, 256),      # whole rollouts of 64 x 2 envs
    ("a2c", {"n_steps": 5}, 21, 30),
    ("sac", {"learning_starts": 0}, 7, 8),   # rounds of train_freq=1 x 2 envs
    ("td3", {"train_freq": 3, "learning_starts": 0}, 7, 12),
])
def test_planned_steps_are_the_steps_learn_runs(student, params, steps, expected):
    from stable_baselines3.common.vec_env import DummyVecEnv

    from students.config import algorithm_class
    from students.train import EnvFactory, planned_steps

    venv = DummyVecEnv([EnvFactory(ECHO)] * 2)
    model = algorithm_class(student)("MlpPolicy", venv, seed=0, **params)
    assert planned_steps(model, steps) == expected
    model.learn(planned_steps(model, steps))
    assert model.num_timesteps == expected  # so a progress bar over planned_steps ends at its total
    assert planned_steps(model, 0) == 0
