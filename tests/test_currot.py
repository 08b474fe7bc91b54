"""CURROT: its value model, sliced-Wasserstein step, success buffer and particle dynamics."""

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import CURROTTeacher, check_teacher
from teachers.currot import NadarayaWatson, sliced_wasserstein_targets

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))
# Behaviour tests: fewer particles and ball samples, same dynamics, a few times faster.
FAST = {"n_particles": 50, "episodes_per_update": 10, "n_ball_samples": 30}
SMALL = {"n_particles": 12, "episodes_per_update": 5, "n_ball_samples": 10, "n_projections": 10}


def unit(task):
    return (np.asarray(task, dtype=np.float64) - BOX.low) / (BOX.high - BOX.low)


def run(teacher, score_of, n):
    for _ in range(n):
        task = teacher.sample()
        teacher.update(task, score_of(unit(task)))
    return teacher


# ---------------------------------------------------------------- conformance
@pytest.mark.parametrize(
    "params",
    [
        {**SMALL, "delta": 20.0},
        {**SMALL, "delta": 20.0, "wait_until_threshold": True},
        {**SMALL, "delta": 0.5, "reward_range": (-100, 100), "target_dist": {"mean": [2.0, 5.0], "std": [0.3, 0.3]}},
        {**SMALL, "delta": -50.0, "initial_dist": {"mean": [0.0, 1.0], "std": [0.5, 0.5]}},
    ],
)
def test_check_teacher(params):
    check_teacher(CURROTTeacher(BOX, **params), n_episodes=300)


@pytest.mark.parametrize("space", [spaces.Box(-1.0, 1.0, (1,)), spaces.Box(0.0, 2.0, (3,))])
def test_check_teacher_other_dims(space):
    check_teacher(CURROTTeacher(space, **SMALL, delta=20.0), task_spaces=[space], n_episodes=200)


def test_registered_and_defaults():
    t = teachers.make("currot", BOX, seed=0)
    assert isinstance(t, CURROTTeacher)
    assert (t.n_particles, t.episodes_per_update, t.delta) == (100, 20, 4.0)
    assert t.particles.shape == (100, 2)
    # epsilon None: the TMA rule 0.05·||ub - lb|| in the unit cube.
    assert np.isclose(t._eps, 0.05 * np.sqrt(2))


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"n_particles": 10, "episodes_per_update": 10}, "episodes_per_update"),
        ({"target_dist": {"mean": [0.0], "std": [1.0, 1.0, 1.0]}}, "target_dist"),
        ({"target_dist": {"mean": [0.0, 1.0], "std": [0.0, 1.0]}}, "target_dist"),
        ({"initial_dist": {"mean": [np.nan, 1.0], "std": [1.0, 1.0]}}, "initial_dist"),
        ({"target_dist": {"mu": 0.0}}, "target_dist"),
        ({"epsilon": 0.0}, "epsilon"),
    ],
)
def test_bad_params(params, needle):
    with pytest.raises(ValueError, match=needle):
        CURROTTeacher(BOX, **params)


# ---------------------------------------------------------------- pieces
def test_nadaraya_watson_matches_the_formula():
    rng = np.random.default_rng(0)
    x, y, q = rng.random((80, 2)), rng.normal(size=80), rng.random((300, 2))
    q[:4] += 5.0  # far from all data: the 10-nearest-neighbour fallback
    h = 0.05
    model = NadarayaWatson(x, y, h, rng, max_share=1.0)
    d2 = ((q[:, None] - x[None]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * h * h)) * (d2 <= (3 * h) ** 2)
    near = w.sum(1) > 0
    got = model(q)
    assert np.allclose(got[near], (w @ y)[near] / w.sum(1)[near], atol=1e-5)
    far = np.flatnonzero(~near)
    assert set(far) >= {0, 1, 2, 3}
    for i in far:
        nn = np.argsort(d2[i])[:10]
        wk = np.exp(-(d2[i, nn] - d2[i, nn].min()) / (2 * h * h))
        assert np.isclose(got[i], (wk * y[nn]).sum() / wk.sum(), atol=1e-6)


def test_nadaraya_watson_caps_the_neighbours():
    """With every point in range, a query averages only max_share of them, chosen at random."""
    rng = np.random.default_rng(1)
    x = np.full((100, 1), 0.5)
    y = np.arange(100.0)
    model = NadarayaWatson(x, y, 1.0, rng, max_share=0.1)
    preds = np.array([model(np.array([[0.5]]))[0] for _ in range(200)])
    # The mean of 10 distinct values out of 0..99 (a random subset, not always the same one).
    assert preds.std() > 5.0
    assert abs(preds.mean() - 49.5) < 5.0


def test_sliced_wasserstein_recovers_a_translation():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(300, 3)) * 0.1
    shift = np.array([0.5, -0.2, 0.3])
    dest = sliced_wasserstein_targets(source, source[rng.permutation(300)] + shift, rng, n_projections=200)
    assert np.allclose((dest - source).mean(0), shift, atol=0.03)


def test_success_buffer_before_and_after_delta():
    t = CURROTTeacher(spaces.Box(0.0, 1.0, (1,)), seed=0, n_particles=6, episodes_per_update=4, delta=5.0)
    tasks = np.linspace(0, 1, 4)[:, None]
    failed = t._update_success_buffer(tasks, np.array([1.0, 2.0, 3.0, 4.0]))
    assert not failed.any() and t._success()[1].tolist() == [1.0, 2.0, 3.0, 4.0]  # empty: all enter
    failed = t._update_success_buffer(tasks, np.array([0.0, 2.5, 6.0, 7.0]))
    # Median 3: 6 and 7 enter and replace the two lowest entries (the size stays 4).
    assert failed.tolist() == [True, True, False, False]
    assert t._success()[1].tolist() == [3.0, 4.0, 6.0, 7.0]
    assert np.allclose(t._success()[0][:, 0], [2 / 3, 1.0, 2 / 3, 1.0])  # tasks follow their scores
    assert not t._delta_reached  # median of the buffer before the update (3) <= 5
    t._update_success_buffer(tasks, np.array([8.0, 9.0, 10.0, 11.0]))
    # Median 6: all four enter and replace the lower half + 1 ([3, 4, 6]): the buffer grows.
    assert t._success()[1].tolist() == [7.0, 8.0, 9.0, 10.0, 11.0]
    assert t._delta_reached  # old buffer [3, 4, 6, 7]: median 6 > 5
    # After delta: successes (>= 5) enter, failures do not; the buffer is capped at 6.
    failed = t._update_success_buffer(tasks, np.array([1.0, 6.0, 2.0, 30.0]))
    assert failed.tolist() == [True, False, True, False]
    assert t._n_success == 6 and (t._success()[1] >= 5.0).all()
    # Full of successes: it keeps the 6 of buffer + new successes that an optimal
    # assignment matches to 6 target samples (uniform here: near-uniform tasks win).
    far = np.full((4, 1), 0.5)
    t._update_success_buffer(far, np.array([20.0, 21.0, 22.0, 23.0]))
    assert t._n_success == 6 and (t._success()[1] >= 5.0).all()


def test_successes_replace_failures_in_the_buffer_after_delta():
    t = CURROTTeacher(spaces.Box(0.0, 1.0, (1,)), seed=0, n_particles=6, episodes_per_update=4, delta=5.0)
    t._delta_reached = 1
    t._set_success(np.zeros((4, 1)), np.array([1.0, 2.0, 6.0, 7.0]))
    failed = t._update_success_buffer(np.ones((4, 1)), np.array([9.0, 0.0, 8.0, 3.0]))
    assert failed.tolist() == [False, True, False, True]
    assert sorted(t._success()[1].tolist()) == [6.0, 7.0, 8.0, 9.0]


# ---------------------------------------------------------------- behaviour
def test_particles_reach_the_target_when_everything_is_feasible():
    target = {"mean": [2.0, 5.0], "std": [0.05, 0.05]}
    t = CURROTTeacher(BOX, seed=0, **FAST, delta=0.5, target_dist=target)
    run(t, lambda u: 1.0, 1000)
    assert t.n_distribution_updates == 100
    goal = unit(target["mean"])
    assert np.linalg.norm(t.particles.mean(0) - goal) < 0.05
    tasks = np.array([unit(t.sample()) for _ in range(50)])
    assert np.median(np.linalg.norm(tasks - goal, axis=1)) < 0.1


def test_particles_stay_feasible_on_the_way_to_an_infeasible_target():
    """Score 1 left of u0 = 0.5, 0 right of it; target at u0 = 0.9: the particles gather at
    the feasible edge nearest the target instead of following it into the infeasible part."""
    target = {"mean": [2.4, 3.0], "std": [0.05, 0.05]}  # unit (0.9, 0.5)
    t = CURROTTeacher(BOX, seed=0, **FAST, delta=0.5, target_dist=target)
    run(t, lambda u: float(u[0] < 0.5), 1500)
    u0 = t.particles[:, 0]
    # The value model smooths the edge over about a bandwidth (0.08): the particles stop
    # within it, far from the target's 0.9.
    assert np.mean(u0 < 0.6) > 0.9
    assert 0.45 < u0.mean() and u0.std() < 0.05  # gathered at the edge (uniform start: std 0.29)
    assert np.abs(t.particles[:, 1] - 0.5).mean() < 0.15  # along the target's other axis


def test_infeasible_particles_are_reset_to_the_success_region():
    """Only a small disc succeeds: particles elsewhere are moved next to its successes."""
    centre = np.array([0.2, 0.8])
    t = CURROTTeacher(BOX, seed=0, **FAST, delta=0.5)
    run(t, lambda u: float(np.linalg.norm(u - centre) < 0.15), 600)
    near = np.linalg.norm(t.particles - centre, axis=1) < 0.25
    assert near.mean() > 0.7


def test_wait_until_threshold_freezes_the_particles():
    t = CURROTTeacher(BOX, seed=0, delta=0.5, wait_until_threshold=True)
    before = t.particles.copy()
    run(t, lambda u: 0.0, 200)
    assert np.array_equal(t.particles, before) and t.n_distribution_updates == 0
    run(t, lambda u: 1.0, 200)
    assert t.n_distribution_updates > 0 and not np.array_equal(t.particles, before)


def test_non_exploratory_sample_is_a_particle_and_draws_nothing():
    t = run(CURROTTeacher(BOX, seed=0, **SMALL, delta=0.5), lambda u: 1.0, 30)
    state = t.rng.bit_generator.state
    task = t.non_exploratory_sample()
    assert t.rng.bit_generator.state == state
    assert np.isclose(np.abs(t.particles - unit(task)).sum(1), 0.0, atol=1e-5).any()


def test_restored_mid_training_gives_the_same_next_100_tasks():
    """Issue #13's criterion: restored mid-training (between two updates), the same next 100
    tasks as the uninterrupted teacher, through several distribution updates."""
    import pickle

    target = {"mean": [2.0, 5.0], "std": [0.2, 0.2]}

    def score(u):
        return float(u[0] < 0.6) + 0.1 * u[1]

    ref = run(CURROTTeacher(BOX, seed=4, **FAST, delta=0.5, target_dist=target), score, 137)
    state = pickle.loads(pickle.dumps(ref.state_dict()))
    restored = CURROTTeacher.from_state_dict(BOX, state)
    updates = ref.n_distribution_updates
    a, b = [], []
    for _ in range(100):
        ta, tb = ref.sample(), restored.sample()
        a.append(ta)
        b.append(tb)
        ref.update(ta, score(unit(ta)))
        restored.update(tb, score(unit(tb)))
    assert np.array_equal(np.array(a), np.array(b))
    assert ref.n_distribution_updates >= updates + 9
