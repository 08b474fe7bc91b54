"""ALP-GMM, and the batched EM it relies on (checked against scikit-learn)."""

import json
import pickle
import warnings

import numpy as np
import pytest
from gymnasium import spaces
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

import teachers
from teachers import ALPGMMTeacher, check_teacher
from teachers.gmm import fit_gmms, select_gmm

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))
KS = list(range(2, 11))


def unit(task):
    return (np.asarray(task, dtype=np.float64) - BOX.low) / (BOX.high - BOX.low)


def clusters(rng, centres, n=250, std=0.03):
    centres = np.asarray(centres, dtype=np.float64)
    return centres[rng.integers(len(centres), size=n)] + std * rng.normal(size=(n, centres.shape[1]))


# ---------------------------------------------------------------- EM vs scikit-learn
@pytest.mark.parametrize("seed", [0, 1])
def test_em_matches_sklearn_from_the_same_init(seed):
    """Same k-means labels in, same mixture out: EM steps, stopping rule, AIC/BIC all agree."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.random((150, 3)), clusters(rng, rng.random((3, 3)), n=100, std=0.05)])
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = np.stack([KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X).labels_ for k in KS], 1)
        ref = [GaussianMixture(k, random_state=seed).fit(X) for k in KS]
    for ours, sk in zip(fit_gmms(X, KS, labels=labels), ref, strict=True):
        assert ours.n_iter == sk.n_iter_
        assert ours.log_likelihood == pytest.approx(sk.score(X), rel=1e-9)
        assert ours.aic() == pytest.approx(sk.aic(X), rel=1e-9)
        assert ours.bic() == pytest.approx(sk.bic(X), rel=1e-9)
        np.testing.assert_allclose(ours.means, sk.means_, atol=1e-9)
        np.testing.assert_allclose(ours.covariances, sk.covariances_, atol=1e-9)
        np.testing.assert_allclose(ours.weights, sk.weights_, atol=1e-9)


def test_own_init_finds_sklearns_model_on_separated_clusters():
    rng = np.random.default_rng(3)
    X = clusters(rng, [[0.1, 0.1, 0.1], [0.9, 0.2, 0.5], [0.5, 0.9, 0.9], [0.2, 0.8, 0.2]])
    (ours,) = fit_gmms(X, [4], np.random.default_rng(0))
    with threadpool_limits(1):  # sklearn's OpenMP threads crawl on a busy 2-core machine
        ref = GaussianMixture(4, random_state=0).fit(X)
        assert ours.aic() == pytest.approx(ref.aic(X), abs=0.1)
        assert ours.bic() == pytest.approx(ref.bic(X), abs=0.1)
        assert [GaussianMixture(k, random_state=0).fit(X).bic(X) for k in KS].index(ref.bic(X)) == 2
    assert select_gmm(X, KS, "bic", np.random.default_rng(0)).n_components == 4


def test_aic_and_bic_choose_their_own_minimum():
    """On weakly structured data the criteria disagree; each picks its own argmin."""
    rng = np.random.default_rng(5)
    X = np.vstack([rng.random((200, 3)), clusters(rng, [[0.2, 0.2, 0.8]], n=50, std=0.02)])
    fits = fit_gmms(X, KS, np.random.default_rng(7))
    for criterion, score in (("aic", lambda f: f.aic()), ("bic", lambda f: f.bic())):
        chosen = select_gmm(X, KS, criterion, np.random.default_rng(7))
        assert chosen.n_components == KS[int(np.argmin([score(f) for f in fits]))]
    assert select_gmm(X, KS, "bic", np.random.default_rng(7)).n_components <= select_gmm(
        X, KS, "aic", np.random.default_rng(7)
    ).n_components


# ---------------------------------------------------------------- the teacher
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"criterion": "bic", "fit_rate": 100, "potential_ks": (1, 3)},
        {"initial_dist": {"mean": [0.0, 3.0], "std": 0.5}},
        {"alp_max_size": 40, "fit_rate": 100},  # forgets every 40-80 episodes: restores across it
    ],
)
def test_check_teacher(params):
    check_teacher(ALPGMMTeacher(BOX, **params))


def test_registered():
    assert isinstance(teachers.make("alp-gmm", BOX, seed=0), ALPGMMTeacher)


def progress_in_corner(task, rng):
    """Scores change (noisily) only where unit x < 0.25: that is where ALP is."""
    return float(rng.uniform(0, 100)) if unit(task)[0] < 0.25 else 50.0


def test_concentrates_where_alp_is_high():
    t = ALPGMMTeacher(BOX, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        task = t.sample()
        t.update(task, progress_in_corner(task, rng))
    late = np.array([unit(t.sample())[0] < 0.25 for _ in range(1000)])
    assert late.mean() > 0.6  # uniform sampling would give 0.25
    greedy = np.array([unit(t.non_exploratory_sample())[0] < 0.25 for _ in range(500)])
    assert greedy.mean() > late.mean()
    gmm = json.loads(json.dumps(t.internals()))["gmm"]
    best = int(np.argmax(gmm["lp"]))
    assert gmm["means"][best][0] < -3.0 + 0.25 * 6.0  # raw units
    assert np.array(gmm["covariances"]).shape == (len(gmm["weights"]), 2, 2)
    assert sum(gmm["weights"]) == pytest.approx(1.0)
    assert max(gmm["lp"]) > 10.0  # mean ALP in score units, not the scaled axis


def test_uniform_before_first_fit_and_no_greedy_sample():
    t = ALPGMMTeacher(BOX, seed=0, fit_rate=300)
    assert t.internals() == {"gmm": {"means": [], "covariances": [], "weights": [], "lp": []}}
    with pytest.raises(NotImplementedError):
        t.non_exploratory_sample()
    xs = np.array([unit(t.sample()) for _ in range(299)])
    assert abs(xs.mean() - 0.5) < 0.05
    for x in xs:
        t.update(x * (BOX.high - BOX.low) + BOX.low, 1.0)
    assert t.internals()["gmm"]["means"] == []
    t.update(t.sample(), 1.0)  # episode 300: first fit
    assert len(t.internals()["gmm"]["means"]) >= 2
    assert BOX.contains(t.non_exploratory_sample())


def test_initial_dist_bootstrap():
    t = ALPGMMTeacher(BOX, seed=0, initial_dist={"mean": [1.0, 5.0], "std": [0.3, 0.2]})
    xs = np.array([t.sample() for _ in range(249)])
    assert np.allclose(xs.mean(0), [1.0, 5.0], atol=0.06)
    assert np.allclose(xs.std(0), [0.3, 0.2], atol=0.05)
    for x in xs:
        t.update(x, 0.0)
    t.update(t.sample(), 0.0)  # first fit: the initial distribution is no longer used
    random_share = np.array([t.sample() for _ in range(2000)])
    assert (np.abs(random_share[:, 0] - 1.0) > 1.5).mean() > 0.05


def test_state_round_trip_between_fits():
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    t = ALPGMMTeacher(BOX, seed=3)
    for _ in range(370):  # one fit done, 120 episodes pending
        task = t.sample()
        t.update(task, progress_in_corner(task, rng_a))
    rng_b.bit_generator.state = rng_a.bit_generator.state
    restored = ALPGMMTeacher.from_state_dict(BOX, pickle.loads(pickle.dumps(t.state_dict())))
    for _ in range(400):  # crosses the next fit
        a, b = t.sample(), restored.sample()
        np.testing.assert_array_equal(a, b)
        t.update(a, progress_in_corner(a, rng_a))
        restored.update(b, progress_in_corner(b, rng_b))
    assert restored.internals() == t.internals()


def test_score_scale_does_not_change_the_curriculum():
    """The ALP axis is scaled by its window maximum: x1024 scores (exact in floating point)
    give the very same samples."""
    runs = []
    for scale in (1.0, 1024.0):
        t, rng = ALPGMMTeacher(BOX, seed=0), np.random.default_rng(0)
        samples = []
        for _ in range(800):
            task = t.sample()
            samples.append(task)
            t.update(task, scale * progress_in_corner(task, rng))
        runs.append(np.array(samples))
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"fit_rate": 0}, "fit_rate"),
        ({"fit_rate": -5}, "-5"),
        ({"fit_rate": 5}, "fit_rate"),  # fewer points than the largest k
        ({"potential_ks": []}, "potential_ks"),
        ({"potential_ks": [2, 0]}, "potential_ks"),
        ({"random_task_ratio": 1.5}, "1.5"),
        ({"random_task_ratio": -0.1}, "-0.1"),
        ({"criterion": "aicc"}, "aicc"),
        ({"nb_em_init": 0}, "nb_em_init"),
        ({"initial_dist": {"mean": [0.0, 1.0]}}, "initial_dist"),
        ({"initial_dist": {"mean": [0.0, 1.0], "std": 0.0}}, "std"),
        ({"alp_max_size": 2}, "alp_max_size"),
        ({"alp_max_size": 0}, "alp_max_size"),
        ({"alp_max_size": 50.5}, "alp_max_size"),
        ({"alp_max_size": "100"}, "alp_max_size"),
    ],
)
def test_bad_params(params, needle):
    with pytest.raises(ValueError, match=needle):
        ALPGMMTeacher(BOX, **params)


def test_bounded_alp_memory_moves_samples_off_mastered_cells():
    """On the grid student, remembered pre-mastery scores keep the ALP of mastered cells high
    with the default unbounded memory; with ``alp_max_size`` the nearest neighbour is recent,
    so fewer samples land on mastered cells and more cells get mastered."""
    from students.simulated import GridStudent

    share, mastered = {}, {}
    for max_size in (None, 50):
        student = GridStudent(seed=0, grid_size=6)
        t = ALPGMMTeacher(student.task_space, seed=0, alp_max_size=max_size)
        on_mastered = 0
        for i in range(3000):
            task = t.sample()
            if i >= 1000:
                on_mastered += student.competence[student._cell(task)[1]] >= student.mastery_threshold
            score, _ = student.episode(task)
            t.update(task, score)
        share[max_size], mastered[max_size] = on_mastered / 2000, student.mastered_pct()
    assert share[50] < share[None] - 0.1
    assert mastered[50] > mastered[None]
