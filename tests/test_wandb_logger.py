"""WandbLogger: what an offline W&B run recorded, read back from its ``.wandb`` file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from students.wandb_logger import WandbLogger
from tests.fake_runs import HOT, make_fake_run, replay
from tests.wandb_offline import offline_runs, read_config, read_history, read_table, run_id


def _logged(run_dir):
    (d,) = offline_runs(run_dir / "wandb")
    return d, read_history(d)


@pytest.fixture(scope="module")
def gmm_run(wandb_env, tmp_path_factory):
    """35 batches of 4 episodes; curriculum media every 40 episodes (10 batches) and at close."""
    fake = make_fake_run("alp-gmm", n_batches=35)
    run_dir = tmp_path_factory.mktemp("gmm_run")
    replay(fake, WandbLogger(run_dir, log_every_episodes=40))
    d, rows = _logged(run_dir)
    return fake, run_dir, d, rows


def test_one_log_per_step_with_the_explicit_steps(gmm_run):
    fake, _, _, rows = gmm_run
    steps = [s for s, _ in rows]
    assert steps == fake.steps()  # every logging step once, in order, the loop's own step
    assert all(row["_step"] == s for s, row in rows)


def test_scalars_match_the_records(gmm_run):
    fake, _, _, rows = gmm_run
    by_step = dict(rows)
    total = 0
    for ev in fake.events:
        row = by_step[ev[1]]
        if ev[0] == "episodes":
            total += len(ev[2])
            assert row["train/episodes"] == total
            assert row["train/return"] == pytest.approx(np.mean([r["return"] for r in ev[2]]))
            assert row["train/success_rate"] == pytest.approx(np.mean([r["success"] for r in ev[2]]))
        elif ev[0] == "metrics":
            assert row["metrics/loss"] == pytest.approx(ev[2]["loss"])
            assert row["train/fps"] == pytest.approx(1000.0)  # names with "/" are kept
            assert "metrics/episodes" not in row
        elif ev[0] == "evaluation":
            assert row["eval/mastered_pct"] == pytest.approx(ev[2]["mastered_pct"])
            assert row["eval/mean_return"] == pytest.approx(np.mean(ev[2]["returns"]))
            assert row["eval/test_set_map"]["_type"] == "image-file"
        elif ev[0] == "teacher":
            assert row["teacher/n_components"] == 3
            assert row["teacher/max_lp"] == pytest.approx(max(ev[3]["gmm"]["lp"]))
            assert row["teacher/internals"]["_type"] == "image-file"
    teacher_steps = {ev[1] for ev in fake.events if ev[0] == "teacher"}
    assert {s for s, row in rows if "teacher/internals" in row} == teacher_steps


def test_curriculum_media_every_n_episodes_and_at_close(gmm_run):
    fake, _, d, rows = gmm_run
    media_steps = [s for s, row in rows if "curriculum/episodes" in row]
    # 4 episodes per 100 steps: 40 episodes every 1000 steps, plus the remainder at close
    assert media_steps == [1000, 2000, 3000, 3500]
    row = dict(rows)[1000]
    assert {"curriculum/hist/gate_x", "curriculum/hist/gate_width", "curriculum/density"} <= set(row)
    hist = row["curriculum/hist/gate_x"]
    assert sum(hist["values"]) == 40
    peak = int(np.argmax(hist["values"]))
    assert hist["bins"][peak] - 0.5 <= HOT[0] <= hist["bins"][peak + 1] + 0.5
    image = d / "files" / row["curriculum/density"]["path"]
    assert image.stat().st_size > 1000


def test_incremental_table_holds_every_episode_once(gmm_run):
    fake, _, d, rows = gmm_run
    table_rows, columns = [], None
    for _, row in rows:
        if "curriculum/episodes" in row:
            entry = row["curriculum/episodes"]
            assert entry["log_mode"] == "INCREMENTAL"
            t = read_table(d, entry)
            columns = t["columns"]
            table_rows += t["data"]
    episodes = fake.episodes()
    assert len(table_rows) == len(episodes)
    col = {c: i for i, c in enumerate(columns)}
    for got, rec in zip(table_rows, episodes, strict=True):
        assert got[col["episode"]] == rec["episode"]
        assert got[col["step"]] == rec["step"]
        assert [got[col["gate_x"]], got[col["gate_width"]]] == pytest.approx(rec["task"])
        assert got[col["return"]] == pytest.approx(rec["return"])
        assert got[col["success"]] == rec["success"]


def test_config_and_state_file(gmm_run):
    fake, run_dir, d, rows = gmm_run
    config = read_config(d)
    assert config["task_space"] == fake.config["task_space"]
    assert config["teacher"]["name"] == "alp-gmm"
    state = json.loads((run_dir / "wandb" / "teachrl_wandb.json").read_text())
    assert state["last_step"] == rows[-1][0]
    assert d.name.endswith(state["id"])


def test_integer_tasks_and_bandit_probabilities(wandb_env, tmp_path):
    fake = make_fake_run("bandit", n_batches=20)
    replay(fake, WandbLogger(tmp_path, log_every_episodes=40))
    d, rows = _logged(tmp_path)
    assert [s for s, _ in rows] == fake.steps()
    snap = next(ev for ev in fake.events if ev[0] == "teacher")
    row = dict(rows)[snap[1]]
    for arm, p in zip(snap[3]["arms"], snap[3]["probabilities"], strict=True):
        assert row[f"teacher/prob/{arm}"] == pytest.approx(p)
    bar = read_table(d, row["teacher/probabilities_table"])
    assert [r[0] for r in bar["data"]] == snap[3]["arms"]
    assert [r[1] for r in bar["data"]] == pytest.approx(snap[3]["probabilities"])
    data = read_table(d, row["curriculum/episodes"])
    col = {c: i for i, c in enumerate(data["columns"])}
    first = fake.episodes()[0]
    assert data["data"][0][col["teacher_task"]] == first["teacher_task"]
    assert [data["data"][0][col["gate_x"]], data["data"][0][col["gate_width"]]] == first["task"]
    hist = row["curriculum/hist/gate_x"]  # integer tasks: most episodes on arm 3 ↦ x = 3
    assert hist["bins"][int(np.argmax(hist["values"]))] <= 3 <= hist["bins"][int(np.argmax(hist["values"])) + 1]


def test_resume_continues_the_same_run_without_repeating_steps(wandb_env, tmp_path):
    fake = make_fake_run("riac", n_batches=30)
    n = len(fake.events)
    crash, checkpoint = (2 * n) // 3, n // 3  # the resumed run repeats events checkpoint..crash
    first = WandbLogger(tmp_path, log_every_episodes=40)
    replay(fake, first, events=fake.events[:crash])
    second = WandbLogger(tmp_path, log_every_episodes=40)
    replay(fake, second, events=fake.events[checkpoint:])
    runs = offline_runs(tmp_path / "wandb")
    assert len(runs) == 2 and run_id(runs[0]) == run_id(runs[1])
    steps1 = [s for s, _ in read_history(runs[0])]
    steps2 = [s for s, _ in read_history(runs[1])]
    assert steps2 and min(steps2) > max(steps1)
    assert steps1 + steps2 == fake.steps()
    assert second.n_dropped_steps > 0


def test_disabled_mode_writes_nothing_and_bad_arguments(wandb_env, tmp_path):
    replay(make_fake_run("adr", n_batches=5), WandbLogger(tmp_path, mode="disabled"))
    assert not (tmp_path / "wandb").exists()
    with pytest.raises(ValueError, match="mode"):
        WandbLogger(tmp_path, mode="cloud")
    with pytest.raises(ValueError, match="log_every_episodes"):
        WandbLogger(tmp_path, log_every_episodes=0)


class _RecordingRun:
    """Stands in for a wandb Run: records the log calls."""

    id = "stub"

    def __init__(self):
        self.calls = []

    def log(self, data, step=None):
        self.calls.append((step, data))

    def finish(self):
        pass


def test_late_records_merge_into_the_current_step_and_table_is_capped(tmp_path):
    fake = make_fake_run("adr", n_batches=3)
    logger = WandbLogger(tmp_path, mode="disabled", log_every_episodes=100, max_table_rows=6)
    logger.on_start(fake.config, fake.test_set)
    logger.run = run = _RecordingRun()  # exercise the buffering without starting wandb
    (_, s1, r1), (_, s2, r2), (_, s3, r3) = fake.events
    logger.on_episodes(s1, r1)
    with pytest.warns(UserWarning, match="max_table_rows"):
        logger.on_episodes(s2, r2)  # 8 rows > 6: the last 2 are left out
    with pytest.warns(UserWarning, match="cannot go back"):
        logger.on_metrics(s1, {"loss": 0.5})  # late: W&B steps cannot go back
    logger.on_episodes(s3, r3)
    logger.close()
    assert [step for step, _ in run.calls] == [s1, s2, s3]
    assert run.calls[1][1]["metrics/loss"] == 0.5
    assert len(logger._table.data) == 6 and logger._table.data[-1][1] == r2[1]["episode"]
    assert run.calls[2][1]["train/episodes"] == 12  # counted even when not tabled
