"""AGAIN (Meta-ACL): classroom format, expert selection, IN replay variants, hand-over; the toy student."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from students.classroom import classroom_student
from students.simulated.classroom_toy import ClassroomToyStudent
from teachers.again import HANDOVER_WINDOW, T_PERIOD, AGAINTeacher
from teachers.checks import parametrize_with_checks
from teachers.classroom import (
    Classroom,
    ClassroomStudent,
    component_rewards,
    example_classroom,
    task_origins,
)

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))
UNIT = spaces.Box(low=np.zeros(2), high=np.ones(2), dtype=np.float64)
ROOM = example_classroom(BOX.low, BOX.high)


def _checked(replay, use_alp_gmm):
    return AGAINTeacher(BOX, classroom=ROOM, expert_selection="random", pretest_episodes=300, replay=replay,
                        use_alp_gmm=use_alp_gmm, fit_rate=100)  # fmt: skip


@parametrize_with_checks([_checked("R", True)])
def test_again_passes_the_checks_while_replaying(teacher, check):
    check(teacher)


def _checked_ground_truth():
    return AGAINTeacher(BOX, classroom=ROOM, expert_selection="ground_truth", student_params={"band": 0.4},
                        pretest_episodes=300, fit_rate=100)  # fmt: skip


@pytest.mark.slow
@parametrize_with_checks(
    [_checked(r, a) for r, a in (("R", False), ("T", True), ("T", False), ("P", True), ("P", False))]
    + [_checked_ground_truth(), AGAINTeacher(BOX, classroom=ROOM, expert_selection="random", pretest_episodes=100, fit_rate=100, r_patience=40)]
)
def test_again_variants_pass_the_checks(teacher, check):
    check(teacher)


def _snap(episode, lp, reward_mean, centre):
    k = len(lp)
    return {
        "episode": episode, "means": np.tile(centre, (k, 1)) + 0.01 * np.arange(k)[:, None],
        "covariances": np.stack([np.eye(2) * 1e-3] * k), "weights": np.full(k, 1 / k), "lp": np.asarray(lp, float),
        "reward_mean": np.asarray(reward_mean, float), "reward_count": np.full(k, 50.0),
    }


def _room(n_snaps=4, finals=(1.0, 3.0, 2.0)) -> dict:
    """Three students along the diagonal; KC vectors 0, 1, 2 (x ones), finals as given."""
    tasks = np.array([[0.2, 0.2], [0.5, 0.5], [0.8, 0.8]])
    students = [
        ClassroomStudent(
            f"s{i}", np.array([0, 100]), np.array([np.full(3, i / 2), np.full(3, i)]), np.full(3, f),
            [_snap(250 * (j + 1), [0.5, 0.1], [0.3 + 0.1 * j, 0.0], np.full(2, 0.1 + 0.2 * j)) for j in range(n_snaps)],
        )
        for i, f in enumerate(finals)
    ]
    return Classroom(UNIT.low, UNIT.high, tasks, students).to_dict()


def test_registered_and_plain_alp_gmm_without_classroom():
    t = teachers.make("again", UNIT, seed=0)
    assert isinstance(t, AGAINTeacher) and t.uses_pretest and not t.pretest_due()
    with pytest.raises(ValueError, match="no classroom"):
        t.pretest_tasks()
    assert not teachers.make("alp-gmm", UNIT).uses_pretest and not teachers.make("alp-gmm", UNIT).pretest_due()


def test_expert_is_the_best_final_among_the_k_nearest():
    room = Classroom.from_dict(_room())
    kc = np.full(3, 0.9)  # nearest s1 (1.0), then s0 (0.0) and s2 (2.0) tie at 1.1
    assert list(room.nearest(kc, 100, 3)) == [1, 0, 2]
    assert room.select_expert(kc, 100, 1) == 1
    assert room.select_expert(np.full(3, 2.0), 100, 2) == 1  # s2, s1: s1 has the larger final sum
    assert room.select_expert(np.full(3, 2.0), 0, 1) == 2  # KC measured at episode 0: s2's is 1.0
    t = AGAINTeacher(UNIT, classroom=_room(), pretest_episodes=5, k=2)
    assert list(t.pretest_tasks().ravel()) == [0.2, 0.2, 0.5, 0.5, 0.8, 0.8]
    for _ in range(5):
        assert not t.pretest_due()
        t.update(t.sample(), 0.0)
    assert t.pretest_due()
    with pytest.raises(ValueError, match="expected 3 finite"):
        t.set_pretest_results([1.0, 2.0])
    t.set_pretest_results(np.full(3, 0.1))  # nearest s0, s1 -> s1 (final 3)
    assert t.internals()["again"]["expert"] == "s1" and not t.pretest_due()
    with pytest.raises(ValueError, match="no pre-test is due"):
        t.set_pretest_results(np.zeros(3))


def test_progress_niches_keep_high_alp_gaussians_with_reference_rewards():
    room = Classroom.from_dict(example_classroom([0, 0], [1, 1]))
    niches = room.progress_niches(0)
    snaps = room.students[0].snapshots
    assert len(niches) == len(snaps)
    assert all(len(n.lp) == 2 and (n.lp > 0.2).all() for n in niches)  # the 0.05 Gaussian is dropped
    s = snaps[0]
    assert niches[0].reference_reward == pytest.approx((s["reward_mean"][:2] * s["reward_count"][:2]).sum() / 70)
    assert room.progress_niches(0, alp_threshold=0.55)[0].lp.tolist() == [0.6]
    assert len(room.progress_niches(0, alp_threshold=0.99)) == 0


def test_component_rewards_attribute_each_task_to_its_gaussian():
    means = np.array([[0.2, 0.2], [0.8, 0.8]])
    covs = np.stack([np.eye(2) * 0.01] * 2)
    rng = np.random.default_rng(0)
    tasks = np.vstack([means[0] + 0.02 * rng.standard_normal((80, 2)), means[1] + 0.02 * rng.standard_normal((30, 2))])
    rewards = np.r_[np.zeros(20), np.ones(60), np.full(30, 0.5)]
    mean, count = component_rewards(means, covs, [0.3, 0.4], tasks, rewards)
    assert count.tolist() == [50, 30] and mean.tolist() == [1.0, 0.5]  # the last 50 of the first


def test_uniform_draws_are_no_gaussian_s_and_reference_rewards_pool_the_last_50():
    # [MA] records -1 for a uniform draw and pools the last 50 rewards of the kept Gaussians.
    means = np.array([[0.2, 0.2], [0.8, 0.8], [0.5, 0.9]])
    covs = np.stack([np.eye(2) * 0.01] * 3)
    far = np.array([[0.95, 0.05]])  # as near the first two Gaussians, far more likely a uniform draw
    assert task_origins(means, covs, [0.3, 0.4, 0.1], far, random_task_ratio=0.2).tolist() == [-1]
    assert task_origins(means, covs, [0.3, 0.4, 0.1], far).tolist() == [1]  # no uniform share: picked more
    tasks = np.vstack([np.repeat(means, [60, 30, 20], axis=0), np.repeat(far, 10, axis=0)])
    rewards = np.r_[np.zeros(60), np.ones(30), np.full(20, 0.5), np.zeros(10)]
    mean, count = component_rewards(means, covs, [0.3, 0.4, 0.1], tasks, rewards, random_task_ratio=0.2)
    assert count.tolist() == [50, 30, 20] and mean.tolist() == [0.0, 1.0, 0.5]  # the far ones are no one's
    gmm = {"means": means, "covariances": covs, "weights": np.full(3, 1 / 3), "lp": np.array([0.3, 0.4, 0.1])}
    entry = classroom_student("s", [0], np.zeros((1, 3)), np.ones(3), [(0, gmm)], tasks, rewards, None, 0.2, 1.0)
    assert entry.snapshots[0]["origins"].tolist() == [0] * 60 + [1] * 30 + [2] * 20 + [-1] * 10
    room = Classroom.from_dict(Classroom(UNIT.low, UNIT.high, np.zeros((3, 2)), [entry]).to_dict())
    # kept: the first two; their last 50 pooled: 20 zeros then 30 ones (not 30 / 80, per Gaussian)
    assert room.progress_niches(0)[0].reference_reward == pytest.approx(0.6)
    data = room.to_dict()
    data["students"][0]["snapshots"][0]["origins"][0] = 3
    with pytest.raises(ValueError, match="'origins' must be one component index in -1..2"):
        Classroom.from_dict(data)
    del data["students"][0]["snapshots"][0]["origins"]
    with pytest.raises(ValueError, match="'origins' and 'rewards' go together"):
        Classroom.from_dict(data)


def _replaying(replay, **kw):
    t = AGAINTeacher(UNIT, seed=0, classroom=_room(**kw.pop("room", {})), replay=replay, k=1, **kw)
    t.set_pretest_results(np.full(3, 1.0))  # expert s1
    return t


def _niche_task(t):
    return t._niches[t._in_index].means[0]


def test_t_replay_advances_with_the_episode_index_whatever_the_rewards():
    t = _replaying("T")
    assert t._in_index == 0
    for i in range(1, 2 * T_PERIOD + 10):
        t.update(_niche_task(t), 0.0)
        assert t._in_index == min(i // T_PERIOD, 3)


def test_r_replay_advances_when_in_rewards_reach_the_reference():
    t = _replaying("R", r_list_len=10)
    for _ in range(50):  # below the reference reward (0.3): stays
        t.update(_niche_task(t), 0.1)
    assert t._in_index == 0
    for _ in range(2):
        t.update(_niche_task(t), 0.9)
    assert t._in_index == 0  # the last 10 IN rewards average 0.26 < 0.3
    t.update(_niche_task(t), 0.9)
    assert t._in_index == 1  # 0.34 >= 0.3: next mixture (reference 0.4), list emptied
    for _ in range(9):
        t.update(_niche_task(t), 1.0)
    assert t._in_index == 1  # the list is not full yet
    t.update(_niche_task(t), 1.0)
    assert t._in_index == 2
    for _ in range(10):  # uniform-looking tasks far from the niche do not count
        t.update(np.array([0.99, 0.01]), 1.0)
    assert t._in_index == 2


def test_r_replay_counts_a_task_by_the_gaussian_that_drew_it_even_after_a_change():
    # Two envs: a task drawn from IN mixture 0 comes back after R moved to mixture 1. [MA]
    # records its origin ("egt"): it is an IN reward, though far from mixture 1's niche.
    t = _replaying("R", r_list_len=1)
    assert t.random_task_ratio == 0.02  # [MA] again.py's default and README's -rnd 2
    first = t.sample()
    assert np.abs(first - t._niches[0].means[0]).max() < 0.15  # drawn from the niche (seed 0)
    t.update(_niche_task(t), 0.9)
    assert t._in_index == 1
    t.update(first, 0.9)  # 0.9 >= mixture 1's reference (0.4)
    assert t._in_index == 2
    t.update(np.array([0.1, 0.1]), 1.0)  # the same place, never sampled: inferred, not IN now
    assert t._in_index == 2


def test_hand_over_fades_stale_niches():
    t = _replaying("R", r_list_len=1, fit_rate=50, potential_ks=(2, 3), in_end_random_ratio=0.3)
    while not t.internals()["again"]["handed_over"]:
        t.update(_niche_task(t), 1.0)
    assert t._in_index == 3 and t._uniform_ratio == 0.3
    before = t._handover_lp.copy()
    assert before[0] == 0.5
    for _ in range(3 * 50):  # the same score again and again: no learning progress on the niche
        t.update(_niche_task(t), 1.0)
    assert t._handover_added > 0 and t._handover_lp[0] == 0.0
    assert any(len(a) == min(HANDOVER_WINDOW, 100) or len(a) > 0 for a in t._handover_alps)
    # IN alone never hands over
    t = _replaying("R", r_list_len=1, use_alp_gmm=False)
    for _ in range(20):
        t.update(_niche_task(t), 1.0)
    assert t._in_index == 3 and not t.internals()["again"]["handed_over"]


def test_p_replay_pools_every_niche():
    t = _replaying("P")
    gmm = t.internals()["gmm"]
    assert len(gmm["means"]) == 4  # one kept Gaussian per snapshot; ALP-GMM not fitted yet
    assert all(t.task_space.contains(t.sample()) for _ in range(50))


def test_classroom_on_another_space_and_bad_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="task space"):
        AGAINTeacher(BOX, classroom=_room())
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="bad.json.*not JSON"):
        AGAINTeacher(UNIT, classroom=str(bad))
    data = _room()
    data["version"] = 99
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="bad.json.*version 99"):
        Classroom.load(bad)
    data = _room()
    data["students"][1]["final_test"] = [1.0]
    with pytest.raises(ValueError, match="student 's1'.*3 pre-test tasks"):
        Classroom.from_dict(data)
    with pytest.raises(ValueError, match="cannot be read"):
        Classroom.load(tmp_path / "missing.json")


def test_state_restores_mid_hand_over():
    t = _replaying("R", r_list_len=1, fit_rate=50, potential_ks=(2, 3))
    rng = np.random.default_rng(0)
    for _ in range(130):
        t.update(t.sample(), float(rng.random()))
    assert t.internals()["again"]["handed_over"]
    u = AGAINTeacher.from_state_dict(UNIT, t.state_dict())
    for _ in range(200):
        a, b = t.sample(), u.sample()
        assert np.array_equal(a, b)
        s = float(rng.random())
        t.update(a, s)
        u.update(b, s)
    assert t.internals() == u.internals()


def test_toy_student_learns_from_its_start_cube_outwards():
    s = ClassroomToyStudent(start_cube=5, n_cubes=4)  # cube (1, 1) of a 4 x 4 grid
    centre = lambda i, j: np.array([(i + 0.5) / 4, (j + 0.5) / 4])  # noqa: E731
    assert s.episode(centre(0, 0)) == (0.0, False)  # locked
    for _ in range(75):
        s.episode(centre(1, 1))
    assert s.competence[1, 1] == 75 and s.mastered_pct() == 0.0
    assert s.episode(centre(1, 2))[0] == 0.01  # a 4-neighbour of a cube at 75 learns
    assert s.episode(centre(2, 2))[0] == 0.0  # a diagonal one does not
    for _ in range(30):
        s.episode(centre(1, 1))
    assert s.competence[1, 1] == 100 and s.mastered_pct() == 100 / 16
    assert s.test_scores()[4 * 1 + 1] == 1.0 and len(s.test_scores()) == 16
    r = ClassroomToyStudent(start_cube=0, rotation=1, n_cubes=4)
    r.episode(centre(0, 3))  # a quarter turn maps the corner (0, 3) to (0, 0)
    assert r.competence[0, 0] == 1
    with pytest.raises(ValueError, match="start_cube"):
        ClassroomToyStudent(start_cube=16, n_cubes=4)


def test_simulated_benchmark_end_to_end_small():
    from benchmarks.again import run_again_benchmark, table_markdown

    r = run_again_benchmark(n_classroom=3, n_new=2, episodes=3000, pretest_episodes=1000, eval_every=1000,
                            start_cubes=[0, 399], seed=0)  # fmt: skip
    assert r["episodes"] == [0, 1000, 2000, 3000]
    assert sorted(t["start_cube"] for t in r["classroom"]["types"]) in ([0, 0, 399], [0, 399, 399])  # balanced
    assert set(r["curves"]) == {"again", "alp-gmm", "random"} and all(len(v) == 2 for v in r["curves"].values())
    ids = [f"toy-{i}-cube{t['start_cube']}" for i, t in enumerate(r["classroom"]["types"])]
    assert all(e is None or e in ids for e in r["experts"])
    assert "AGAIN / alp-gmm" in table_markdown(r)


def test_simulated_benchmark_ground_truth_gives_each_new_student_an_expert_of_its_type(monkeypatch):
    import benchmarks.again as bench

    made = []
    real_make = bench.make_teacher
    monkeypatch.setattr(bench, "make_teacher", lambda name, *a, **kw: made.append((name, kw)) or real_make(name, *a, **kw))
    r = bench.run_again_benchmark(n_classroom=4, n_new=3, episodes=2000, pretest_episodes=1000, eval_every=1000,
                                  start_cubes=[0, 399], seed=1, again_params={"expert_selection": "ground_truth"})  # fmt: skip
    # each AGAIN teacher was given its own new student's type, and never ran a pre-test
    assert [kw["student_params"] for name, kw in made if name == "again"] == r["new_types"]
    assert all(p["pretest_episode"] == -1 for p in r["again_phases"])
    assert len(r["experts"]) == 3
    assert all(e.endswith(f"cube{t['start_cube']}") for e, t in zip(r["experts"], r["new_types"], strict=True))
    assert [p["expert"] for p in r["again_phases"]] == r["experts"] and all(p["gave_up_at"] == -1 for p in r["again_phases"])


def test_simulated_benchmark_alp_params_reach_the_classroom_and_the_baseline(monkeypatch):
    import benchmarks.again as bench

    made = []
    real_make = bench.make_teacher
    monkeypatch.setattr(bench, "make_teacher", lambda name, *a, **kw: made.append((name, kw)) or real_make(name, *a, **kw))
    r = bench.run_again_benchmark(n_classroom=2, n_new=1, episodes=1000, pretest_episodes=500, eval_every=500,
                                  start_cubes=[0], seed=0, alp_params={"random_task_ratio": 0.1})  # fmt: skip
    alp = [kw for name, kw in made if name == "alp-gmm"]
    assert len(alp) == 3 and all(kw.get("random_task_ratio") == 0.1 for kw in alp)  # 2 classroom + 1 baseline
    assert all("random_task_ratio" not in kw for name, kw in made if name != "alp-gmm")  # AGAIN keeps its own
    assert r["config"]["alp_params"] == {"random_task_ratio": 0.1}


def test_point_gate_drift_is_a_veering_body():
    import gymnasium as gym

    import envs  # noqa: F401 (registers the envs)

    xs = {}
    for drift in (-0.02, 0.0, 0.02):
        env = gym.make("teachrl/PointGate-v0", drift=drift)
        obs, _ = env.reset(seed=0)
        for _ in range(10):
            obs, *_ = env.step(np.zeros(2, dtype=np.float32))
        xs[drift] = float(obs[0])
    assert xs[0.02] - xs[0.0] == pytest.approx(0.2, abs=1e-5) and xs[-0.02] - xs[0.0] == pytest.approx(-0.2, abs=1e-5)
    with pytest.raises(ValueError, match="drift"):
        gym.make("teachrl/PointGate-v0", drift=0.5)


def test_benchmark_welch_p_is_the_reports_test():
    from scipy import stats

    from benchmarks.again import welch_p

    a, b = np.array([30.0, 28.0, 33.0, 25.0]), np.array([24.0, 23.0, 25.5, 24.5])
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert np.isnan(welch_p(a[:1], b))  # one seed
    assert np.isnan(welch_p(np.full(3, 2.0), np.full(3, 1.0)))  # no variance


def _room_with_params(params):
    room = Classroom.from_dict(_room(finals=(1.0, 3.0, 2.0)))
    for student, p in zip(room.students, params, strict=True):
        student.params = p
    return room


def test_ground_truth_neighbours_match_non_floats_and_are_nearest_on_floats():
    room = _room_with_params([
        {"env_kwargs": {"body": "walker", "drift": 0.02}, "nn": [64, 64]},
        {"env_kwargs": {"body": "climber", "drift": 0.015}, "nn": [64, 64]},
        {"env_kwargs": {"body": "walker", "drift": -0.01}, "nn": [64, 64]},
    ])
    walker = {"env_kwargs": {"body": "walker", "drift": 0.012}}
    assert room.nearest_by_params(walker, k=5).tolist() == [0, 2]  # never the climber, nearest drift first
    assert room.nearest_by_params(walker, k=1).tolist() == [0]
    assert room.select_expert_by_params(walker, k=5) == 2  # the better final (2.0 > 1.0) of the two walkers
    assert room.nearest_by_params({"nn": (64, 64)}, k=5).tolist() == [0, 1, 2]  # lists compare as tuples
    assert room.nearest_by_params({"nn": [64, 64], "env_kwargs": {"body": "climber"}}, k=5).tolist() == [1]
    with pytest.raises(ValueError, match="'body': 'swimmer'"):
        room.nearest_by_params({"env_kwargs": {"body": "swimmer"}}, k=5)
    with pytest.raises(ValueError, match="seed"):
        room.nearest_by_params({"seed": 3}, k=5)  # a key no student has


def test_ground_truth_expert_is_chosen_without_pretest_and_restores():
    room = _room_with_params([{"start_cube": 7}, {"start_cube": 8}, {"start_cube": 7}]).to_dict()
    t = AGAINTeacher(UNIT, seed=0, classroom=room, expert_selection="ground_truth",
                     student_params={"start_cube": 7}, pretest_episodes=20, fit_rate=50)  # fmt: skip
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert not t.pretest_due() and t.internals()["again"]["expert"] is None
        t.update(t.sample(), float(rng.random()))
    t.sample()
    assert t.internals()["again"]["expert"] == "s2"  # same cube as s0, better final (2.0 > 1.0); never s1
    clone = AGAINTeacher.from_state_dict(UNIT, t.state_dict())
    assert clone.internals()["again"] == t.internals()["again"]
    assert np.array_equal([clone.sample() for _ in range(5)], [t.sample() for _ in range(5)])


def test_ground_truth_needs_params_a_student_has():
    room = _room_with_params([{"start_cube": 7}, {"start_cube": 8}, {"start_cube": 7}]).to_dict()
    with pytest.raises(ValueError, match="needs student_params"):
        AGAINTeacher(UNIT, classroom=room, expert_selection="ground_truth")
    with pytest.raises(ValueError, match="AGAINTeacher: no classroom student matches .*'start_cube': 9"):
        AGAINTeacher(UNIT, classroom=room, expert_selection="ground_truth", student_params={"start_cube": 9})
    with pytest.raises(ValueError, match="student_params"):
        AGAINTeacher(UNIT, classroom=room, expert_selection="ground_truth", student_params=[7])


def _result(again, alp):
    return {"curves": {"again": [[0.0, x] for x in again], "alp-gmm": [[0.0, x] for x in alp]}}


def test_pooled_ratio_is_dersimonian_laird_on_log_ratios():
    from benchmarks.again import pooled_ratio

    one = _result([12.0, 14.0, 13.0], [10.0, 11.0, 9.0])
    a, b = np.array([12.0, 14.0, 13.0]), np.array([10.0, 11.0, 9.0])
    var = a.var(ddof=1) / (3 * a.mean() ** 2) + b.var(ddof=1) / (3 * b.mean() ** 2)
    single = pooled_ratio({"x": one})
    assert single["ratio"] == pytest.approx(1.3) and single["tau2"] == 0.0
    assert single["ci95"] == pytest.approx([1.3 * np.exp(-1.959964 * np.sqrt(var)), 1.3 * np.exp(1.959964 * np.sqrt(var))])
    assert single["p_at_least_target"] == pytest.approx(0.5)  # the estimate is the target itself
    twice = pooled_ratio({"x": one, "y": one}, target=1.0)
    assert twice["ratio"] == pytest.approx(1.3) and twice["q"] == pytest.approx(0.0) and twice["tau2"] == 0.0
    assert np.log(twice["ci95"][1] / twice["ratio"]) == pytest.approx(np.log(single["ci95"][1] / 1.3) / np.sqrt(2))
    assert twice["p_at_least_target"] > 0.999  # far above 1.0
    # two runs far apart beyond their noise: between-run variance, a wider interval than fixed effects
    apart = pooled_ratio({"lo": _result([10.0, 10.5, 9.5], [10.0, 10.5, 9.5]), "hi": _result([20.0, 20.5, 19.5], [10.0, 10.5, 9.5])})
    assert apart["tau2"] > 0 and 1.0 < apart["ratio"] < 2.0
    se_fixed = np.sqrt(1.0 / sum(1.0 / r["se_log"] ** 2 for r in apart["runs"]))
    assert np.log(apart["ci95"][1] / apart["ratio"]) > 3 * 1.959964 * se_fixed
    with pytest.raises(ValueError, match="'z'"):
        pooled_ratio({"z": _result([1.0], [1.0])})


def test_r_patience_gives_up_a_replay_that_never_reaches_the_reference():
    t = _replaying("R", r_list_len=10, r_patience=30)
    assert t.internals()["again"]["gave_up_at"] == -1
    for _ in range(10):  # reaches the reference (0.3) on the 10th: next mixture, the patience restarts
        t.update(_niche_task(t), 0.1 if t.n_updates < 5 else 0.9)
    assert t._in_index == 1 and t._entered_at == 10
    for _ in range(29):  # stuck below the reference: 29 episodes on mixture 1 (it counts from 10)
        t.update(_niche_task(t), 0.0)
    assert t._in_index == 1 and not t.internals()["again"]["handed_over"] and t.n_updates == 39
    t.update(_niche_task(t), 0.0)  # 30 episodes on mixture 1 at most: give up, start the hand-over
    again = t.internals()["again"]
    assert t._in_index == t._last == 3 and again["handed_over"] and again["gave_up_at"] == 40
    u = AGAINTeacher.from_state_dict(UNIT, t.state_dict())
    assert u.internals()["again"] == again and u._entered_at == 40
    for bad in ({"replay": "T"}, {"replay": "P"}, {"use_alp_gmm": False}):
        with pytest.raises(ValueError, match="r_patience=50 applies to R-replay with ALP-GMM only"):
            AGAINTeacher(UNIT, classroom=_room(), r_patience=50, **bad)
    # [MA] by default: never gives up
    t = _replaying("R", r_list_len=10)
    for _ in range(500):
        t.update(_niche_task(t), 0.0)
    assert t._in_index == 0 and t.internals()["again"]["gave_up_at"] == -1
