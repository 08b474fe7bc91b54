"""Simulated bandit students and the benchmark runner."""

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from benchmarks.simulated import bandit_table_markdown, benchmark_bandit_teachers
from students.simulated import BanditStudent, BoxBanditStudent, run_bandit_episodes
from teachers.arms import ArmSpace


def test_arm_kinds_and_initial_mastery():
    st = BanditStudent(seed=0, n_learnable=3, n_unlearnable=2, n_mastered=5)
    assert st.task_space == spaces.Discrete(10)
    assert sorted(st.kinds.tolist()) == ["learnable"] * 3 + ["mastered"] * 5 + ["unlearnable"] * 2
    assert st.mastered_pct() == pytest.approx(50.0)
    assert st.frontier().tolist() == st.learnable().tolist()
    c = st.competence()
    assert np.all(c[st.kinds == "unlearnable"] == 0.0)
    assert np.all((c[st.learnable()] >= 0.05) & (c[st.learnable()] <= 0.5))


def test_unlearnable_never_succeeds_and_learnable_improves():
    st = BanditStudent(seed=1, n_learnable=1, n_unlearnable=1, n_mastered=0, learning_rate=(0.05, 0.05))
    hard = int(np.flatnonzero(st.kinds == "unlearnable")[0])
    easy = 1 - hard
    assert not any(st.episode(np.int64(hard))[1] for _ in range(200))
    before = st.competence()[easy]
    for _ in range(200):
        st.episode(np.int64(easy))
    after = st.competence()[easy]
    # 200 episodes at 0.05 per episode in logit space.
    assert np.log(after / (1 - after)) - np.log(before / (1 - before)) == pytest.approx(10.0)
    assert st.mastered()[easy] and st.mastered_pct() == 50.0


def test_score_is_an_advantage_magnitude_proxy():
    """With an exact critic and no normalization, E[score] = 2c(1-c) · reward_scale."""
    st = BanditStudent(seed=2, n_learnable=1, n_unlearnable=0, n_mastered=0,
                       learning_rate=(1e-12, 1e-12), value_noise=0.0, reward_scale=3.0, advantage_norm="none")
    c = float(st.competence()[0])
    scores = [st.episode(np.int64(0))[0] for _ in range(20000)]
    assert np.mean(scores) == pytest.approx(3.0 * 2 * c * (1 - c), rel=0.03)


def test_batch_normalized_score_divides_by_recent_advantage_std():
    """``advantage_norm="batch"``: |A| / std of the last ``batch_size`` signed advantages."""
    kwargs = dict(seed=3, n_learnable=4, n_unlearnable=2, n_mastered=2, batch_size=8)
    norm, raw = BanditStudent(reward_scale=3.0, **kwargs), BanditStudent(advantage_norm="none", **kwargs)
    twin = BanditStudent(**kwargs)  # same draws: its advantages are the ones behind the scores
    arms = [np.int64(i % 8) for i in range(60)]
    advs = [twin.advantage(a)[0] for a in arms]
    scores = [norm.episode(a)[0] for a in arms]
    raw_scores = [raw.episode(a)[0] for a in arms]
    assert raw_scores == pytest.approx(np.abs(advs))
    assert scores[0] == pytest.approx(3.0 * abs(advs[0]))  # one value: no std yet
    for t in range(1, 60):
        window = advs[max(0, t - 7) : t + 1]  # twin has reward_scale 1: same std ratio
        assert scores[t] == pytest.approx(abs(advs[t]) / np.std(window))
    # unit-free: a student with reward_scale 1 emits the same scores after the first episode
    unit = BanditStudent(**kwargs)
    assert [unit.episode(a)[0] for a in arms][1:] == pytest.approx(scores[1:])


def test_student_is_seeded():
    a, b = BanditStudent(seed=4), BanditStudent(seed=4)
    assert [a.episode(np.int64(i % 24)) for i in range(50)] == [b.episode(np.int64(i % 24)) for i in range(50)]
    assert not np.array_equal(BanditStudent(seed=5).kinds, a.kinds)


def test_bad_student_params():
    with pytest.raises(ValueError, match="n_learnable"):
        BanditStudent(n_learnable=-1)
    with pytest.raises(ValueError, match="advantage_norm .*'rank'"):
        BanditStudent(advantage_norm="rank")
    with pytest.raises(ValueError, match="batch_size"):
        BanditStudent(batch_size=1)
    with pytest.raises(ValueError, match="initial_competence"):
        BanditStudent(initial_competence=(0.5, 0.2))
    with pytest.raises(ValueError, match="outside"):
        BanditStudent(seed=0).episode(np.int64(99))


def test_box_student_cells_match_teacher_bins():
    st = BoxBanditStudent(seed=0, grid=3, dim=2)
    assert st.n_arms == 9 and isinstance(st.task_space, spaces.Box)
    cells = ArmSpace(st.task_space, bins=3)
    rng = np.random.default_rng(0)
    for _ in range(100):
        x = rng.random(2)
        assert st.arm_of(x) == cells.arm_of(x)
    with pytest.raises(ValueError, match="outside"):
        st.arm_of(np.array([1.5, 0.0]))


def test_run_bandit_episodes_ucb_beats_uniform():
    res = {}
    for name in ("random", "ucb"):
        st = BanditStudent(seed=0)
        res[name] = run_bandit_episodes(teachers.make(name, st.task_space, seed=0), st, 3000, warmup=300)
    assert sum(res["ucb"]["arm_counts"]) == 3000
    assert 0.0 <= res["random"]["frontier_fraction"] < res["ucb"]["frontier_fraction"] <= 1.0
    with pytest.raises(ValueError, match="signal"):
        run_bandit_episodes(teachers.make("ucb", spaces.Discrete(24)), BanditStudent(seed=0), 10, signal="x")


def test_benchmark_rows_and_table():
    rows = benchmark_bandit_teachers(["random", "sec"], seeds=[0, 1], n_episodes=400, warmup=100,
                                     student="bandit-box", student_params={"grid": 2})
    assert [r["teacher"] for r in rows] == ["random", "sec"]
    assert rows[1]["params"] == {"bins": 2}
    assert rows[0]["master_ratio_vs_random"] == 1.0
    assert len(rows[1]["per_seed"]) == 2
    table = bandit_table_markdown(rows)
    assert table.count("\n") == 3 and "| sec | bins=2 | advantage |" in table
    with pytest.raises(ValueError, match="nope"):
        benchmark_bandit_teachers(["random"], [0], 10, student="nope")


def test_run_bandit_episodes_curve_and_timing():
    st = BanditStudent(seed=1)
    out = run_bandit_episodes(teachers.make("sec", st.task_space, seed=1), st, 500, warmup=50, eval_every=200)
    assert out["episodes"] == [0, 200, 400, 500] and len(out["mastered_pct"]) == 4
    assert out["mastered_pct"][0] == pytest.approx(100 * 8 / 24)  # the 8 arms mastered from the start
    assert out["mastered_pct"][-1] == out["final_mastered_pct"] and out["teacher_seconds"] > 0


@pytest.mark.slow
def test_readme_bandit_table():
    """The bandit table of docs/results.md (5 seeds, 20k episodes): who reaches the 60 % frontier share."""
    seeds = list(range(5))
    rows = {r["teacher"] + str(r["params"]): r for r in benchmark_bandit_teachers(
        ["random", "ucb", "sec", "plr", "lp"], seeds, 20_000, 500)}
    tuned = {r["teacher"]: r for r in benchmark_bandit_teachers(
        ["random", "ucb", "sec"], seeds, 20_000, 500,
        teacher_params={"ucb": {"temperature": 0.05}, "sec": {"temperature": 0.2}})}
    for r in [*rows.values(), *tuned.values()]:
        assert r["n_mastered"] == 5
        assert r["teacher"] == "random" or r["master_ratio_vs_random"] < 0.6
    assert rows["ucb{}"]["frontier_fraction"] == pytest.approx(0.55, abs=0.01)
    assert rows["sec{}"]["frontier_fraction"] == pytest.approx(0.33, abs=0.01)
    assert tuned["ucb"]["frontier_fraction"] >= 0.6 and tuned["sec"]["frontier_fraction"] >= 0.6
