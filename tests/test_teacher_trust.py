"""Regression tests for the measured defects of issue #11 ("Runs you can trust"), teacher
side: one test per defect, named after it."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import ADRTeacher, ALPGMMTeacher, LearningProgressTeacher, RIACTeacher, UCBTeacher
from teachers.progress import ALPTracker, ArmWindowTracker

BOX2 = spaces.Box(low=np.zeros(2), high=np.ones(2), dtype=np.float64)
BOX3 = spaces.Box(low=np.zeros(3), high=np.ones(3), dtype=np.float64)


def _feed(teacher, n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        teacher.update(teacher.sample(), float(rng.normal()))


def test_alp_gmm_restored_before_its_first_fit_survives_that_fit():
    t = ALPGMMTeacher(BOX2, seed=0)
    _feed(t, 10)
    restored = ALPGMMTeacher(BOX2, seed=0)
    restored.load_state_dict(pickle.loads(pickle.dumps(t.state_dict())))
    for _ in range(300):  # crosses the first fit (250)
        task = t.sample()
        assert np.array_equal(task, restored.sample())
        t.update(task, 1.0)
        restored.update(task, 1.0)
    assert restored.n_fits == t.n_fits == 1


def test_empty_alp_tracker_restored_then_updated():
    restored = ALPTracker.from_state_dict(ALPTracker(2).state_dict())
    assert restored.update(np.zeros(2), 1.0) == 0.0


def test_state_from_another_space_is_refused():
    three_d = ALPGMMTeacher(BOX3, seed=0)
    _feed(three_d, 5)
    t = ALPGMMTeacher(BOX2, seed=0)
    with pytest.raises(ValueError, match="task_space"):
        t.load_state_dict(three_d.state_dict())
    assert t.sample().shape == (2,)
    with pytest.raises(ValueError, match="task_space"):
        UCBTeacher(spaces.Discrete(5), seed=0).load_state_dict(UCBTeacher(spaces.Discrete(6), seed=0).state_dict())


def test_rng_replaced_by_an_int_is_refused():
    t = UCBTeacher(spaces.Discrete(5), seed=0)
    state = t.state_dict()
    state["state"]["rng"] = 7
    with pytest.raises(ValueError, match="'rng'"):
        t.load_state_dict(state)
    assert isinstance(t.rng, np.random.Generator)


def test_loading_never_changes_constructor_parameters():
    t = UCBTeacher(spaces.Discrete(5), seed=0, temperature=5.0)
    with pytest.raises(ValueError, match="temperature.*0.1.*5.0"):
        t.load_state_dict(UCBTeacher(spaces.Discrete(5), seed=0).state_dict())
    assert t.temperature == 5.0
    # Without the parameters: build the teacher from the state.
    other = UCBTeacher.from_state_dict(spaces.Discrete(5), t.state_dict())
    assert other.temperature == 5.0 and other.get_params() == t.get_params()


def test_each_class_has_its_own_state_version():
    assert ALPGMMTeacher.state_version == 2 and teachers.RandomTeacher.state_version == 1
    assert ALPTracker.state_version == 2 and ArmWindowTracker.state_version == 1
    t = ADRTeacher(BOX2, max_reward_thr=1.0, min_reward_thr=0.0)
    state = t.state_dict()
    state["version"] = 1
    with pytest.raises(ValueError, match="version"):
        t.load_state_dict(state)


def test_failed_load_is_all_or_nothing():
    t = RIACTeacher(BOX2, seed=0, max_region_size=20, alp_window=20)
    _feed(t, 100)
    assert t.n_splits > 0
    state, before = t.state_dict(), pickle.dumps(t.state_dict())
    state["state"]["n_splits"] = "many"  # the last field: everything before it was valid
    with pytest.raises(ValueError, match="n_splits"):
        t.load_state_dict(state)
    assert pickle.dumps(t.state_dict()) == before


@pytest.mark.parametrize("score", ["1.5", True, [0.5], np.array([0.5]), None, 1 + 0j])
def test_non_real_scores_are_refused(score):
    t = UCBTeacher(spaces.Discrete(5), seed=0)
    with pytest.raises(ValueError, match="score"):
        t.update(0, score)
    assert t.n_updates == 0


@pytest.mark.parametrize("task", [["0.5", "1.0"], [True, False], [None, 0.5], "0.5"])
def test_non_numeric_box_tasks_are_refused(task):
    t = teachers.RandomTeacher(BOX2, seed=0)
    with pytest.raises(ValueError, match="task"):
        t.update(task, 1.0)


@pytest.mark.parametrize("score", [10**400, -(10**400)])
def test_huge_int_score_is_a_value_error_not_an_overflow_error(score):
    with pytest.raises(ValueError, match="too large"):
        teachers.RandomTeacher(BOX2, seed=0).update(np.zeros(2), score)


def test_two_huge_scores_keep_ucb_probabilities_finite():
    t = UCBTeacher(spaces.Discrete(3), seed=0)
    for arm in (0, 0, 1, 1):
        t.update(arm, 1.7e308)
    p = t.arm_probabilities()
    assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)
    assert p[0] == pytest.approx(0.5) and p[1] == pytest.approx(0.5)
    drawn = {int(t.sample()) for _ in range(50)}
    assert drawn == {0, 1}  # not one arm forever


@pytest.mark.parametrize(
    ("make", "name", "value"),
    [
        (lambda: RIACTeacher(BOX2, max_region_size="abc"), "max_region_size", "'abc'"),
        (lambda: RIACTeacher(BOX2, alp_window=2.9), "alp_window", "2.9"),
        (lambda: ADRTeacher(BOX2, max_reward_thr="x", min_reward_thr=0.0), "max_reward_thr", "'x'"),
        (lambda: ADRTeacher(BOX2, max_reward_thr=1.0, min_reward_thr=0.0, queue_len=[3]), "queue_len", "[3]"),
        (lambda: LearningProgressTeacher(spaces.Discrete(3), ema_alpha=True), "ema_alpha", "True"),
        (lambda: UCBTeacher(spaces.Discrete(3), c=float("nan")), "c", "nan"),
        (lambda: ALPTracker(2, min_points=1.5), "min_points", "1.5"),
    ],
)
def test_bad_hyperparameters_are_value_errors_naming_parameter_and_value(make, name, value):
    with pytest.raises(ValueError) as err:
        make()
    assert name in str(err.value) and value in str(err.value)


def test_riac_cross_parameter_rule_names_both_values():
    with pytest.raises(ValueError, match="min_region_size.*max_region_size // 2 = 10.*got 11"):
        RIACTeacher(BOX2, max_region_size=20, alp_window=20, min_region_size=11)
