"""Behaviour of the individual envs: PointGate's gate, Stump Tracks' terrain/falls/frames,
and the success rules."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the envs)
from envs.point_gate import GOAL, LEVELS, PointGateEnv
from envs.walker.terrain import STUMP_MIN_HEIGHT, generate_stumps


def gate_controller(obs: np.ndarray) -> np.ndarray:
    """Scripted PointGate policy: line up with the gate below the wall, go up, then to the goal."""
    x, y, to_gate, _ = (float(v) for v in obs)
    if y < -0.06 and abs(to_gate) > 0.02:
        return np.array([np.clip(to_gate / 0.05, -1, 1), 0.0], dtype=np.float32)
    if y < 0.1:
        return np.array([0.0, 1.0], dtype=np.float32)
    d = np.array([GOAL[0] - x, GOAL[1] - y])
    return (d / max(np.linalg.norm(d), 1e-9)).astype(np.float32)


def run_episode(env: gym.Env, task, policy) -> tuple[float, dict, float]:
    """Return (return, last info, highest y reached)."""
    obs, _ = env.reset(seed=0, options={"task": task})
    total, top = 0.0, -np.inf
    while True:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        total += reward
        top = max(top, float(obs[1]))
        if terminated or truncated:
            return total, info, top


@pytest.mark.parametrize("level", range(len(LEVELS) - 1))
def test_point_gate_feasible_levels_are_solved_by_a_scripted_policy(level):
    env = gym.make("teachrl/PointGate-v0")
    ret, info, _ = run_episode(env, PointGateEnv.level_task(level), gate_controller)
    assert info["success"] and ret > 10.0


def test_point_gate_closed_and_far_gates_are_unfeasible():
    env = gym.make("teachrl/PointGate-v0")
    _, info, top = run_episode(env, PointGateEnv.level_task(len(LEVELS) - 1), gate_controller)
    assert not info["success"] and top < 0.0  # a gate narrower than the agent is closed
    far = gym.make("teachrl/PointGate-Unfeasible-v0")
    _, info, _ = run_episode(far, [5.0, 1.5], gate_controller)
    assert not info["success"]  # out of reach within 100 steps


def test_point_gate_wall_blocks_the_straight_path_unless_the_gate_is_there():
    env = gym.make("teachrl/PointGate-v0")
    def up(obs):
        return np.array([0.0, 1.0], dtype=np.float32)

    _, info, top = run_episode(env, [1.5, 0.4], up)
    assert not info["success"] and top < 0.0
    _, info, _ = run_episode(env, [0.0, 1.0], up)
    assert info["success"]


def test_point_gate_variants_extend_the_default_space():
    default = PointGateEnv().task_space
    for variant in ("unfeasible", "trivial"):
        space = PointGateEnv(variant=variant).task_space
        assert np.all(space.low <= default.low) and np.all(space.high >= default.high)
        assert np.prod(space.high - space.low) >= 2.5 * np.prod(default.high - default.low)
    with pytest.raises(ValueError, match="variant"):
        PointGateEnv(variant="hard")


def test_point_gate_physics_change_only_at_reset():
    env = gym.make("teachrl/PointGate-v0")
    env.reset(seed=0, options={"task": [0.0, 1.0]})
    env.unwrapped.set_task([1.0, 0.3])
    obs, *_ = env.step(np.zeros(2, dtype=np.float32))
    assert obs[3] == pytest.approx(1.0)  # the observed gate width is still the old one
    obs, _ = env.reset()
    assert obs[3] == pytest.approx(0.3)


def test_classic_physics_change_only_at_reset():
    env = gym.make("teachrl/CartPole-v0")
    env.reset(seed=0)
    env.unwrapped.set_task({"pole_length": 3.0, "gravity": 4.0})
    assert (env.unwrapped.length, env.unwrapped.gravity) == (0.5, 9.8)
    env.reset()
    assert (env.unwrapped.length, env.unwrapped.gravity) == (1.5, 4.0)


def test_stump_heights_follow_the_task():
    rng = np.random.default_rng(0)
    stumps = generate_stumps(rng, mean_height=1.5, spacing=2.0)
    heights = np.array([s.height for s in stumps])
    assert abs(heights.mean() - 1.5) < 0.06 and 0.05 < heights.std() < 0.15
    gaps = np.diff([s.x for s in stumps]) - np.array([s.width for s in stumps[:-1]])
    np.testing.assert_allclose(gaps, 2.0)
    flat = generate_stumps(rng, mean_height=0.0, spacing=0.0)
    assert min(s.height for s in flat) == STUMP_MIN_HEIGHT
    assert len(flat) > 2 * len(stumps)  # no spacing, more stumps


# A fallen walker's observations leave the declared bounds, as BipedalWalker-v3's do (known).
@pytest.mark.filterwarnings("ignore:.*obs returned by the `step\\(\\)` method is not within the observation space")
@pytest.mark.parametrize("body", ["default", "short", "quadruped"])
def test_stump_tracks_fall_costs_100_and_ends_the_episode(body):
    env = gym.make("teachrl/StumpTracks-v0", body=body)
    env.reset(seed=0)
    env.unwrapped.walker.hull.ApplyAngularImpulse(300.0, True)  # tip it over
    for _ in range(300):
        _, reward, terminated, truncated, info = env.step(np.zeros(env.action_space.shape))
        if terminated:
            break
    assert terminated and reward == -100.0 and not info["success"]


def test_stump_tracks_observation_sizes_and_walker_stands_on_its_feet():
    for body, dim in (("default", 24), ("short", 24), ("quadruped", 34)):
        env = gym.make("teachrl/StumpTracks-v0", body=body)
        assert env.observation_space.shape == (dim,)
        assert env.action_space.shape == ((dim - 14) // 5 * 2,)
    env = gym.make("teachrl/StumpTracks-v0", body="quadruped")
    env.reset(seed=0)
    for _ in range(30):
        obs, *_ = env.step(np.zeros(8))
    assert obs[[8, 13, 18, 23]].tolist() == [1.0] * 4  # every foot on the ground


@pytest.mark.parametrize("body", ["default", "short", "quadruped"])
def test_stump_tracks_renders_rgb_frames(body):
    env = gym.make("teachrl/StumpTracks-v0", body=body, render_mode="rgb_array")
    env.reset(seed=0, options={"task": [1.0, 1.0]})
    env.step(env.action_space.sample())
    frame = env.render()
    assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 4  # sky, ground, stumps, walker
    env.close()


def test_success_rules():
    cart = gym.make("teachrl/CartPole-v0")
    obs, _ = cart.reset(seed=0)
    steps = 0
    while True:  # a balancing heuristic keeps the pole up
        obs, _, terminated, truncated, info = cart.step(int(obs[2] + 0.5 * obs[3] > 0))
        steps += 1
        assert info["success"] == (steps >= 195)
        if terminated or truncated:
            break
    car = gym.make("teachrl/MountainCarContinuous-v0", task=[0.003, 0.3])
    obs, _ = car.reset(seed=0)
    while True:  # pump energy: push along the velocity
        obs, _, terminated, truncated, info = car.step(np.array([1.0 if obs[1] >= 0 else -1.0], np.float32))
        if terminated or truncated:
            break
    assert terminated and info["success"]
    weak = gym.make("teachrl/MountainCarContinuous-v0", task=[0.0001, 0.55])
    obs, _ = weak.reset(seed=0)
    for _ in range(999):
        obs, _, terminated, truncated, info = weak.step(np.array([1.0 if obs[1] >= 0 else -1.0], np.float32))
        if terminated or truncated:
            break
    assert not info["success"]


def test_benchmark_reports_positive_rates_for_every_case():
    from envs.benchmark import benchmark, to_markdown

    cases = [("pg", "teachrl/PointGate-v0", {}, True), ("pg-made", "teachrl/PointGate-v0", {}, False)]
    results = benchmark(cases, n_steps=300, rounds=2)
    assert set(results) == {"pg", "pg-made"}
    assert all(r["steps_per_s"] > 0 and len(r["samples"]) == 2 for r in results.values())
    table = to_markdown(results, {"pg / pg-made": 1.0}, "# t")
    assert "| pg |" in table and "| pg / pg-made | 1.00 |" in table


def test_gymnasium_scripted_walker_succeeds_on_an_easy_track_only():
    """Mechanics check against BipedalWalker: its scripted gait also walks our default body."""
    from gymnasium.envs.box2d.bipedal_walker import BipedalWalkerHeuristics

    env = gym.make("teachrl/StumpTracks-v0")
    results = {}
    for name, task in (("easy", [0.0, 6.0]), ("hard", [2.5, 0.5])):
        walker = BipedalWalkerHeuristics()
        obs, _ = env.reset(seed=0, options={"task": task})
        total = 0.0
        while True:
            obs, reward, terminated, truncated, info = env.step(walker.step_heuristic(obs))
            total += reward
            if terminated or truncated:
                break
        results[name] = (total, info["success"])
    assert results["easy"][0] > 230 and results["easy"][1]
    assert results["hard"][0] < 230 and not results["hard"][1]


def test_pendulum_success_means_upright_for_the_last_20_steps():
    env = gym.make("teachrl/Pendulum-v0")
    for start, expected in (([0.0, 0.0], True), ([np.pi, 0.0], False)):
        env.reset(seed=0)
        env.unwrapped.state = np.array(start)
        for step in range(25):
            *_, info = env.step(np.zeros(1, dtype=np.float32))
            if expected:
                assert info["success"] == (step + 1 >= 20)
        assert info["success"] == expected


@pytest.mark.parametrize(
    "env_id", ["teachrl/LunarLander-v0", "teachrl/StumpTracks-v0", "teachrl/CartPole-v0", "teachrl/PointGate-v0"]
)
def test_envs_pickle_with_their_task(env_id):
    import pickle

    env = gym.make(env_id).unwrapped
    task = env.task_space.low + 0.5 * (env.task_space.high - env.task_space.low)
    env.set_task(task)
    env.reset(seed=0)
    clone = pickle.loads(pickle.dumps(env))
    assert type(clone) is type(env)
    _, info = clone.reset(seed=0)
    np.testing.assert_array_equal(info["task"], task)


def test_point_gate_variants_are_mostly_unfeasible_and_mostly_trivial():
    """Share of random tasks the scripted policy solves / going straight up solves."""

    def solved_share(env_id: str, policy, n: int = 120) -> float:
        env = gym.make(env_id)
        space = env.unwrapped.task_space
        rng = np.random.default_rng(0)
        tasks = rng.uniform(space.low, space.high, size=(n, 2))
        return np.mean([run_episode(env, t, policy)[1]["success"] for t in tasks])

    def up(obs):
        return np.array([0.0, 1.0], dtype=np.float32)

    assert solved_share("teachrl/PointGate-Unfeasible-v0", gate_controller) < 0.45
    assert solved_share("teachrl/PointGate-Trivial-v0", up) > 0.65
    assert solved_share("teachrl/PointGate-v0", gate_controller) > 0.85
    assert solved_share("teachrl/PointGate-v0", up) < 0.35


@pytest.mark.parametrize(("env_id", "kwargs"), [("teachrl/StumpTracks-v0", {"body": "short"}), ("teachrl/PointGate-v0", {})])
def test_rgb_rendering_passes_gymnasium_render_check(env_id, kwargs):
    import warnings

    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, render_mode="rgb_array", **kwargs).unwrapped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_env(env)
    env.reset(seed=0)
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8 and frame.std() > 0
