"""Sweep reports: tables against the fake trainer's known numbers, t-tests as scipy computes
them, alignment of unequal evaluation steps, single-seed groups, figures."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.image import imread
from scipy import stats

from students.experiments.report import (
    align_curves,
    load_runs,
    normalized_auc,
    summarize,
    welch_test,
    write_report,
)
from students.experiments.sweep import REPO_ROOT, SweepConfig, run_sweep
from tests.fake_trainer import FAKE_TRAINER, fake_mastered_pct, tiny_sweep_dict

STEPS = [1024, 2048, 3072, 4096]


@pytest.fixture
def train_script() -> Path:
    """The trainer the sweep is run with (switch to scripts/train.py once it exists)."""
    return FAKE_TRAINER


@pytest.fixture
def sweep_root(tmp_path, train_script) -> Path:
    raw = tiny_sweep_dict(tmp_path / "sweep", train_script, seeds=[0, 1, 2])
    summary = run_sweep(SweepConfig.from_dict(raw), workers=2, log=None)
    assert summary.ok
    return tmp_path / "sweep"


def _expected(teacher: str, seeds) -> tuple[np.ndarray, np.ndarray]:
    curves = np.array([[fake_mastered_pct(teacher, s, step, 4096) for step in STEPS] for s in seeds])
    final = curves[:, -1]
    auc = np.array([np.trapezoid(c, STEPS) / (STEPS[-1] - STEPS[0]) for c in curves])
    return final, auc


def _write_run(root: Path, env: str, teacher: str, seed: int, evals, done: bool = True) -> Path:
    run_dir = root / env / teacher / f"seed{seed}"
    run_dir.mkdir(parents=True)
    cfg = {"env": {"id": f"teachrl/{env}", "kwargs": {}}, "teacher": {"name": teacher, "params": {}}, "seed": seed}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg))
    lines = [json.dumps({"step": s, "returns": [], "successes": [], "mastered_pct": m}) for s, m in evals]
    (run_dir / "evaluations.jsonl").write_text("\n".join(lines) + "\n")
    if done:
        (run_dir / "DONE").write_text("{}")
    return run_dir


def test_report_from_a_sweep_matches_the_fake_numbers(sweep_root, tmp_path):
    md_path = write_report(sweep_root, tmp_path / "report")
    md = md_path.read_text()
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    (env,) = summary["envs"]
    assert env["env"] == "PointGate-v0" and env["steps"] == STEPS and not env["interpolated"]
    rows = {t["teacher"]: t for t in env["teachers"]}
    rnd_final, rnd_auc = _expected("random", [0, 1, 2])
    alp_final, alp_auc = _expected("alp-gmm", [0, 1, 2])
    assert rows["random"]["final"] == pytest.approx(rnd_final.tolist())
    assert rows["alp-gmm"]["auc"] == pytest.approx(alp_auc.tolist())
    assert rows["alp-gmm"]["final_std"] == pytest.approx(np.std(alp_final, ddof=1))
    p_final = stats.ttest_ind(alp_final, rnd_final, equal_var=False).pvalue
    p_auc = stats.ttest_ind(alp_auc, rnd_auc, equal_var=False).pvalue
    assert rows["alp-gmm"]["p_final"] == pytest.approx(p_final)
    assert rows["alp-gmm"]["p_auc"] == pytest.approx(p_auc)
    ratio = alp_final.mean() / rnd_final.mean()
    assert rows["alp-gmm"]["ratio"] == pytest.approx(ratio)
    assert rows["random"]["p_final"] is None  # the baseline is not tested against itself

    star = " *" if p_final < 0.05 else ""
    assert (
        f"| alp-gmm | 3 | {alp_final.mean():.1f} ± {np.std(alp_final, ddof=1):.1f} | {p_final:.3g}{star} "
        f"| {alp_auc.mean():.1f} ± {np.std(alp_auc, ddof=1):.1f} |"
    ) in md
    assert f"| random | 3 | {rnd_final.mean():.1f} ± {np.std(rnd_final, ddof=1):.1f} | (baseline) |" in md
    assert f"{ratio:.2f}" in md and "## Ratio to random (TeachMyAgent view)" in md
    for name in ("curves_PointGate-v0.png", "ratio_to_random.png"):
        assert f"]({name})" in md
        img = imread(tmp_path / "report" / name)
        assert img.ndim == 3 and img.shape[0] > 100 and img[..., :3].std() > 0  # not blank


def test_report_uses_sweep_labels(tmp_path, train_script):
    raw = tiny_sweep_dict(tmp_path / "s", train_script, seeds=[0, 1])
    raw["teachers"] = ["random", {"name": "alp-gmm", "label": "alp-fast", "params": {"fit_rate": 10}}]
    raw["envs"] = [{"id": "teachrl/StumpTracks-v0", "kwargs": {"body": "short"}}]
    assert run_sweep(SweepConfig.from_dict(raw), workers=2, log=None).ok
    runs, _ = load_runs(tmp_path / "s")
    assert {(r.env, r.teacher) for r in runs} == {
        ("StumpTracks-v0_body-short", "random"),
        ("StumpTracks-v0_body-short", "alp-fast"),
    }
    (tmp_path / "s" / "sweep.json").unlink()  # without the manifest: labels from config.yaml
    runs, _ = load_runs(tmp_path / "s")
    assert {r.teacher for r in runs} == {"random", "alp-gmm"}
    assert {r.env for r in runs} == {"StumpTracks-v0_body-short"}


def test_unequal_steps_align_on_common_ones(tmp_path):
    _write_run(tmp_path, "E-v0", "random", 0, [(10, 1.0), (20, 2.0), (30, 3.0)])
    _write_run(tmp_path, "E-v0", "random", 1, [(10, 1.0), (20, 4.0), (30, 5.0), (40, 9.0)])
    _write_run(tmp_path, "E-v0", "adr", 0, [(10, 0.0), (30, 6.0), (40, 8.0)])
    runs, _ = load_runs(tmp_path)
    steps, curves, interpolated = align_curves(runs)
    assert steps.tolist() == [10, 30] and not interpolated
    (report,) = summarize(runs)
    assert report.teachers["random"].final.tolist() == [3.0, 5.0]  # at step 30, not 40
    assert report.teachers["adr"].final.tolist() == [6.0]


def test_disjoint_steps_are_interpolated(tmp_path):
    _write_run(tmp_path, "E-v0", "random", 0, [(0, 0.0), (20, 20.0), (40, 40.0)])
    _write_run(tmp_path, "E-v0", "random", 1, [(10, 0.0), (30, 20.0), (50, 40.0)])
    runs, _ = load_runs(tmp_path)
    steps, curves, interpolated = align_curves(runs)
    assert interpolated and steps.tolist() == [10, 20, 30, 40]
    np.testing.assert_allclose(curves[0], [10, 20, 30, 40])
    np.testing.assert_allclose(curves[1], [0, 10, 20, 30])
    md = write_report(tmp_path).read_text()
    assert "interpolated onto 4 common evaluation steps" in md


def test_single_seed_groups_get_no_t_test(tmp_path):
    _write_run(tmp_path, "E-v0", "random", 0, [(10, 5.0)])
    _write_run(tmp_path, "E-v0", "riac", 0, [(10, 15.0)])
    _write_run(tmp_path, "E-v0", "riac", 1, [(10, 25.0)])
    (report,) = summarize(load_runs(tmp_path)[0])
    riac = report.teachers["riac"]
    assert riac.p_final is None and riac.note == "single seed: no t-test"
    assert riac.ratio == pytest.approx(4.0)
    md = write_report(tmp_path).read_text()
    assert "| riac | 2 | 20.0 ± 7.1 | n/a (single seed: no t-test) |" in md
    assert "| random | 1 | 5.0 | (baseline) |" in md  # no std for one seed


def test_missing_baseline_and_zero_baseline(tmp_path):
    _write_run(tmp_path, "A-v0", "riac", 0, [(10, 5.0)])
    _write_run(tmp_path, "B-v0", "random", 0, [(10, 0.0)])
    _write_run(tmp_path, "B-v0", "random", 1, [(10, 0.0)])
    _write_run(tmp_path, "B-v0", "adr", 0, [(10, 1.0)])
    _write_run(tmp_path, "B-v0", "adr", 1, [(10, 3.0)])
    reports = summarize(load_runs(tmp_path)[0])
    assert reports[0].env == "A-v0" and "no 'random' runs" in reports[0].notes[0]
    adr = reports[1].teachers["adr"]
    assert adr.ratio is None and "random at 0%: no ratio" in adr.note
    assert adr.p_final == pytest.approx(stats.ttest_ind([1.0, 3.0], [0.0, 0.0], equal_var=False).pvalue)
    write_report(tmp_path, baseline="random")  # renders without raising on the gaps


def test_unfinished_runs_left_out_unless_asked(tmp_path):
    _write_run(tmp_path, "E-v0", "random", 0, [(10, 1.0), (20, 2.0)])
    _write_run(tmp_path, "E-v0", "random", 1, [(10, 1.0)], done=False)
    runs, notes = load_runs(tmp_path)
    assert [r.seed for r in runs] == [0] and "E-v0/random/seed1: unfinished" in notes[0]
    runs, notes = load_runs(tmp_path, include_unfinished=True)
    assert [r.seed for r in runs] == [0, 1] and not notes


def test_resumed_duplicates_and_torn_lines(tmp_path):
    run_dir = _write_run(tmp_path, "E-v0", "random", 0, [(10, 1.0), (20, 2.0), (20, 2.5)])
    with (run_dir / "evaluations.jsonl").open("a") as f:
        f.write('{"step": 30, "mastered')  # cut by a crash
    (run,) = load_runs(tmp_path)[0]
    assert run.steps.tolist() == [10, 20] and run.mastered.tolist() == [1.0, 2.5]


def test_helpers():
    assert normalized_auc(np.array([0, 10]), np.array([0.0, 10.0])) == pytest.approx(5.0)
    assert normalized_auc(np.array([5]), np.array([7.0])) == 7.0
    assert welch_test(np.array([1.0]), np.array([1.0, 2.0])) == (None, "single seed: no t-test")
    assert welch_test(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == (None, "no variance: no t-test")
    p, _ = welch_test(np.array([1.0, 2.0, 4.0]), np.array([3.0, 5.0]))
    assert math.isclose(p, stats.ttest_ind([1.0, 2.0, 4.0], [3.0, 5.0], equal_var=False).pvalue)


def test_empty_root_raises(tmp_path):
    with pytest.raises(ValueError, match="no run with evaluations"):
        load_runs(tmp_path)
    with pytest.raises(ValueError, match="is not a directory"):
        load_runs(tmp_path / "missing")


def test_report_script(sweep_root, tmp_path):
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "report.py"), str(sweep_root), "--out", str(out)],
        capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "| alp-gmm | 3 |" in res.stdout and (out / "report.md").is_file() and (out / "ratio_to_random.png").is_file()
