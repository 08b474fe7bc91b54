"""Bandit teachers over discrete task sets: arm spaces, formulas, conformance, determinism."""

import json
import math

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import (
    LearnabilityTeacher,
    LearningProgressTeacher,
    PLRTeacher,
    SECTeacher,
    UCBTeacher,
    check_teacher,
)
from teachers.arms import ArmSpace, sample_index, stable_softmax
from teachers.learning_progress import lp_probabilities, reweight
from teachers.plr import rank_weights

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))
BANDITS = [UCBTeacher, SECTeacher, PLRTeacher, LearningProgressTeacher, LearnabilityTeacher]


# ---------------------------------------------------------------------- arm spaces
def test_discrete_arms_respect_start_and_names():
    arms = ArmSpace(spaces.Discrete(4, start=2), arm_names=["a", "b", "c", "d"])
    assert arms.n_arms == 4
    assert [arms.arm_of(np.int64(t)) for t in (2, 3, 4, 5)] == [0, 1, 2, 3]
    assert int(arms.task_of(3)) == 5
    assert arms.labels() == ["a", "b", "c", "d"]
    assert ArmSpace(spaces.Discrete(3, start=1)).labels() == ["1", "2", "3"]


def test_multidiscrete_arms_flatten_in_c_order():
    space = spaces.MultiDiscrete([3, 4], start=[1, 0])
    arms = ArmSpace(space)
    assert arms.n_arms == 12
    assert arms.arm_of(np.array([2, 3])) == 1 * 4 + 3
    for a in range(12):
        task = arms.task_of(a)
        assert space.contains(task) and arms.arm_of(task) == a
    assert arms.label(7) == "(2, 3)"


def test_box_bins_attribute_points_to_cells():
    arms = ArmSpace(BOX, bins=[3, 2])  # cells of width 2 (dim 0) and 3 (dim 1)
    assert arms.n_arms == 6
    assert arms.arm_of(np.array([-3.0, 0.0])) == 0
    assert arms.arm_of(np.array([-0.5, 4.0])) == 1 * 2 + 1
    assert arms.arm_of(np.array([3.0, 6.0])) == 5  # the upper bound belongs to the last cell
    assert arms.arm_of(np.array([1.0, 2.999])) == 2 * 2 + 0
    np.testing.assert_allclose(arms.task_of(3), [0.0, 4.5])  # centre of cell (1, 1): [-1, 1]x[3, 6]
    rng = np.random.default_rng(0)
    for a in range(6):
        pts = np.array([arms.task_of(a, rng) for _ in range(200)])
        assert all(arms.arm_of(p) == a for p in pts)
        # Uniform inside the cell: spread over (almost) its whole width.
        assert np.all(pts.max(0) - pts.min(0) > 0.9 * arms.width)
    assert arms.label(0) == "[-3, -1]x[0, 3]"


@pytest.mark.parametrize(
    ("space", "bins", "arm_names", "needle"),
    [
        (BOX, 0, None, "bins"),
        (BOX, [2, 2, 2], None, "3 entries"),
        (spaces.Discrete(3), 2, None, "Box"),
        (spaces.Discrete(3), None, ["x"], "1 labels for 3 arms"),
    ],
)
def test_bad_arm_space(space, bins, arm_names, needle):
    with pytest.raises(ValueError, match=needle):
        ArmSpace(space, bins=bins, arm_names=arm_names)


def test_stable_softmax_and_sampling():
    p = stable_softmax(np.array([1e6, 1e6 - 0.1]), temperature=0.1)  # no overflow
    assert p[0] / p[1] == pytest.approx(math.e)
    np.testing.assert_allclose(stable_softmax(np.array([0.0, 1.0]), 1.0), [1 / (1 + math.e), math.e / (1 + math.e)])
    rng = np.random.default_rng(0)
    draws = np.bincount([sample_index(np.array([0.2, 0.0, 0.8]), rng) for _ in range(4000)], minlength=3)
    assert draws[1] == 0 and abs(draws[2] / 4000 - 0.8) < 0.03


# ---------------------------------------------------------------------- registry & conformance
def test_registered_names():
    for name, cls in [("ucb", UCBTeacher), ("sec", SECTeacher), ("plr", PLRTeacher), ("lp", LearningProgressTeacher),
                      ("learnability", LearnabilityTeacher)]:
        assert isinstance(teachers.make(name, spaces.Discrete(3), seed=0), cls)


@pytest.mark.parametrize("cls", BANDITS)
def test_check_teacher_on_discrete_with_start(cls):
    # The default spaces (Discrete(5), MultiDiscrete([3, 4]), binned Box) run in test_teacher_checks.py.
    check_teacher(cls, task_spaces=[spaces.Discrete(4, start=2)], n_episodes=300)


@pytest.mark.parametrize("cls", BANDITS)
def test_check_teacher_with_per_dim_bins_and_names(cls):
    check_teacher(cls(BOX, bins=[2, 3], arm_names=list("abcdef")), task_spaces=[BOX], n_episodes=200)


@pytest.mark.parametrize("cls", BANDITS)
def test_internals_lists_every_arm(cls):
    t = cls(spaces.MultiDiscrete([2, 3]), seed=0)
    for _ in range(30):
        task = t.sample()
        t.update(task, float(task.sum()) / 3)
    out = json.loads(json.dumps(t.internals()))
    assert len(out["probabilities"]) == len(out["arms"]) == 6
    assert sum(out["probabilities"]) == pytest.approx(1.0)
    assert out["arms"][5] == "(1, 2)"


@pytest.mark.parametrize("cls", BANDITS)
def test_binned_box_update_goes_to_its_bin(cls):
    t = cls(BOX, seed=0, bins=3)
    task = np.array([2.5, 0.5])  # cell (2, 0) = arm 6
    assert t.arms.arm_of(task) == 6
    calls = []
    original = t._update_arm
    t._update_arm = lambda arm, score: (calls.append(arm), original(arm, score))
    t.update(task, 1.0)
    t.update(np.array([-3.0, 6.0]), 1.0)  # corner: cell (0, 2) = arm 2
    assert calls == [6, 2]


def test_sec_binned_box_moves_only_that_bin():
    t = SECTeacher(BOX, seed=0, bins=3)
    t.update(np.array([2.5, 0.5]), 1.0)
    assert t.q[6] == pytest.approx(0.1) and np.count_nonzero(t.q) == 1


# ---------------------------------------------------------------------- UCB (DUMP)
def test_ucb_scores_and_probabilities_by_hand():
    t = UCBTeacher(spaces.Discrete(3), seed=0, window=2)
    for arm, s in [(0, 1.0), (0, 0.5), (0, 0.2), (1, 0.4)]:
        t.update(np.int64(arm), s)
    # arm 0: window holds [0.5, 0.2] (the 1.0 fell out), count 3; arm 1: [0.4], 1; arm 2: none.
    n_total = 4
    expected = [
        0.35 + math.sqrt(2 * math.log(n_total + 1) / 4),
        0.4 + math.sqrt(2 * math.log(n_total + 1) / 2),
        0.0 + math.sqrt(2 * math.log(n_total + 1) / 1),
    ]
    np.testing.assert_allclose(t.ucb_scores(), expected)
    w = [math.exp(e / 0.1) for e in expected]
    np.testing.assert_allclose(t.arm_probabilities(), [x / sum(w) for x in w])
    t2 = UCBTeacher(spaces.Discrete(3), seed=0, window=2, c=0.5, temperature=1.0)
    for arm, s in [(0, 1.0), (0, 0.5), (0, 0.2), (1, 0.4)]:
        t2.update(np.int64(arm), s)
    e2 = [0.35 + 0.5 * (expected[0] - 0.35), 0.4 + 0.5 * (expected[1] - 0.4), 0.5 * expected[2]]
    np.testing.assert_allclose(t2.arm_probabilities(), np.exp(e2) / np.exp(e2).sum())


def test_ucb_concentrates_on_the_high_signal_arm():
    t = UCBTeacher(spaces.Discrete(4), seed=0)
    counts = np.zeros(4, dtype=int)
    for _ in range(3000):
        arm = int(t.sample())
        counts[arm] += 1
        t.update(np.int64(arm), 0.8 if arm == 2 else 0.1)
    assert counts[2] > 0.6 * counts.sum()


def test_ucb_rejects_bad_params():
    with pytest.raises(ValueError, match="temperature"):
        UCBTeacher(spaces.Discrete(3), temperature=0)
    with pytest.raises(ValueError, match="window"):
        UCBTeacher(spaces.Discrete(3), window=0)
    with pytest.raises(ValueError, match="c must"):
        UCBTeacher(spaces.Discrete(3), c=-1)


# ---------------------------------------------------------------------- SEC
def test_sec_td0_update_and_boltzmann_by_hand():
    t = SECTeacher(spaces.Discrete(3), seed=0, alpha=0.1, temperature=0.5, q_init=0.2)
    t.update(np.int64(1), 1.0)
    t.update(np.int64(1), 0.5)
    t.update(np.int64(2), 0.0)
    q1 = 0.1 * 0.5 + 0.9 * (0.1 * 1.0 + 0.9 * 0.2)
    np.testing.assert_allclose(t.q, [0.2, q1, 0.9 * 0.2])
    w = np.exp(np.array([0.2, q1, 0.18]) / 0.5)
    np.testing.assert_allclose(t.arm_probabilities(), w / w.sum())
    assert t.internals()["q"] == pytest.approx(t.q.tolist())


def test_sec_reward_range_normalizes_before_update():
    t = SECTeacher(spaces.Discrete(2), seed=0, reward_range=(0, 10))
    t.update(np.int64(0), 5.0)
    assert t.q[0] == pytest.approx(0.05)


# ---------------------------------------------------------------------- PLR
def test_rank_weights_by_hand():
    w = rank_weights(np.array([0.3, 0.9, 0.5]), temperature=0.1)
    raw = np.array([(1 / 3) ** 10, 1.0, (1 / 2) ** 10])
    np.testing.assert_allclose(w, raw / raw.sum())
    w = rank_weights(np.array([0.3, 0.9, 0.5]), temperature=1.0, transform="power")
    np.testing.assert_allclose(w, np.array([0.3, 0.9, 0.5]) / 1.7)
    # Ties: the earlier level ranks first.
    np.testing.assert_allclose(rank_weights(np.array([1.0, 1.0]), 1.0), [2 / 3, 1 / 3])


def test_plr_staleness_mixing_by_hand():
    t = PLRTeacher(spaces.Discrete(3), seed=0, temperature=1.0, staleness_coef=0.3)
    for arm, s in [(0, 0.1), (1, 0.7), (2, 0.4)]:
        t.update(np.int64(arm), s)
    levels, p = t.replay_distribution()
    p_s = np.array([1 / 3, 1.0, 1 / 2]) / (1 / 3 + 1 + 1 / 2)
    np.testing.assert_allclose(p, 0.7 * p_s + 0.3 / 3)  # no sample yet: staleness uniform
    drawn = t.arms.arm_of(t.sample())  # all seen: a replay
    staleness = np.ones(3)
    staleness[drawn] = 0.0
    levels, p = t.replay_distribution()
    assert levels == [0, 1, 2]
    np.testing.assert_allclose(p, 0.7 * p_s + 0.3 * staleness / 2)
    np.testing.assert_allclose(t.arm_probabilities(), p)


def test_plr_new_levels_then_replay():
    n = 6
    t = PLRTeacher(spaces.Discrete(n), seed=0, replay_prob=0.0)
    first = []
    for i in range(n):
        arm = int(t.sample())
        first.append(arm)
        t.update(np.int64(arm), float(i))
    assert sorted(first) == list(range(n))  # replay_prob 0: only unseen levels until all seen
    assert t.current_replay_prob() == 1.0
    # Rank β=0.1 puts almost all mass on the best level (score 5).
    best = first[-1]
    draws = [int(t.sample()) for _ in range(200)]
    assert draws.count(best) > 150


def test_plr_replay_prob_schedules():
    t = PLRTeacher(spaces.Discrete(10), seed=0, replay_prob=0.8)
    assert t.current_replay_prob() == 0.0  # nothing seen: a new level
    t.update(np.int64(3), 1.0)
    t.update(np.int64(4), 1.0)
    assert t.current_replay_prob() == 0.8
    p = t.arm_probabilities()
    assert p[[0, 1, 2, 5, 6, 7, 8, 9]] == pytest.approx([0.2 / 8] * 8)
    assert p.sum() == pytest.approx(1.0)
    t2 = PLRTeacher(spaces.Discrete(10), seed=0, replay_schedule="proportionate")
    t2.update(np.int64(3), 1.0)
    t2.update(np.int64(4), 1.0)
    assert t2.current_replay_prob() == pytest.approx(0.2)


def test_plr_score_alpha_and_buffer_eviction():
    t = PLRTeacher(spaces.Discrete(10), seed=0, buffer_size=2, score_alpha=0.5)
    t.update(np.int64(0), 0.5)
    t.update(np.int64(1), 0.2)
    t.update(np.int64(1), 0.4)  # EMA: 0.5 * 0.2 + 0.5 * 0.4
    assert t.scores == {0: 0.5, 1: pytest.approx(0.3)}
    t.update(np.int64(2), 0.35)  # beats the worst (level 1): replaces it
    assert t.scores == {0: 0.5, 2: 0.35}
    t.update(np.int64(3), 0.1)  # lower than every buffered level: not admitted
    assert t.scores == {0: 0.5, 2: 0.35}


def test_plr_unbounded_seed_stream():
    space = spaces.Discrete(2**31)
    t = PLRTeacher(space, seed=0, buffer_size=50)
    rng = np.random.default_rng(0)
    new = 0
    for _ in range(400):
        task = t.sample()
        new += int(task) not in t.scores
        t.update(task, float(rng.random()))
    assert len(t.scores) == 50 and len(t.last_sampled) <= 400
    assert 120 < new < 280  # about half the draws are fresh seeds (replay_prob 0.5)
    out = json.loads(json.dumps(t.internals()))
    assert len(out["probabilities"]) == len(out["arms"]) == 50 and out["n_arms"] == 2**31


def test_plr_rejects_bad_params():
    with pytest.raises(ValueError, match="replay_schedule"):
        PLRTeacher(spaces.Discrete(3), replay_schedule="sometimes")
    with pytest.raises(ValueError, match="staleness_coef"):
        PLRTeacher(spaces.Discrete(3), staleness_coef=1.5)
    with pytest.raises(ValueError, match="buffer_size"):
        PLRTeacher(spaces.Discrete(3), buffer_size=0)


# ---------------------------------------------------------------------- learning progress
def test_lp_reweighting_by_hand():
    theta = 0.1
    np.testing.assert_allclose(reweight(np.array([0.0, theta, 0.5, 1.0]), theta), [0.0, 0.5, 0.9, 1.0])
    p = 0.3
    assert reweight(np.array([p]), 0.2)[0] == pytest.approx(p * 0.8 / (p + 0.2 * (1 - 2 * p)))


def test_lp_probabilities_zscore_sigmoid_and_zero_out():
    lp = np.array([0.0, 0.1, 0.3, 0.0])
    success = np.array([0.5, 0.2, 0.1, 0.0])  # arm 3: no progress, no success -> excluded
    kept = lp[:3]
    z = (kept - kept.mean()) / kept.std()
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(lp_probabilities(lp, success), np.append(s / s.sum(), 0.0))
    np.testing.assert_allclose(lp_probabilities(np.zeros(3), np.zeros(3)), [1 / 3] * 3)


def test_lp_teacher_tracks_success_and_mixes_uniform():
    t = LearningProgressTeacher(spaces.Discrete(4), seed=0, success_threshold=0.5)
    t.update(np.int64(1), 0.2)  # failure
    t.update(np.int64(1), 0.9)  # success
    assert t.tracker.fast[1] == pytest.approx(0.1)
    assert t.tracker.slow[1] == pytest.approx(0.01)
    lp = abs(reweight(np.array([0.1]), 0.1)[0] - reweight(np.array([0.01]), 0.1)[0])
    assert t.learning_progress()[1] == pytest.approx(lp)
    p = t.arm_probabilities()
    # Only arm 1 has progress or success: it gets the LP share, every arm the uniform share.
    np.testing.assert_allclose(p, [0.25 / 4] * 4 + np.array([0, 0.75, 0, 0]))


def test_lp_clips_scores_without_threshold():
    t = LearningProgressTeacher(spaces.Discrete(2), seed=0)
    t.update(np.int64(0), 7.0)
    assert t.tracker.fast[0] == 1.0


def test_lp_rejects_bad_params():
    with pytest.raises(ValueError, match="p_theta"):
        LearningProgressTeacher(spaces.Discrete(3), p_theta=0.5)
    with pytest.raises(ValueError, match="uniform_prob"):
        LearningProgressTeacher(spaces.Discrete(3), uniform_prob=2)


def test_learnability_is_p_one_minus_p_of_the_window():
    t = LearnabilityTeacher(spaces.Discrete(4), seed=0, window=4, uniform_prob=0.0, success_threshold=0.5)
    # arm 0: successes 1, 0, 1, 1, 0 -> window keeps the last 4: 0, 1, 1, 0 -> p = 0.5
    for score in (0.9, 0.1, 0.8, 0.7, 0.2):
        t.update(np.int64(0), score)
    for _ in range(3):  # arm 1: always solved; arm 2: never
        t.update(np.int64(1), 1.0)
        t.update(np.int64(2), 0.0)
    np.testing.assert_allclose(t.success_rates(), [0.5, 1.0, 0.0, 0.5])  # arm 3 untried: 0.5
    np.testing.assert_allclose(t.learnability(), [0.25, 0.0, 0.0, 0.25])
    np.testing.assert_allclose(t.arm_probabilities(), [0.5, 0.0, 0.0, 0.5])
    t.update(np.int64(3), 1.0)  # arm 3 now looks solved
    np.testing.assert_allclose(t.arm_probabilities(), [1.0, 0.0, 0.0, 0.0])
    draws = {int(t.sample()) for _ in range(50)}
    assert draws == {0}
    internals = t.internals()
    assert internals["learnability"] == pytest.approx([0.25, 0.0, 0.0, 0.0])
    assert internals["success_rate"] == pytest.approx([0.5, 1.0, 0.0, 1.0])


def test_learnability_topk_uniform_mix_and_all_zero():
    t = LearnabilityTeacher(spaces.Discrete(8), seed=0, sampling="topk", topk=2, uniform_prob=0.2, window=1)
    for arm, success in enumerate([1, 1, 0, 0, 1, 0, 1, 0]):
        t.update(np.int64(arm), float(success))
    # every arm has p in {0, 1}: learnability all 0 -> the top 2 by stable order are arms 0, 1
    np.testing.assert_allclose(t.arm_probabilities(), 0.2 / 8 + 0.8 * np.array([0.5, 0.5, 0, 0, 0, 0, 0, 0]))
    t2 = LearnabilityTeacher(spaces.Discrete(8), seed=0, window=1, uniform_prob=0.2)
    for arm in range(8):
        t2.update(np.int64(arm), 1.0)
    np.testing.assert_allclose(t2.arm_probabilities(), [1 / 8] * 8)  # "dist" with no learnability: uniform
    assert LearnabilityTeacher(spaces.Discrete(8), sampling="topk").arm_probabilities().max() == pytest.approx(
        0.8 / 2 + 0.2 / 8)  # default topk = n_arms // 4


def test_learnability_rejects_bad_params():
    with pytest.raises(ValueError, match="sampling .*'rank'"):
        LearnabilityTeacher(spaces.Discrete(3), sampling="rank")
    with pytest.raises(ValueError, match="topk .*0"):
        LearnabilityTeacher(spaces.Discrete(3), topk=0)
    with pytest.raises(ValueError, match="uniform_prob"):
        LearnabilityTeacher(spaces.Discrete(3), uniform_prob=-0.1)
    with pytest.raises(ValueError, match="success_threshold"):
        LearnabilityTeacher(spaces.Discrete(3), success_threshold=float("nan"))
    with pytest.raises(ValueError, match="window"):
        LearnabilityTeacher(spaces.Discrete(3), window=0)


# ---------------------------------------------------------------------- determinism
@pytest.mark.parametrize("cls", BANDITS)
def test_same_seed_same_curriculum(cls):
    def run(seed):
        t = cls(BOX, seed=seed, bins=2)
        out = []
        for i in range(100):
            task = t.sample()
            out.append(task)
            t.update(task, float(np.sin(i)) ** 2)
        return np.array(out), t.internals()

    (a, ia), (b, ib), (c, _) = run(0), run(0), run(1)
    np.testing.assert_array_equal(a, b)
    assert ia == ib
    assert not np.array_equal(a, c)
