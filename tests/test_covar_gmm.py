"""Covar-GMM: conformance, time–score covariance as progress, state round trip."""

import pickle

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import CovarGMMTeacher, check_teacher

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))


def in_corner(task):
    return (np.asarray(task, dtype=np.float64)[0] + 3.0) / 6.0 < 0.25


def trend(sign):
    """Scores rise (sign=+1) or fall (-1) within each fit window, only where unit x < 0.25."""

    def score(task, episode, fit_rate=250):
        return 50.0 + sign * 100.0 * (episode % fit_rate) / fit_rate if in_corner(task) else 50.0

    return score


def run(teacher, score, n):
    for i in range(n):
        task = teacher.sample()
        teacher.update(task, score(task, i))
    return teacher


@pytest.mark.parametrize("params", [{}, {"absolute_lp": True, "criterion": "bic"}])
def test_check_teacher(params):
    check_teacher(CovarGMMTeacher(BOX, **params))


def test_registered():
    assert isinstance(teachers.make("covar-gmm", BOX, seed=0), CovarGMMTeacher)


def test_concentrates_where_scores_rise_over_time():
    t = run(CovarGMMTeacher(BOX, seed=0), trend(+1), 1500)
    share = np.mean([in_corner(t.sample()) for _ in range(1000)])
    assert share > 0.5  # uniform: 0.25
    gmm = t.internals()["gmm"]
    best = int(np.argmax(gmm["lp"]))
    assert gmm["means"][best][0] < -1.5 and gmm["lp"][best] > 0.0


def test_falling_scores_count_only_with_absolute_lp():
    clipped = run(CovarGMMTeacher(BOX, seed=0), trend(-1), 1500)
    absolute = run(CovarGMMTeacher(BOX, seed=0, absolute_lp=True), trend(-1), 1500)
    share_clipped = np.mean([in_corner(clipped.sample()) for _ in range(1000)])
    share_absolute = np.mean([in_corner(absolute.sample()) for _ in range(1000)])
    assert share_absolute > 0.5 and share_clipped < 0.45
    assert min(clipped.internals()["gmm"]["lp"]) >= 0.0


def test_state_round_trip_between_fits():
    score = trend(+1)
    t = run(CovarGMMTeacher(BOX, seed=3), score, 400)
    restored = CovarGMMTeacher.from_state_dict(BOX, pickle.loads(pickle.dumps(t.state_dict())))
    for i in range(400, 700):
        a, b = t.sample(), restored.sample()
        np.testing.assert_array_equal(a, b)
        t.update(a, score(a, i))
        restored.update(b, score(b, i))
    assert t.internals() == restored.internals()


@pytest.mark.parametrize(
    "params, needle",
    [({"fit_rate": 0}, "fit_rate"), ({"potential_ks": ()}, "potential_ks"), ({"random_task_ratio": 2}, "2"), ({"criterion": "x"}, "'x'")],
)
def test_bad_params(params, needle):
    with pytest.raises(ValueError, match=needle):
        CovarGMMTeacher(BOX, **params)
