"""RIAC: conformance, split selection, splitting rules and sampling modes."""

import json

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import RIACTeacher, check_teacher

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))


def _raw(u):
    return BOX.low + np.asarray(u) * (BOX.high - BOX.low)


def test_passes_check_teacher_with_small_regions_and_leaves_only():
    check_teacher(RIACTeacher(BOX, max_region_size=30, sampling_in_leaves_only=True), n_episodes=300)


def test_registered():
    assert isinstance(teachers.make("riac", BOX, seed=0), RIACTeacher)


def _feed_progress_left(t: RIACTeacher, n: int, rng: np.random.Generator, boundary: float = 0.5) -> None:
    """Left of ``boundary`` on dim 0 the score climbs over time; right of it, it is flat noise."""
    for i in range(n):
        u = rng.random(2)
        score = (i / n + 0.01 * rng.normal()) if u[0] < boundary else 0.01 * rng.normal()
        t.update(_raw(u), score)


@pytest.mark.parametrize("seed", range(5))
def test_split_separates_high_from_low_progress(seed):
    t = RIACTeacher(BOX, seed=seed, max_region_size=200, nb_split_attempts=100)
    _feed_progress_left(t, 201, np.random.default_rng(seed))
    root = t.regions[0]
    assert root.children is not None, "an overflowing root with a clear progress contrast must split"
    dim, thr = root.split
    assert dim == 0
    assert abs(thr - 0.5) < 0.1
    left, right = (t.regions[i] for i in root.children)
    assert left.alp > 5 * right.alp


def test_split_score_weights_children_sizes():
    t = RIACTeacher(BOX, seed=0)
    rising = np.linspace(0.0, 1.0, 100)
    flat = np.zeros(100)
    # Same ALP contrast, but one split isolates only 10 of the 110 points.
    balanced = t.split_score(rising, flat)
    lopsided = t.split_score(rising[::10], np.concatenate([flat, flat[:90]]))
    assert balanced > lopsided > 0
    assert t.split_score(flat, flat) == 0.0
    assert t.split_score(np.array([]), flat) == 0.0


def test_no_valid_cut_drops_oldest_quarter():
    """Points packed in a sliver narrower than the minimum width cannot be split."""
    t = RIACTeacher(BOX, seed=0, max_region_size=200, min_dims_range_ratio=0.2)
    rng = np.random.default_rng(0)
    for i in range(201):
        t.update(_raw([0.05 * rng.random(), 0.05 * rng.random()]), float(i))
    assert t.regions[0].children is None
    assert len(t.regions[0]) == 201 - 50
    # The survivors are the newest points.
    assert t.regions[0].scores[0] == 50.0


def test_children_respect_min_size_and_width():
    t = RIACTeacher(BOX, seed=1, max_region_size=40, min_region_size=8, min_dims_range_ratio=0.1)
    rng = np.random.default_rng(1)
    for i in range(4000):
        u = rng.random(2) ** 3  # dense corner, sparse elsewhere: tempting lopsided cuts
        t.update(_raw(u), float(np.sin(i / 200.0) * u.sum()))
    assert t.n_splits > 5
    for region in t.regions:
        assert np.all(region.high - region.low >= 0.1 - 1e-12)
    # Right after a split every child held at least min_region_size points; check a fresh one.
    t2 = RIACTeacher(BOX, seed=2, max_region_size=40, min_region_size=15, nb_split_attempts=200)
    _feed_progress_left(t2, 41, np.random.default_rng(2), boundary=0.2)
    if t2.regions[0].children is not None:
        for child in t2.regions[0].children:
            assert len(t2.regions[child]) >= 15


def test_leaves_partition_the_space_in_raw_units():
    t = RIACTeacher(BOX, seed=0, max_region_size=30)
    rng = np.random.default_rng(0)
    for i in range(2000):
        t.update(_raw(rng.random(2)), float(rng.normal() + i * 1e-3))
    regions = json.loads(json.dumps(t.internals()))["regions"]
    assert len(regions) > 4
    volume = sum(np.prod(np.subtract(r["high"], r["low"])) for r in regions)
    assert volume == pytest.approx(6.0 * 6.0)
    for r in regions:
        assert np.all(np.array(r["low"]) >= BOX.low - 1e-6) and np.all(np.array(r["high"]) <= BOX.high + 1e-6)
        assert r["lp"] >= 0


def test_sampling_follows_progress():
    t = RIACTeacher(BOX, seed=3, nb_split_attempts=100)
    _feed_progress_left(t, 201, np.random.default_rng(3))
    xs = np.array([t.sample() for _ in range(3000)])
    left = np.mean(xs[:, 0] < 0.0)  # unit 0.5 on dim 0
    assert left > 0.62, left  # uniform would give 0.5


def test_worst_task_mode_mutates_the_lowest_scoring_task():
    t = RIACTeacher(BOX, seed=0, random_task_ratio=0.0, worst_task_ratio=1.0, worst_task_noise=0.0)
    tasks = [_raw([0.1, 0.2]), _raw([0.7, 0.9]), _raw([0.4, 0.4])]
    for task, score in zip(tasks, [5.0, -2.0, 3.0], strict=True):
        t.update(task, score)
    np.testing.assert_allclose(t.sample(), tasks[1], rtol=1e-6)
    np.testing.assert_allclose(t.non_exploratory_sample(), tasks[1], rtol=1e-6)


def test_alp_of_a_region():
    t = RIACTeacher(BOX, seed=0, alp_window=4)
    for score in [0.0, 0.0, 10.0, 1.0, 1.0, 3.0, 3.0]:
        t.update(_raw([0.5, 0.5]), score)
    # last 4 scores: older half [1, 1], newer half [3, 3]
    assert t.regions[0].alp == pytest.approx(2.0)


def test_huge_scores_stay_finite():
    t = RIACTeacher(BOX, seed=0, max_region_size=20)
    rng = np.random.default_rng(0)
    for _ in range(300):
        t.update(_raw(rng.random(2)), float(rng.choice([1.7e308, -1.7e308, 1e-300])))
        t.sample()
    assert all(np.isfinite(r["lp"]) for r in t.internals()["regions"])


@pytest.mark.parametrize(
    "bad",
    [
        {"max_region_size": 1},
        {"alp_window": 0},
        {"nb_split_attempts": 0},
        {"min_dims_range_ratio": 0.5},
        {"random_task_ratio": 0.8, "worst_task_ratio": 0.3},
        {"min_region_size": 150},
        {"discard_ratio": 1.0},
    ],
)
def test_bad_params(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        RIACTeacher(BOX, **bad)


@pytest.mark.parametrize("window", [4, 20, 50])
def test_incremental_alp_matches_exact_computation(window):
    from teachers.riac import _alp, _Region

    rng = np.random.default_rng(window)
    region = _Region(np.zeros(2), np.ones(2), capacity=21, dim=2)
    for i in range(300):  # several buffer compactions
        score = float(rng.normal() * 10 + i) if i != 150 else 1e308
        region.add(rng.random(2), score)
        exact = _alp(region.scores, window)
        assert np.isfinite(region.compute_alp(window))
        if i < 150 or i > 150 + 21 + 11:  # a huge score costs precision until it is rebased away
            assert region.compute_alp(window) == pytest.approx(exact, rel=1e-9, abs=1e-9)
