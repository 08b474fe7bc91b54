"""Per-arm trackers: window means, fast/slow EMAs, state round trip, validation."""

import copy
import pickle

import numpy as np
import pytest

from teachers.progress import ArmEMATracker, ArmWindowTracker


def test_window_mean_counts_and_eviction():
    t = ArmWindowTracker(n_arms=3, window=3, empty_value=-1.0)
    for v in (1.0, 2.0, 3.0, 10.0):  # 1.0 falls out of the window
        t.update(0, v)
    t.update(2, 4.0)
    assert t.means().tolist() == [5.0, -1.0, 4.0]
    assert t.counts.tolist() == [4, 0, 1]
    assert t.window_counts().tolist() == [3, 0, 1]
    assert t.values(0).tolist() == [2.0, 3.0, 10.0]  # oldest first
    t.update(0, 20.0)
    assert t.values(0).tolist() == [3.0, 10.0, 20.0]
    assert t.means()[0] == pytest.approx(11.0)


def test_window_mean_matches_brute_force_over_long_stream():
    rng = np.random.default_rng(0)
    t = ArmWindowTracker(n_arms=4, window=7)
    history = [[] for _ in range(4)]
    for _ in range(500):
        arm, v = int(rng.integers(4)), float(rng.normal())
        t.update(arm, v)
        history[arm].append(v)
    expected = [np.mean(h[-7:]) for h in history]
    np.testing.assert_allclose(t.means(), expected, rtol=0, atol=1e-12)
    assert t.counts.tolist() == [len(h) for h in history]


def test_ema_hand_computation():
    t = ArmEMATracker(n_arms=2, fast_alpha=0.5, slow_alpha=0.25)
    t.update(1, 1.0)  # first value initializes both averages
    assert (t.fast[1], t.slow[1]) == (1.0, 1.0)
    t.update(1, 0.0)
    assert t.fast[1] == pytest.approx(0.5)
    assert t.slow[1] == pytest.approx(0.25 * 0.5 + 0.75 * 1.0)
    t.update(1, 0.0)
    assert t.fast[1] == pytest.approx(0.25)
    assert t.slow[1] == pytest.approx(0.25 * 0.25 + 0.75 * 0.875)
    np.testing.assert_allclose(t.progress(), [0.0, abs(0.25 - 0.71875)])
    assert t.counts.tolist() == [0, 3]


@pytest.mark.parametrize("make", [lambda: ArmWindowTracker(5, window=4), lambda: ArmEMATracker(5, 0.3, 0.1)])
def test_state_round_trip_continues_identically(make):
    rng = np.random.default_rng(1)
    a = make()
    for _ in range(50):
        a.update(int(rng.integers(5)), float(rng.random()))
    b = make()
    b.load_state_dict(pickle.loads(pickle.dumps(a.state_dict())))
    c = copy.deepcopy(a)
    for _ in range(50):
        arm, v = int(rng.integers(5)), float(rng.random())
        for t in (a, b, c):
            t.update(arm, v)
    for t in (b, c):
        np.testing.assert_array_equal(t.counts, a.counts)
        if isinstance(a, ArmWindowTracker):
            np.testing.assert_array_equal(t.means(), a.means())
        else:
            np.testing.assert_array_equal(t.fast, a.fast)
            np.testing.assert_array_equal(t.slow, a.slow)


def test_state_of_other_tracker_rejected():
    with pytest.raises(ValueError, match="ArmEMATracker"):
        ArmEMATracker(2).load_state_dict(ArmWindowTracker(2).state_dict())


@pytest.mark.parametrize("tracker", [ArmWindowTracker(3), ArmEMATracker(3)])
def test_bad_updates_raise_and_record_nothing(tracker):
    with pytest.raises(ValueError, match="3"):
        tracker.update(3, 1.0)
    with pytest.raises(ValueError, match="-1"):
        tracker.update(-1, 1.0)
    with pytest.raises(ValueError, match="nan"):
        tracker.update(0, float("nan"))
    assert tracker.counts.sum() == 0


def test_bad_construction():
    with pytest.raises(ValueError, match="window"):
        ArmWindowTracker(3, window=0)
    with pytest.raises(ValueError, match="n_arms"):
        ArmWindowTracker(0)
    with pytest.raises(ValueError, match="fast_alpha"):
        ArmEMATracker(3, fast_alpha=1.5)
