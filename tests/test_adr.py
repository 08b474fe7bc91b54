"""ADR: conformance, widening/shrinking, bounds and boundary sampling."""

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import ADRTeacher

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))
LINE = spaces.Box(low=np.array([10.0]), high=np.array([20.0]), dtype=np.float64)
THR = {"max_reward_thr": 0.5, "min_reward_thr": 0.1}


def test_registered_and_thresholds_required():
    assert isinstance(teachers.make("adr", BOX, seed=0, **THR), ADRTeacher)
    with pytest.raises(ValueError, match="max_reward_thr"):
        teachers.make("adr", BOX)
    with pytest.raises(ValueError, match="min_reward_thr"):
        ADRTeacher(BOX, max_reward_thr=1.0)
    with pytest.raises(ValueError, match="min_reward_thr"):
        ADRTeacher(BOX, max_reward_thr=0.0, min_reward_thr=1.0)


def test_starts_at_a_point_centre_by_default():
    t = ADRTeacher(BOX, seed=0, **THR)
    assert t.internals()["bounds"] == {"low": [0.0, 3.0], "high": [0.0, 3.0]}
    assert all(np.array_equal(t.sample(), [0.0, 3.0]) for _ in range(20))
    t = ADRTeacher(BOX, seed=0, initial_task=[-3.0, 6.0], **THR)
    assert t.internals()["bounds"]["low"] == [-3.0, 6.0]
    with pytest.raises(ValueError, match="initial_task"):
        ADRTeacher(BOX, initial_task=[9.0, 0.0], **THR)


def test_widens_by_step_in_normalized_units():
    t = ADRTeacher(LINE, seed=0, queue_len=10, step_size=0.05, **THR)
    for _ in range(10):  # a degenerate box: every task lies on both bounds
        t.update(t.sample(), 1.0)
    b = t.internals()["bounds"]
    assert b["low"] == pytest.approx([14.5]) and b["high"] == pytest.approx([15.5])


def test_widens_to_the_whole_space_and_never_beyond():
    t = ADRTeacher(BOX, seed=0, boundary_sampling_p=0.9, **THR)
    for _ in range(6000):
        task = t.sample()
        assert BOX.contains(task)
        t.update(task, 1.0)
    b = t.internals()["bounds"]
    np.testing.assert_allclose(b["low"], BOX.low)
    np.testing.assert_allclose(b["high"], BOX.high)


def test_shrinks_below_threshold_but_never_past_the_other_bound():
    t = ADRTeacher(LINE, seed=0, boundary_sampling_p=1.0, **THR)
    for _ in range(60):  # widen, but not to the global limits (which are never pinned)
        t.update(t.sample(), 1.0)
    wide = t.internals()["bounds"]
    assert 2.0 < wide["high"][0] - wide["low"][0] < 10.0
    widths = []
    for _ in range(2000):
        task = t.sample()
        t.update(task, 0.0)
        b = t.internals()["bounds"]
        assert b["low"][0] <= b["high"][0]
        widths.append(b["high"][0] - b["low"][0])
    # Once the queues hold only the new low scores (at most queue_len per bound), it only shrinks.
    tail = widths[40:]
    assert widths[-1] < 0.5 and all(a >= b for a, b in zip(tail, tail[1:], strict=False))


def test_neutral_scores_leave_bounds_alone():
    t = ADRTeacher(LINE, seed=0, **THR)
    for _ in range(500):
        t.update(t.sample(), 0.3)
    assert t.internals()["bounds"] == {"low": [15.0], "high": [15.0]}
    assert t.n_bound_changes == 0


def test_bound_at_global_limit_is_not_pinned():
    t = ADRTeacher(LINE, seed=0, initial_task=[10.0], boundary_sampling_p=1.0, **THR)
    for _ in range(60):
        t.update(t.sample(), 1.0)
    low, high = t.internals()["bounds"]["low"][0], t.internals()["bounds"]["high"][0]
    assert low == 10.0 and high > 12.0
    # Every sample pins the only open bound (the high one).
    assert all(t.sample()[0] == pytest.approx(high) for _ in range(50))


def test_bound_tasks_recognized_after_float32_rounding():
    space = spaces.Box(low=np.array([1000.0, -5.0], dtype=np.float32), high=np.array([1001.0, 5.0], dtype=np.float32))
    t = ADRTeacher(space, seed=0, boundary_sampling_p=1.0, **THR)
    for _ in range(400):
        t.update(t.sample(), 1.0)
    b = t.internals()["bounds"]
    assert b["high"][0] - b["low"][0] > 0.5


def test_thresholds_in_normalized_units_with_reward_range():
    t = ADRTeacher(LINE, seed=0, reward_range=(0.0, 100.0), **THR)
    for _ in range(10):
        t.update(t.sample(), 60.0)  # normalized 0.6 >= 0.5
    assert t.internals()["bounds"]["high"][0] > 15.0


def test_non_exploratory_sample_in_box():
    t = ADRTeacher(BOX, seed=0, **THR)
    for _ in range(300):
        t.update(t.sample(), 1.0)
    b = t.internals()["bounds"]
    for _ in range(100):
        x = t.non_exploratory_sample()
        assert np.all(x >= np.array(b["low"]) - 1e-5) and np.all(x <= np.array(b["high"]) + 1e-5)


@pytest.mark.parametrize(
    "bad", [{"boundary_sampling_p": 1.5}, {"queue_len": 0}, {"step_size": 0.0}, {"step_size": 2.0}]
)
def test_bad_params(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ADRTeacher(BOX, **THR, **bad)
