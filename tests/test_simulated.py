"""Simulated students: grid dynamics, variants, determinism, and the benchmark script."""

import json

import numpy as np
import pytest

import teachers
from students.simulated import STUDENTS, GridStudent, SimulatedStudent, simulate
from tests.scripts import load_script


def _centre(student: GridStudent, row: int, col: int) -> np.ndarray:
    """Raw task at the centre of task-space cell (row, col)."""
    return student.test_set()[row * student.grid_size + col]


def test_registry_builds_every_variant():
    assert {"grid", "grid-unfeasible", "grid-trivial", "grid-rugged", "grid-forgetting", "grid-irrelevant", "grid-noisy"} <= set(STUDENTS)
    for name, factory in STUDENTS.items():
        student = factory(seed=0)
        assert isinstance(student, SimulatedStudent)
        score, success = student.episode(student.task_space.sample())
        assert np.isfinite(score) and isinstance(success, bool)
        assert student.mastered_pct() == 0.0, name


def test_only_start_cell_learns_at_first():
    s = GridStudent(seed=0, noise_std=0.0)
    for _ in range(30):
        s.episode(_centre(s, 5, 5))
    assert s.episode(_centre(s, 5, 5))[0] == 0.0  # locked: nothing learnt
    scores = [s.episode(_centre(s, 0, 0))[0] for _ in range(10)]
    assert all(b > a for a, b in zip(scores, scores[1:], strict=False))


def test_mastery_unlocks_neighbours_only():
    s = GridStudent(seed=0, noise_std=0.0, learning_rate=0.04)
    n_needed = int(np.ceil(np.log(0.1) / np.log(0.96)))  # (1 - lr)^k <= 1 - threshold
    for _ in range(n_needed - 1):
        s.episode(_centre(s, 0, 0))
    assert s.mastered_pct() == 0.0 and not s.learnable[1]
    s.episode(_centre(s, 0, 0))
    assert s.mastered_pct() == 1.0
    assert s.learnable[1] and s.learnable[10] and not s.learnable[11]
    s.episode(_centre(s, 0, 1))
    s.episode(_centre(s, 1, 1))
    assert s.competence[1] > 0 and s.competence[11] == 0


def test_mastered_pct_does_not_train():
    s = GridStudent(seed=0)
    for _ in range(100):
        s.episode(_centre(s, 0, 0))
    before = s.competence.copy()
    for _ in range(5):
        s.mastered_pct()
    np.testing.assert_array_equal(before, s.competence)


def test_determinism_per_seed():
    tasks = GridStudent().task_space
    tasks.seed(0)
    sequence = [tasks.sample() for _ in range(200)]

    def scores(seed):
        s = GridStudent(seed=seed)
        return [s.episode(t)[0] for t in sequence]

    assert scores(0) == scores(0)
    assert scores(0) != scores(1)


def test_forgetting_resets_periodically():
    s = GridStudent(seed=0, noise_std=0.0, forget_every=100)
    for _ in range(100):
        s.episode(_centre(s, 0, 0))
    assert s.mastered_pct() == 1.0
    s.episode(_centre(s, 5, 5))  # the 101st episode starts from scratch
    assert s.mastered_pct() == 0.0 and s.learnable.sum() == 1


def test_unfeasible_and_trivial_parts():
    s = STUDENTS["grid-unfeasible"](seed=0, noise_std=0.0)
    assert s.task_space.low[0] == 0.0 and s.task_space.high[0] == pytest.approx(9.0)
    assert s.episode([8.0, 1.0]) == (0.0, False)
    s = STUDENTS["grid-trivial"](seed=0, noise_std=0.0)
    assert s.task_space.low[0] == pytest.approx(-3.0) and s.task_space.high[0] == 3.0
    assert s.episode([-2.0, 1.0]) == (1.0, True)
    assert s.mastered_pct() == 0.0  # trivial tasks are not part of the test set


def test_rugged_layout_moves_the_start_and_breaks_adjacency():
    plain, rugged = GridStudent(seed=0, noise_std=0.0), STUDENTS["grid-rugged"](seed=0, noise_std=0.0)
    assert sorted(rugged._layout_of) == list(range(100))
    assert rugged._layout_of != plain._layout_of
    assert not np.array_equal(rugged.easy_task, plain.easy_task)
    for _ in range(60):
        rugged.episode(rugged.easy_task)
    assert rugged.mastered_pct() == 1.0
    # Within a 2x2 block adjacency survives; across blocks it generally does not.
    unlocked_task_cells = {i for i, cell in enumerate(rugged._layout_of) if rugged.learnable[cell]}
    assert len(unlocked_task_cells) == 3


def test_irrelevant_dimensions_are_ignored():
    s = STUDENTS["grid-irrelevant"](seed=0, noise_std=0.0)
    assert s.task_space.shape == (6,)
    base = s.easy_task.copy()
    other = base.copy()
    other[2:] = [0.0, 1.0, 0.3, 0.9]
    for i in range(20):
        s.episode(base if i % 2 else other)
    assert s.competence[0] > 0.5


def test_bad_task_and_params():
    s = GridStudent(seed=0)
    with pytest.raises(ValueError, match="shape"):
        s.episode([0.1])
    with pytest.raises(ValueError, match="learning_rate"):
        GridStudent(learning_rate=0.0)
    with pytest.raises(ValueError, match="start cell"):
        GridStudent(start_cells=((10, 0),))
    with pytest.raises(ValueError, match="bogus"):
        SimulatedStudent(bogus=1)


def test_frontier_focus_beats_uniform_sampling():
    """The calibration behind the benchmark: growing from the easy cell beats uniform sampling."""
    results = {}
    for name, params in [("random", {}), ("adr", {"max_reward_thr": 0.5, "min_reward_thr": 0.1})]:
        student = GridStudent(seed=0)
        if name == "adr":
            params["initial_task"] = student.easy_task
        teacher = teachers.make(name, student.task_space, seed=0, **params)
        out = simulate(teacher, student, episodes=5000, eval_every=1000)
        assert out["episodes"] == [0, 1000, 2000, 3000, 4000, 5000]
        assert out["teacher_seconds"] > 0
        results[name] = out["mastered_pct"][-1]
    assert results["random"] <= 2.0
    assert results["adr"] >= 10.0


def test_benchmark_script_writes_json_table_and_plot(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    script = load_script("benchmark_teachers")
    script.main(
        ["--teachers", "random", "adr", "--students", "grid", "grid-noisy", "--seeds", "0", "1",
         "--episodes", "300", "--eval-every", "100", "--workers", "1", "--out", str(tmp_path)]
    )
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["runs"]) == 2 * 2 * 2 and data["complete"] and data["n_jobs"] == 8
    run = data["runs"][0]
    assert run["episodes"] == [0, 100, 200, 300] and len(run["mastered_pct"]) == 4
    adr = next(r for r in data["runs"] if r["teacher"] == "adr")
    assert adr["params"]["max_reward_thr"] == 0.5 and "initial_task" in adr["params"]
    table = (tmp_path / "results.md").read_text()
    assert table.startswith("Written by `python scripts/benchmark_teachers.py --teachers random adr --students grid grid-noisy ")
    assert table.count("\n") == 2 + 2 + 4 and "| grid-noisy | adr | 2 |" in table
    assert (tmp_path / "curves.png").stat().st_size > 1000


def test_benchmark_script_labelled_teacher_entries(tmp_path, monkeypatch):
    """``NAME@LABEL`` is a second configuration of a teacher with its own row: NAME's params
    with its own on top."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    script = load_script("benchmark_teachers")
    script.main(
        ["--teachers", "random", "alp-gmm", "alp-gmm@mem", "--students", "grid", "--seeds", "0",
         "--episodes", "300", "--eval-every", "100", "--workers", "1", "--out", str(tmp_path),
         "--params", 'alp-gmm={"fit_rate": 100}', 'alp-gmm@mem={"alp_max_size": 50}']
    )
    runs = {r["teacher"]: r for r in json.loads((tmp_path / "results.json").read_text())["runs"]}
    assert runs["alp-gmm"]["params"] == {"fit_rate": 100}
    assert runs["alp-gmm@mem"]["params"] == {"fit_rate": 100, "alp_max_size": 50}
    assert runs["alp-gmm@mem"]["teacher_name"] == "alp-gmm"
    table = (tmp_path / "results.md").read_text()
    assert "| grid | alp-gmm@mem | 1 |" in table and "| grid | alp-gmm | 1 |" in table
    for bad in ("alp-gmm@", "@mem"):
        with pytest.raises(SystemExit, match="NAME@LABEL"):
            script.main(["--teachers", bad, "--out", str(tmp_path)])


def test_benchmark_script_runs_bandit_students(tmp_path, monkeypatch):
    """Bandit students run through the same script, with their frontier table."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    script = load_script("benchmark_teachers")
    script.main(
        ["--teachers", "random", "ucb", "lp", "--students", "bandit", "bandit-box", "--seeds", "0",
         "--episodes", "400", "--eval-every", "200", "--warmup", "100", "--workers", "1", "--out", str(tmp_path)]
    )
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert len(runs) == 3 * 2
    for run in runs:
        assert run["episodes"] == [0, 200, 400] and 0 <= run["frontier_fraction"] <= 1
        assert sum(run["arm_counts"]) == 400
        box_arm_teacher = run["student"] == "bandit-box" and run["teacher"] != "random"
        assert run["params"] == ({"bins": 4} if box_arm_teacher else {})
    table = (tmp_path / "results.md").read_text()
    assert "### bandit: samples on the learnable frontier" in table
    assert "### bandit-box: samples on the learnable frontier" in table
    assert "| lp | bins=4 | success |" in table and "| ucb | defaults | advantage |" in table
