"""Stump Tracks' default walker is gymnasium's ``BipedalWalker-v3`` (non-hardcore): the same
scripted gait (gymnasium's own ``BipedalWalkerHeuristics``) gives the same observations,
rewards, return and distance.

The two tracks differ on purpose in three ways, none of them physics:

- BipedalWalker's grass is rough after its 20-step start pad (a random walk of the ground
  height, ``np_random.uniform(-1, 1) / SCALE`` per terrain step); Stump Tracks' ground is flat;
- Stump Tracks has stumps even at ``stump_height`` 0: heights are ``max(N(0, 0.1), 0.05)``
  (at least 5 cm, as in the seed papers' env), from the start pad's end on;
- each env draws its random initial push (``uniform(-5, 5)`` N on the hull) from its own RNG
  at a different point of the reset, so the same seed gives different pushes.

With these three removed (BipedalWalker's grass flattened, no stumps, no push) the whole
episode is identical: measured bit for bit (largest observation difference 0, largest reward
difference 1e-16 from the floating-point order of the shaping terms) over the 1,199 steps the
gait takes to reach the track's end, on three seeds. The tolerances below (1e-6 on each float32
observation, 1e-9 on the return and the distance) only leave room for float rounding: any real
difference (a body size, a joint limit, a motor speed, the reward's terms) moves the walker by
far more within a few steps. With the real tracks and only the push removed, the runs are
identical for the first 98 steps: at step 99 the forward lidar rays (5.3 m long) start to
reach the rough ground / first stump ahead, past the start pad at 9.33 m.
"""

from __future__ import annotations

import gymnasium as gym
import gymnasium.envs.box2d.bipedal_walker as bipedal_walker
import numpy as np
import pytest
from gymnasium.envs.box2d.bipedal_walker import BipedalWalker, BipedalWalkerHeuristics

import envs  # noqa: F401  (registers the envs)
import envs.stump_tracks as stump_tracks

TASK = [0.0, 6.0]  # stump height 0, widest spacing


class _FlatGround:
    """A generator whose ``uniform`` draws 0: BipedalWalker's grass then stays flat."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def uniform(self, low: float = 0.0, high: float = 1.0, size=None):
        return 0.0 if size is None else np.zeros(size)

    def __getattr__(self, name: str):
        return getattr(self._rng, name)


def _flat_terrain(original):
    def generate(self, hardcore: bool) -> None:
        rng, self._np_random = self._np_random, _FlatGround(self._np_random)
        try:
            original(self, hardcore)
        finally:
            self._np_random = rng

    return generate


@pytest.fixture
def no_push(monkeypatch):
    monkeypatch.setattr(bipedal_walker, "INITIAL_RANDOM", 0.0)
    monkeypatch.setattr(stump_tracks, "INITIAL_PUSH", 0.0)


@pytest.fixture
def flat_tracks(monkeypatch, no_push):
    monkeypatch.setattr(BipedalWalker, "_generate_terrain", _flat_terrain(BipedalWalker._generate_terrain))
    monkeypatch.setattr(stump_tracks, "generate_stumps", lambda rng, height, spacing: [])


def scripted_episode(env: gym.Env, seed: int, options: dict | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Observations, rewards and final hull x of one episode of gymnasium's heuristic gait."""
    obs, _ = env.reset(seed=seed, options=options)
    gait = BipedalWalkerHeuristics()
    action = np.zeros(4)
    observations, rewards = [obs], []
    while True:
        obs, reward, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        if terminated or truncated:
            break
        action = gait.step_heuristic(obs)
    unwrapped = env.unwrapped
    hull = unwrapped.walker.hull if hasattr(unwrapped, "walker") else unwrapped.hull
    env.close()
    return np.array(observations), np.array(rewards), float(hull.position[0])


@pytest.mark.parametrize("seed", [0, 1])
def test_flat_track_episode_matches_bipedal_walker(flat_tracks, seed):
    ref_obs, ref_rewards, ref_x = scripted_episode(gym.make("BipedalWalker-v3"), seed)
    obs, rewards, x = scripted_episode(gym.make("teachrl/StumpTracks-v0"), seed, {"task": TASK})
    assert ref_x > 60 and ref_rewards.sum() > 100  # the gait really walks most of the track
    assert len(rewards) == len(ref_rewards)
    np.testing.assert_allclose(obs, ref_obs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(rewards, ref_rewards, rtol=0, atol=1e-9)
    assert rewards.sum() == pytest.approx(ref_rewards.sum(), abs=1e-9)
    assert x == pytest.approx(ref_x, abs=1e-9)


def test_start_pad_matches_bipedal_walker_on_the_real_tracks(no_push):
    """Unchanged terrains: identical until the lidar sees past the start pad (step 99)."""
    ref_obs, ref_rewards, _ = scripted_episode(gym.make("BipedalWalker-v3"), 0)
    obs, rewards, _ = scripted_episode(gym.make("teachrl/StumpTracks-v0"), 0, {"task": TASK})
    np.testing.assert_allclose(obs[:99], ref_obs[:99], rtol=0, atol=1e-6)
    np.testing.assert_allclose(rewards[:98], ref_rewards[:98], rtol=0, atol=1e-9)
    assert not np.allclose(obs[99:120], ref_obs[99:120], atol=1e-6)  # the tracks ahead do differ
