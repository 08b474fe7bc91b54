"""ALPTracker: exact nearest-neighbour ALP, tie rules, forgetting, bounded index, state."""

import copy
import pickle

import numpy as np
import pytest

from teachers.progress import ALPTracker


def brute_force_alp(X, r, min_points=6, max_size=None):
    """The definition: nearest remembered earlier episode, ties to the most recent."""
    out, start = [], 0
    for i in range(len(r)):
        if i - start >= min_points:
            sq = ((X[start:i] - X[i]) ** 2).sum(1)
            j = start + np.flatnonzero(sq == sq.min()).max()
            out.append(abs(r[i] - r[j]))
        else:
            out.append(0.0)
        if max_size is not None and i + 1 - start >= 2 * max_size:
            start = i + 1 - max_size
    return np.array(out)


def test_hand_built_sequence():
    t = ALPTracker(1, min_points=6)
    tasks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    scores = [1.0, 5.0, 2.0, 7.0, 3.0, 4.0]
    assert [t.update([x], s) for x, s in zip(tasks, scores, strict=True)] == [0.0] * 6  # < 6 known
    assert t.update([0.21], 9.0) == pytest.approx(4.0)  # nearest is 0.2 (score 5)
    assert t.update([0.22], 0.0) == pytest.approx(9.0)  # now 0.21 (score 9) is nearest
    assert t.update([0.9], 3.5) == pytest.approx(0.5)  # 0.8 and 1.0 tie: the later (1.0, score 4) wins
    assert t.update([0.2], 6.0) == pytest.approx(1.0)  # exact repeat of 0.2 (score 5)
    assert t.update([0.2], 6.5) == pytest.approx(0.5)  # the repeat's latest score (6) is used
    assert len(t) == 11


def test_min_points_one():
    t = ALPTracker(2, min_points=1)
    assert t.update([0.5, 0.5], 3.0) == 0.0
    assert t.update([0.1, 0.1], 1.0) == pytest.approx(2.0)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("grid", [False, True])
@pytest.mark.parametrize("max_size", [None, 300])
def test_matches_brute_force(dim, grid, max_size):
    rng = np.random.default_rng(dim + 10 * grid)
    n = 2500
    # On a coarse grid most tasks repeat and many neighbours are equidistant.
    X = rng.integers(0, 5, size=(n, dim)) / 4.0 if grid else rng.random((n, dim))
    r = rng.normal(size=n)
    t = ALPTracker(dim, max_size=max_size, buffer_size=16)  # small buffer: many trees and merges
    got = np.concatenate(
        [
            t.update_batch(X[:900], r[:900]),
            [t.update(X[i], r[i]) for i in range(900, 1000)],
            t.update_batch(X[1000:1001], r[1000:1001]),
            t.update_batch(X[1001:], r[1001:]),
        ]
    )
    np.testing.assert_array_equal(got, brute_force_alp(X, r, max_size=max_size))


def test_index_stays_bounded():
    rng = np.random.default_rng(0)
    t = ALPTracker(2, buffer_size=32)
    t.update_batch(rng.random((20000, 2)), rng.random(20000))
    assert len(t._trees) <= np.log2(20000 / 32) + 2  # Bentley–Saxe: O(log n) trees
    bounded = ALPTracker(2, max_size=500, buffer_size=32)
    for i in range(1, 41):
        bounded.update_batch(rng.random((250, 2)), rng.random(250))
        assert min(500, 250 * i) <= len(bounded) < 1000 and bounded._n < 1000
    repeats = ALPTracker(2)
    repeats.update_batch(np.zeros((5000, 2)), rng.random(5000))  # one location, stored once
    assert repeats._n == 1 and len(repeats) == 5000


def test_state_round_trip():
    rng = np.random.default_rng(1)
    X, r = rng.integers(0, 8, size=(3000, 2)) / 7.0, rng.random(3000)
    t = ALPTracker(2, max_size=800, buffer_size=32)
    t.update_batch(X[:1700], r[:1700])
    for restored in (
        _loaded(t.state_dict()),
        pickle.loads(pickle.dumps(t)),
        copy.deepcopy(t),
    ):
        np.testing.assert_array_equal(restored.update_batch(X[1700:], r[1700:]), copy.deepcopy(t).update_batch(X[1700:], r[1700:]))


def _loaded(state):
    return ALPTracker.from_state_dict(pickle.loads(pickle.dumps(state)))


@pytest.mark.parametrize(
    "kwargs, needle",
    [({"dim": 0}, "0"), ({"dim": 2, "min_points": 0}, "min_points"), ({"dim": 2, "max_size": 3}, "3")],
)
def test_bad_params(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        ALPTracker(**kwargs)


def test_bad_updates():
    t = ALPTracker(2)
    with pytest.raises(ValueError, match="3 tasks but 2 scores"):
        t.update_batch(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="nan"):
        t.update([0.1, np.nan], 1.0)
    with pytest.raises(ValueError, match="inf"):
        t.update([0.1, 0.2], np.inf)
    assert len(t) == 0
