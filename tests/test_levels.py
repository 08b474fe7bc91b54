"""RunConfig.levels: named env tasks driving a Discrete teacher (validation, runs, resume, CLI, sweep)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from gymnasium import spaces

import teachers
from envs.point_gate import LEVELS
from students.config import RunConfig
from students.experiments.sweep import SweepConfig
from students.levels import LevelSet
from students.run_dir import read_jsonl
from students.testing import task_code
from students.train import run_curriculum
from teachers.state import Float, Int, ListOf, TupleOf, Via
from teachers.ucb import UCBTeacher
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
ECHO = "students.testing:teachrl_test/TaskEcho-v0"
NAMED = {"low": [0.1, 0.2], "high": [0.9, 0.3], "mid": [0.5, 0.5]}


class RecordingUCB(UCBTeacher):
    """The UCB scheduler, recording every ``(arm, score)`` update it receives (declared as
    state, so a resumed run keeps the record)."""

    arm_updates: tuple = ()  # becomes a list at the first update
    _state_fields = {
        "arm_updates": Via(
            ListOf(TupleOf(Int(low=0), Float())), to_state=list, from_state=lambda t, v: [tuple(x) for x in v]
        )
    }

    def _update_arm(self, arm: int, score: float) -> None:
        self.__dict__.setdefault("arm_updates", []).append((arm, score))
        super()._update_arm(arm, score)


if "test-recording-ucb" not in teachers.available():
    teachers.register("test-recording-ucb", RecordingUCB)


def small_config(tmp_path, **changes):
    cfg = dict(
        env=ECHO, teacher="test-recording-ucb", student="ppo", device="cpu", wandb_mode="disabled",
        student_params={"n_steps": 64, "batch_size": 64, "n_epochs": 1}, score="advantage",
        levels=NAMED, steps=1024, n_envs=4, eval_every=512, eval_tasks=16, checkpoint_every=512,
        log_every=256, teacher_log_every=512, run_dir=str(tmp_path / "run"),
    )
    cfg.update(changes)
    return cfg


def check_history(history, levels):
    """Every row ran the task of its arm; episodes are numbered in delivery order."""
    tasks = list(levels.values()) if isinstance(levels, dict) else levels
    assert [r["episode"] for r in history] == list(range(len(history)))
    for row in history:
        assert isinstance(row["teacher_task"], int)
        assert row["task"] == pytest.approx(tasks[row["teacher_task"]])
        assert row["return"] == pytest.approx(task_code(row["task"]), rel=1e-6)


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("levels", "match"),
    [
        ([], "at least one level"),
        ("easy", "a list of tasks or a mapping"),
        ([[0.1, 0.2], "x"], r"levels\[1\] must be a non-empty list of numbers"),
        ([[0.1, True]], r"levels\[0\] must be a list of finite numbers"),
        ({"ok": [0.1, 0.2], "nan": [0.1, float("nan")]}, r"levels\[1\] \('nan'\)"),
        ([[0.1, 0.2], [0.1, 0.2, 0.3]], r"levels\[1\] = \[0.1, 0.2, 0.3\] has 3 values; levels\[0\] has 2"),
        ({1: [0.1, 0.2]}, "level names must be non-empty strings"),
    ],
)
def test_malformed_levels_are_rejected(levels, match):
    with pytest.raises(ValueError, match=match):
        LevelSet(levels)
    with pytest.raises(ValueError, match=match):
        RunConfig(env=ECHO, teacher="ucb", levels=levels).validate()


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        # the env's own validation decides length and bounds; the message names the level
        ({"levels": [[0.1, 0.2, 0.3]]}, r"levels\[0\] = \[0.1, 0.2, 0.3\] is not a task of the env: task must have shape"),
        ({"levels": {"ok": [0.0, 1.5], "wide": [0.5, 2.0]}},
         r"levels\[1\] \('wide'\) = \[0.5, 2.0\] is not a task of the env: task parameter 'gate_width'=.*2\.0\)? is outside its bounds \[0, 1.5\]"),
        ({"levels": [[-2.5, 1.0]]}, r"levels\[0\].*'gate_position'=.*-2\.5\)? is outside its bounds \[-2, 2\]"),
        ({"teacher": "alp-gmm"}, "levels need a teacher that accepts Discrete task spaces; 'alp-gmm'"),
        ({"teacher_params": {"bins": 3}}, "'bins' cannot be combined with levels"),
        ({"teacher_params": {"arm_names": ["a", "b"]}}, "'arm_names' cannot be combined with levels"),
    ],
)
def test_levels_outside_the_env_or_teacher_are_rejected(changes, match):
    config = RunConfig(env="teachrl/PointGate-v0", teacher="ucb", levels=[[0.0, 1.5], [0.5, 1.0]])
    with pytest.raises(ValueError, match=match):
        config.replace(**changes).validate()


def test_levels_are_normalized_and_round_trip_through_yaml(tmp_path):
    config = RunConfig(teacher="ucb", levels=[[0, 1], [2, 0.05]]).validate()
    assert config.levels == [[0.0, 1.0], [2.0, 0.05]] and all(isinstance(v, float) for v in config.levels[0])
    named = RunConfig(teacher="random", levels={"z": [2, 0.05], "a": [0, 1]}).validate()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(named.to_dict(), sort_keys=False))
    loaded = RunConfig.from_yaml(path).validate()
    assert list(loaded.levels.items()) == [("z", [2.0, 0.05]), ("a", [0.0, 1.0])]  # order kept
    assert RunConfig().validate().levels is None


def test_level_set_maps_arms_to_tasks():
    levels = LevelSet(NAMED)
    assert len(levels) == 3 and levels.names == ["low", "high", "mid"]
    assert levels.task_space == spaces.Discrete(3)
    assert levels(np.int64(1)).tolist() == [0.9, 0.3]
    levels(0)[0] = 7.0  # a copy: the level itself is unchanged
    assert levels(0).tolist() == [0.1, 0.2]
    with pytest.raises(ValueError, match="outside the 3 levels"):
        levels(3)


# ---------------------------------------------------------------------------- runs
def test_levels_run_with_ucb_and_advantage(tmp_path):
    result = run_curriculum(small_config(tmp_path))
    history = read_jsonl(result.run_dir / "history.jsonl")
    check_history(history, NAMED)
    teacher = result.teacher
    assert isinstance(teacher, RecordingUCB) and teacher.task_space == spaces.Discrete(3)
    assert teacher.arm_names == ["low", "high", "mid"]
    # one update per episode, in history order, with the episode's |advantage| score
    assert len(history) == result.episodes > 50
    assert teacher.arm_updates == [(r["teacher_task"], pytest.approx(r["score"])) for r in history]
    assert all(r["score"] >= 0 for r in history)
    assert list(teacher.tracker.counts) == [Counter(r["teacher_task"] for r in history)[a] for a in range(3)]
    assert read_jsonl(result.run_dir / "teacher.jsonl")[-1]["internals"]["arms"] == ["low", "high", "mid"]
    stored = yaml.safe_load((result.run_dir / "config.yaml").read_text())
    assert stored["levels"] == NAMED
    # evaluation stays on the env's own (Box) test set
    test_set = json.loads((result.run_dir / "test_set.json").read_text())["tasks"]
    assert len(test_set) == 16 and len({tuple(t) for t in test_set}) == 16
    evaluation = read_jsonl(result.run_dir / "evaluations.jsonl")[-1]
    assert np.allclose(evaluation["returns"], [task_code(t) for t in test_set])


def test_levels_run_with_random_teacher(tmp_path):
    # RandomTeacher takes no arm_names: the level names are not passed to it
    levels = [[0.1, 0.2], [0.9, 0.3]]
    result = run_curriculum(small_config(tmp_path, teacher="random", score="return", levels=levels))
    history = read_jsonl(result.run_dir / "history.jsonl")
    check_history(history, levels)
    assert result.teacher.task_space == spaces.Discrete(2)
    assert set(Counter(r["teacher_task"] for r in history)) == {0, 1}


def test_eval_set_levels_evaluates_on_the_levels(tmp_path):
    result = run_curriculum(small_config(tmp_path, eval_set="levels", eval_tasks=10))  # eval_tasks unused
    test_set = json.loads((result.run_dir / "test_set.json").read_text())["tasks"]
    assert test_set == [pytest.approx(t) for t in NAMED.values()]  # the levels, in order
    evaluation = read_jsonl(result.run_dir / "evaluations.jsonl")[-1]
    assert np.allclose(evaluation["returns"], [task_code(t) for t in NAMED.values()])
    assert len(evaluation["successes"]) == 3
    resumed = run_curriculum({"steps": 1536}, resume=result.run_dir)  # the stored test set is kept
    assert json.loads((resumed.run_dir / "test_set.json").read_text())["tasks"] == test_set
    with pytest.raises(ValueError, match="eval_set 'levels' needs levels"):
        run_curriculum(small_config(tmp_path / "b", eval_set="levels", levels=None, score="return", teacher="random"))
    with pytest.raises(ValueError, match="eval_set must be one of .* got 'tests'"):
        run_curriculum(small_config(tmp_path / "c", eval_set="tests"))


def test_levels_exclude_a_python_task_map(tmp_path):
    with pytest.raises(ValueError, match="pass neither task_map nor teacher_space"):
        run_curriculum(small_config(tmp_path), task_map=lambda t: t)


def test_resume_keeps_levels(tmp_path):
    first = run_curriculum(small_config(tmp_path, steps=768))
    # a resume uses the stored config: other levels given now are ignored
    second = run_curriculum({"steps": 1536, "levels": [[0.0, 0.0]]}, resume=first.run_dir)
    assert second.steps >= 1536 and second.teacher.arm_names == ["low", "high", "mid"]
    assert RunConfig.from_yaml(first.run_dir / "config.yaml").levels == NAMED
    history = read_jsonl(first.run_dir / "history.jsonl")
    check_history(history, NAMED)
    assert any(r["step"] > 768 for r in history)
    assert second.teacher.arm_updates == [(r["teacher_task"], pytest.approx(r["score"])) for r in history]


# ---------------------------------------------------------------------------- CLI and sweep
def test_train_script_levels_flag(tmp_path, capsys):
    script = load_script("train")
    args = script.build_parser().parse_args(["--teacher", "ucb", "--levels", "[[0, 1.0], [0.5, 0.6]]"])
    assert RunConfig.from_dict(script.config_from_args(args)).validate().levels == [[0.0, 1.0], [0.5, 0.6]]
    args = script.build_parser().parse_args(["--levels", "{easy: [0, 1.5], hard: [1.5, 0.4]}"])
    assert script.config_from_args(args)["levels"] == {"easy": [0, 1.5], "hard": [1.5, 0.4]}
    base = ["--teacher", "ucb", "--wandb-mode", "disabled", "--run-dir", str(tmp_path / "r")]
    assert script.main([*base, "--levels", "[[0, 1.0], [0.5, 9]]"]) == 2
    assert "levels[1] = [0.5, 9.0] is not a task of the env" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse refuses it, as any bad flag value
        script.main([*base, "--levels", "[[0, 1.0"])
    assert exit_info.value.code == 2
    assert "argument --levels: not valid YAML: '[[0, 1.0'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_pointgate_levels_sweep_config():
    sweep = SweepConfig.from_yaml(ROOT / "configs" / "sweeps" / "pointgate_levels.yaml")
    runs = sweep.expand()
    labels = ("random", "ucb", "ucb-raw", "sec", "plr", "lp")
    assert {(r.teacher.label, r.seed) for r in runs} == {(t, s) for t in labels for s in range(3)}
    for run in runs:
        assert run.student == "ppo" and run.env.id == "teachrl/PointGate-v0"
        data = {
            **run.run_config(), "teacher": run.teacher.name, "teacher_params": run.teacher.params,
            "student": run.student, "steps": run.steps, "seed": run.seed,
        }
        config = RunConfig.from_dict(data).validate()
        # the env's own difficulty levels, in order
        assert [tuple(t) for t in config.levels.values()] == [tuple(map(float, lv)) for lv in LEVELS]
        score = {"random": "return", "lp": "success"}.get(run.teacher.label, "advantage")
        assert config.score == score
        assert config.advantage_norm == ("none" if run.teacher.label == "ucb-raw" else "batch")
    assert len({r.steps for r in runs}) == 1  # same budget for every run


def test_levels_of_a_wrapper_env_are_checked_by_the_wrapper():
    config = RunConfig(env="teachrl/Acrobot-v0", teacher="ucb", levels={"light": [0.5] * 4, "heavy": [1.5] * 4})
    assert config.validate().levels == {"light": [0.5] * 4, "heavy": [1.5] * 4}
    with pytest.raises(ValueError, match=r"levels\[0\] = \[0.5, 0.5, 0.5, 3.0\] is not a task of the env: .*'link_mass_2'"):
        RunConfig(env="teachrl/Acrobot-v0", teacher="ucb", levels=[[0.5, 0.5, 0.5, 3.0]]).validate()
