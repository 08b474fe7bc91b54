"""Meta-ACL in the loop: classrooms from real (tiny) ALP-GMM runs, the pre-test, resume."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import yaml

from students.checkpoint import latest_checkpoint
from students.classroom import build_classroom, find_runs
from students.run_dir import PRETEST_FILE, read_jsonl
from students.train import run_curriculum
from teachers.classroom import Classroom

ECHO = "students.testing:teachrl_test/TaskEcho-v0"


def _config(run_dir, teacher="alp-gmm", seed=0, **changes):
    cfg = dict(
        env=ECHO, teacher=teacher, student="ppo", device="cpu", wandb_mode="disabled", seed=seed,
        teacher_params={"fit_rate": 20},
        student_params={"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        steps=1024, n_envs=4, eval_every=256, eval_tasks=4, checkpoint_every=256,
        log_every=256, teacher_log_every=64, run_dir=str(run_dir),
    )
    cfg.update(changes)
    return cfg


@pytest.fixture(scope="module")
def classroom_runs(tmp_path_factory):
    """Two tiny ALP-GMM runs on TaskEcho (episodes of a few steps: many refits)."""
    root = tmp_path_factory.mktemp("classroom")
    for seed in (0, 1):
        run_curriculum(_config(root / "runs" / f"s{seed}", seed=seed), log=None)
    return root


def test_classroom_from_runs(classroom_runs, tmp_path):
    out = tmp_path / "room.json"
    room = build_classroom([classroom_runs / "runs"], out)
    assert len(room) == 2 and out.is_file()
    loaded = Classroom.load(out)
    assert [s.id for s in loaded.students] == ["s0", "s1"]
    history = read_jsonl(classroom_runs / "runs" / "s0" / "history.jsonl")
    evaluations = read_jsonl(classroom_runs / "runs" / "s0" / "evaluations.jsonl")
    s0 = loaded.students[0]
    assert s0.kc.shape == (len(evaluations), 4)
    assert np.allclose(s0.final_test, evaluations[-1]["returns"])
    # KC episodes: the episodes finished by each evaluation's step
    steps = np.array([h["step"] for h in history])
    assert list(s0.kc_episodes) == [int((steps <= e["step"]).sum()) for e in evaluations]
    assert len(s0.snapshots) >= 2 and all(s["reward_count"].sum() > 0 for s in s0.snapshots[:-1])
    assert np.allclose(loaded.pretest_tasks, json.loads((classroom_runs / "runs/s0/test_set.json").read_text())["tasks"])


def test_bad_runs_are_refused_by_name(classroom_runs, tmp_path):
    rand = tmp_path / "rand"
    run_curriculum(_config(rand, teacher="random", teacher_params={}, steps=256), log=None)
    with pytest.raises(ValueError, match="rand.*not ALP-GMM"):
        build_classroom([classroom_runs / "runs" / "s0", rand])
    # another task space: edit a copy's config
    other = tmp_path / "other"
    other.mkdir()
    for f in (classroom_runs / "runs" / "s1").iterdir():
        if f.is_file():
            (other / f.name).write_bytes(f.read_bytes())
    cfg = yaml.safe_load((other / "config.yaml").read_text())
    cfg["task_space"]["high"] = [2.0, 2.0]
    (other / "config.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match="other.*task space"):
        build_classroom([classroom_runs / "runs" / "s0", other])
    (other / "teacher.jsonl").write_text("")  # and now no snapshots either
    with pytest.raises(ValueError, match="no ALP-GMM mixture"):
        build_classroom([other])
    with pytest.raises(ValueError, match="holds no run"):
        find_runs([tmp_path / "rand" / "checkpoints"])


def test_pretest_runs_once_and_not_again_on_resume(classroom_runs, tmp_path):
    room = tmp_path / "room.json"
    build_classroom([classroom_runs / "runs"], room)
    run = tmp_path / "again"
    params = {"classroom": str(room), "fit_rate": 20, "pretest_episodes": 30, "k": 1}
    first = run_curriculum(_config(run, teacher="again", teacher_params=params, steps=768), log=None)
    record = json.loads((run / PRETEST_FILE).read_text())
    history = read_jsonl(run / "history.jsonl")
    assert record["episode"] >= 30 and len(record["returns"]) == 4
    assert record["step"] <= history[-1]["step"]
    assert record["teacher"]["expert"] in ("s0", "s1") and first.teacher.internals()["again"]["expert"] == record["teacher"]["expert"]
    # the KC given to the teacher is the evaluation of the policy on the pre-test tasks
    assert np.allclose(first.teacher._pretest_scores, record["returns"])
    loop = pickle.loads((latest_checkpoint(run / "checkpoints") / "loop.pkl").read_bytes())
    assert loop["step"] > record["step"]
    before = (run / PRETEST_FILE).read_bytes()
    mtime = (run / PRETEST_FILE).stat().st_mtime_ns
    resumed = run_curriculum({"steps": 1024}, resume=run, log=None)
    assert (run / PRETEST_FILE).read_bytes() == before and (run / PRETEST_FILE).stat().st_mtime_ns == mtime
    assert resumed.teacher.internals()["again"]["expert"] == record["teacher"]["expert"]
    assert not resumed.teacher.pretest_due()


def test_other_teachers_have_no_pretest(classroom_runs):
    assert not (classroom_runs / "runs" / "s0" / PRETEST_FILE).exists()


@pytest.mark.slow
def test_docs_commands_build_a_classroom_and_train_with_it(tmp_path):
    """docs/meta-acl.md's commands, as written, made small (few steps; ALP-GMM refits every
    20 episodes so that short runs have mixtures)."""
    from tests.test_docs_commands import doc_command, run

    small = ["--steps", "3072", "--n-envs", "2", "--student-params", "n_steps=256", "--eval-tasks", "4",
             "--eval-every", "1024", "--checkpoint-every", "1024", "--teacher-log-every", "128"]  # fmt: skip
    page = "docs/meta-acl.md"
    for prefix in ("python scripts/train.py --teacher alp-gmm --env-kwargs drift=0.02",
                   "python scripts/train.py --teacher alp-gmm --env-kwargs drift=-0.02"):  # fmt: skip
        run([*doc_command(page, prefix), *small, "--teacher-params", "fit_rate=20"], tmp_path)
    out = run(doc_command(page, "python scripts/build_classroom.py"), tmp_path)
    assert "Classroom of 2 students" in out.stdout and (tmp_path / "classroom.json").is_file()
    words = doc_command(page, "python scripts/train.py --teacher again")
    run([*words, *small, "--run-dir", "runs/new", "--teacher-params", "fit_rate=20", "--teacher-params", "pretest_episodes=20"], tmp_path)
    record = json.loads((tmp_path / "runs" / "new" / PRETEST_FILE).read_text())
    assert record["teacher"]["expert"] in ("drift0.02_s0", "drift-0.02_s0")
    # ground truth: no pre-test; the classroom student of the nearest drift (0.02 for 0.015)
    words = doc_command(page, "python scripts/train.py --teacher again --env-kwargs drift=0.015")
    run([*words, *small, "--run-dir", "runs/gt", "--teacher-params", "fit_rate=20", "--teacher-params", "pretest_episodes=20"], tmp_path)
    assert not (tmp_path / "runs" / "gt" / PRETEST_FILE).exists()
    assert read_jsonl(tmp_path / "runs" / "gt" / "teacher.jsonl")[-1]["internals"]["again"]["expert"] == "drift0.02_s0"
    # r_patience: the documented command runs, and the run records the setting
    words = doc_command(page, "python scripts/train.py --teacher again --teacher-params classroom=classroom.json --teacher-params pretest_episodes=250 --teacher-params r_patience")
    run([*words, *small, "--run-dir", "runs/patience", "--teacher-params", "fit_rate=20", "--teacher-params", "pretest_episodes=20"], tmp_path)
    assert yaml.safe_load((tmp_path / "runs" / "patience" / "config.yaml").read_text())["teacher_params"]["r_patience"] == 1000
    assert "gave_up_at" in read_jsonl(tmp_path / "runs" / "patience" / "teacher.jsonl")[-1]["internals"]["again"]


def test_a_relative_classroom_path_is_recorded_absolute_and_resumes_elsewhere(classroom_runs, tmp_path, monkeypatch):
    build_classroom([classroom_runs / "runs"], tmp_path / "rooms" / "room.json")
    monkeypatch.chdir(tmp_path / "rooms")
    params = {"classroom": "room.json", "fit_rate": 20, "pretest_episodes": 30, "k": 1}
    run = tmp_path / "again"
    run_curriculum(_config(run, teacher="again", teacher_params=params, steps=512), log=None)
    saved = yaml.safe_load((run / "config.yaml").read_text())["teacher_params"]["classroom"]
    assert saved == str(tmp_path / "rooms" / "room.json")
    monkeypatch.chdir(tmp_path)  # where "room.json" does not exist
    assert run_curriculum({"steps": 768}, resume=run, log=None).steps == 768
