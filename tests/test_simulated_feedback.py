"""Simulated students give teachers the feedback they require (success, value, steps, a
value function), and simulate() passes it on."""

import json

import numpy as np
import pytest

from students.simulated import STUDENTS, BanditStudent, GridStudent, simulate
from students.simulated.grid import episode_feedback
from teachers import RandomTeacher, SPDLTeacher, Teacher
from teachers.state import Float, ListOf, TupleOf
from tests.scripts import load_script


class _Needy(Teacher):
    """Uniform; records the feedback and the value function's answers."""

    requires = frozenset({"success", "value", "steps"})
    requires_value_fn = True
    _state_fields = {"seen": ListOf(TupleOf(Float(), Float(), Float(), Float()))}

    def __init__(self, task_space, seed=None, reward_range=None):
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.seen = []

    def _sample(self):
        task = self.unit.from_unit(self.rng.random(self.unit.dim))
        self.last_fn_value = float(self.task_values(task[None])[0])
        return task

    def _update(self, task, score, steps, success, value):
        self.seen.append((float(score), float(success), float(value), float(steps)))


@pytest.mark.parametrize("name", sorted(STUDENTS))
def test_grid_value_is_the_noise_free_expected_score(name):
    student = STUDENTS[name](seed=0, noise_std=0.0)
    teacher = RandomTeacher(student.task_space, seed=0)
    tasks = np.array([teacher.sample() for _ in range(400)])
    for task in tasks[:300]:
        student.episode(task)
    values = student.value(tasks)
    assert values.shape == (400,) and np.all((values >= 0) & (values <= 1))
    for task in tasks[300:]:
        expected = student.value(task[None])[0]
        score, _ = student.episode(task)  # without noise the score (before learning) is the value
        assert score == pytest.approx(expected)


def test_grid_value_trivial_unfeasible_and_mastered():
    trivial = GridStudent(seed=0, trivial_ratio=0.5)
    assert trivial.value(np.array([[-1.0, 3.0]]))[0] == 1.0
    unfeasible = GridStudent(seed=0, unfeasible_ratio=2 / 3)
    assert unfeasible.value(np.array([[8.0, 3.0]]))[0] == 0.0
    s = GridStudent(seed=0, noise_std=0.0)
    corner = s.easy_task
    assert s.value(corner[None])[0] == 0.0
    for _ in range(60):
        s.episode(corner)
    assert s.value(corner[None])[0] >= s.mastery_threshold


def test_simulate_feeds_required_feedback_and_value_fn():
    student = GridStudent(seed=0)
    teacher = _Needy(student.task_space, seed=0)
    simulate(teacher, student, 300, eval_every=100)
    assert len(teacher.seen) == 300
    scores, successes, values, steps = np.array(teacher.seen).T
    assert set(steps) == {100.0}
    assert set(successes) <= {0.0, 1.0}
    assert np.all((values >= 0) & (values <= 1))
    # a teacher that requires nothing still runs (no feedback passed)
    simulate(RandomTeacher(student.task_space, seed=0), GridStudent(seed=0), 50, eval_every=50)


def test_episode_feedback_only_what_is_required():
    student = GridStudent(seed=0)
    task = student.easy_task
    assert episode_feedback(RandomTeacher(student.task_space), student, task, True) == {}
    fb = episode_feedback(SPDLTeacher(student.task_space, seed=0), student, task, True)
    assert set(fb) == {"value", "steps"} and fb["steps"] == student.episode_steps


def test_spdl_runs_on_the_grid_student():
    student = GridStudent(seed=0)
    teacher = SPDLTeacher(student.task_space, seed=0, initial_dist={"mean": [0.15, 0.3], "std": [0.3, 0.6]},
                          target_dist={"mean": [1.5, 3.0], "std": [0.9, 1.8]}, perf_lb=0.5,
                          update_frequency=5000, update_offset=5000)
    out = simulate(teacher, student, 2000, eval_every=1000)
    assert teacher.n_distribution_updates >= 5 and out["mastered_pct"][-1] > 0.0


def test_bandit_value_is_the_arm_competence():
    student = BanditStudent(seed=0)
    values = student.value(np.arange(student.n_arms))
    np.testing.assert_allclose(values, student.competence())


def test_benchmark_script_applies_expert_knowledge(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    script = load_script("benchmark_teachers")
    script.main(["--teachers", "alp-gmm", "spdl", "--students", "grid", "--seeds", "0", "--episodes", "200",
                 "--eval-every", "100", "--workers", "1", "--expert-knowledge", "high", "--out", str(tmp_path)])
    runs = {r["teacher"]: r for r in json.loads((tmp_path / "results.json").read_text())["runs"]}
    declared = GridStudent(seed=0).expert_knowledge
    for name in ("alp-gmm", "spdl"):
        assert runs[name]["params"]["initial_dist"] == declared["initial_dist"]
        assert runs[name]["params"]["reward_range"] == [0.0, 1.0]
