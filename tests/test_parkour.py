"""Parkour-v0 and HexagonTracks-v0: the env contract for every body, independence, bad input,
and the pieces (CPPN weights, water forces, creepers, lidar flags, drowning)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from Box2D import b2

import envs
from envs.bodies import body_names
from envs.hexagon_tracks import HexagonTracksEnv, hexagon_polygons
from envs.parkour.cppn import CPPN_LAYERS, WEIGHTS_PATH, TerrainCPPN, load_weights, make_weights
from envs.parkour.env import ParkourEnv
from envs.parkour.terrain import INPUT_HIGH, INPUT_LOW, make_creepers, make_profile, water_height
from envs.parkour.water import WaterForces, clip_below
from envs.test_sets import load_test_set, make_parkour_test_set
from envs.walker.terrain import GROUND_Y

EASY = [-0.15, 0.8, 0.1, 0.0, 0.0, 5.0]
PARKOUR_BODIES = list(body_names())
HEXAGON_BODIES = list(body_names("walker"))


@pytest.mark.parametrize("body", PARKOUR_BODIES)
def test_parkour_passes_the_env_checks_for_every_body(body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # infinite observation bounds
        envs.check_task_env(gym.make("teachrl/Parkour-v0", body=body))


@pytest.mark.parametrize("body", HEXAGON_BODIES)
def test_hexagon_tracks_passes_the_env_checks_for_every_body(body):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        envs.check_task_env(gym.make("teachrl/HexagonTracks-v0", body=body))


def _rollout(env, task, seed, n=60):
    env.set_task(task)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    rng = np.random.default_rng(seed)
    for _ in range(n):
        obs, r, term, trunc, _ = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
        out.append(np.append(obs, r))
        if term or trunc:
            break
    return out


@pytest.mark.parametrize(("cls", "bodies", "task_a", "task_b"), [
    (ParkourEnv, PARKOUR_BODIES, EASY, [0.05, 1.0, 0.3, 1.0, 4.0, 0.0]),
    (HexagonTracksEnv, HEXAGON_BODIES, np.zeros(12), np.full(12, 3.0)),
])
def test_two_instances_do_not_influence_each_other(cls, bodies, task_a, task_b):
    """An env's trajectory is the same alone and with another instance (other task and body)
    stepped, reset and given tasks in between."""
    alone = _rollout(cls(body=bodies[0]), task_a, seed=3)
    a, b = cls(body=bodies[0]), cls(body=bodies[-1])
    b.set_task(task_b)
    b.reset(seed=9)
    for _ in range(20):
        b.step(b.action_space.sample())
    together = _rollout(a, task_a, seed=3)
    b.reset(seed=1)
    assert len(alone) == len(together)
    for x, y in zip(alone, together, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("cls", "what", "example"), [
    (ParkourEnv, "body", "fish"), (HexagonTracksEnv, "walker body", "big_quadru"),
])
def test_unknown_body_is_a_value_error_listing_the_bodies(cls, what, example):
    with pytest.raises(ValueError, match=f"unknown {what} 'snake'; valid: .*{example}"):
        cls(body="snake")


def test_hexagon_tracks_takes_walkers_only():
    with pytest.raises(ValueError, match="unknown walker body 'fish'"):
        HexagonTracksEnv(body="fish")


def test_out_of_bounds_task_is_a_value_error_naming_the_bounds():
    env = ParkourEnv()
    with pytest.raises(ValueError, match=r"'water_level'=1.5 is outside its bounds \[0, 1\]"):
        env.set_task({"water_level": 1.5})
    with pytest.raises(ValueError, match=r"'cppn_2'=0.5 is outside its bounds \[0.6, 1\]"):
        env.set_task([-0.1, 0.5, 0.0, 0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"'poly_3'=4.5 is outside its bounds \[0, 4\]"):
        HexagonTracksEnv().set_task({"poly_3": 4.5})
    np.testing.assert_array_equal(env.task_space.low, [-0.35, 0.6, -0.1, 0, 0, 0])
    np.testing.assert_array_equal(env.task_space.high, [0.05, 1.0, 0.3, 1, 4, 5])


# ------------------------------------------------------------------------------------- pieces
def test_shipped_cppn_weights_are_the_documented_seed():
    shipped = load_weights(WEIGHTS_PATH)
    assert tuple(w.shape for w in shipped) == CPPN_LAYERS
    for w, v in zip(shipped, make_weights(seed=5, std=1.0), strict=True):
        np.testing.assert_allclose(w, v.astype(np.float32))
    with pytest.raises(ValueError, match="CPPN weights must have shapes"):
        TerrainCPPN([np.zeros((3, 3))])


def test_terrain_follows_the_cppn_input_and_starts_flat():
    a, b = make_profile(INPUT_LOW), make_profile(INPUT_HIGH)
    assert a.ground.shape == (220,) and a.startpad == 20
    assert np.all(a.ground[:20] == a.ground[0]) and np.all(a.ceiling >= a.ground)
    assert np.abs(a.ground - b.ground).max() > 0.5  # the input changes the terrain
    assert np.abs(np.diff(a.ground)).max() < 0.5  # walkable steps (no cliffs)


def test_creepers_follow_height_and_spacing():
    profile = make_profile((INPUT_LOW + INPUT_HIGH) / 2)
    rng = np.random.default_rng(0)
    assert make_creepers(profile, rng, 0.0, 1.0) == []
    dense = make_creepers(profile, rng, 2.0, 0.0)
    sparse = make_creepers(profile, rng, 2.0, 4.0)
    assert len(dense) > 4 * len(sparse) > 0
    gaps = np.diff([c.x for c in sparse])
    assert gaps.min() >= 4.0
    assert abs(np.mean([c.height for c in dense]) - 2.0) < 0.05 and min(c.height for c in dense) >= 0.2


def test_water_level_spans_from_far_below_to_the_highest_ceiling():
    profile = make_profile(INPUT_LOW)
    assert water_height(profile, 1.0) == pytest.approx(profile.ceiling.max())
    assert water_height(profile, 0.0) < profile.ground.min() - 50


def test_clip_below_and_buoyancy_float_a_light_box():
    assert clip_below([(0, 0), (1, 0), (1, 1), (0, 1)], 2.0) == [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert clip_below([(0, 0), (1, 0), (1, 1), (0, 1)], -1.0) == []

    def drop(density, water):
        world = b2.world()
        box = world.CreateDynamicBody(position=(0, 0))
        box.CreatePolygonFixture(box=(0.5, 0.5), density=density)
        forces = WaterForces(tuple(world.gravity), [box])
        for _ in range(100):
            if water:
                forces.apply(10.0, 50)
            world.Step(1 / 50, 6, 2)
        return box.position[1], box.linearVelocity[1]

    assert drop(0.5, water=True)[1] > 0  # lighter than water: rises
    y_heavy, v_heavy = drop(2.0, water=True)
    y_dry, v_dry = drop(2.0, water=False)
    assert v_dry < v_heavy < 0  # heavier: sinks, slower than in the air (buoyancy and drag)


def test_lidars_flag_water_and_walkers_drown():
    assert ParkourEnv().survival_steps == 600  # TeachMyAgent's; shortened here to keep the test fast
    env = ParkourEnv(task=[*EASY[:3], 1.0, 0.0, 5.0], survival_steps=10)
    obs, _ = env.reset(seed=0)
    assert obs[4] == 1.0 and obs[5] == 0.0  # head under water, alive
    flags = [env.step(np.zeros(4, np.float32))[0][5] for _ in range(13)]
    assert flags == [0.0] * 11 + [1.0] * 2  # dead once more than 10 steps were under water (TMA: ">")
    before = env.agent.head.position[0]
    obs, reward, *_ = env.step(np.ones(4, np.float32))
    assert obs[5] == 1.0
    # A dead agent's actions are zeroed: no torque cost, only the (tiny) shaping change.
    assert abs(reward - 130 / 30 * (env.agent.head.position[0] - before)) < 0.05
    # Water 0.6 m deep over the start pad: the head is dry, the downward rays see water first.
    profile = make_profile(np.array(EASY[:3]))
    level = (GROUND_Y + 0.6 + 100) / (profile.ceiling.max() + 100)
    wet_feet = ParkourEnv(task=[*EASY[:3], level, 0.0, 5.0])
    obs, _ = wet_feet.reset(seed=0)
    assert obs[4] == 0.0 and np.any(obs[-10:] == -1.0)  # the downward rays see the water first
    assert np.all(obs[-10:] <= 0.0)


def test_parkour_renders_water_and_terrain():
    env = ParkourEnv(task=[*EASY[:3], 0.9, 2.0, 1.0], render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 5


def test_fish_lives_in_water_and_dies_out_of_it():
    wet = ParkourEnv(body="fish", task=[*EASY[:3], 1.0, 0.0, 5.0], survival_steps=10)
    dry = ParkourEnv(body="fish", task=[*EASY[:3], 0.0, 0.0, 5.0], survival_steps=10)
    for env, dies in ((wet, False), (dry, True)):
        obs, _ = env.reset(seed=0)
        assert obs.shape == (38,) and env.action_space.shape == (4,)  # TeachMyAgent's fish sizes
        for _ in range(15):
            obs, _, terminated, _, _ = env.step(np.zeros(4, np.float32))
        assert obs[5] == float(dies) and not terminated


def test_climbers_hang_from_the_ceiling_until_they_let_go():
    env = ParkourEnv(body="climbing_profile_chimpanzee", task=[*EASY[:3], 0.0, 2.0, 1.0])
    obs, _ = env.reset(seed=0)
    n_motors = env.action_space.shape[0] - 2
    hold = np.zeros(env.action_space.shape, np.float32)
    hold[n_motors:] = 1.0
    start = env.agent.head.position[1]
    assert start > env.profile.ground.max() + 5  # hanging high above the ground
    for _ in range(100):
        obs, _, terminated, _, _ = env.step(hold)
    assert not terminated and abs(env.agent.head.position[1] - start) < 0.5
    assert env.agent.attached(0) and env.agent.attached(1)
    assert np.any(obs[-10:] == 1.0)  # creepers hang in front: the up-looking lidars see them
    for _ in range(50):
        env.step(np.zeros(env.action_space.shape, np.float32))  # let go: it falls
    assert not env.agent.attached(0) and env.agent.head.position[1] < start - 2


def test_hexagon_obstacles_follow_the_shape_task():
    rng = np.random.default_rng(0)
    flat = hexagon_polygons(rng, np.zeros(12))
    tall = hexagon_polygons(rng, np.full(12, 3.0))
    assert len(flat) == len(tall) > 10
    height = lambda polys: np.mean([max(p[1] for p in poly) - min(p[1] for p in poly) for poly in polys])  # noqa: E731
    assert height(tall) > height(flat) + 1.0
    env = HexagonTracksEnv(task=np.full(12, 2.0), render_mode="rgb_array")
    env.reset(seed=0)
    assert env.render().shape == (400, 600, 3)


# ------------------------------------------------------------------------------------ test sets
@pytest.mark.parametrize("kind", ["walking", "climbing", "swimming"])
def test_parkour_test_sets_are_shipped_and_follow_their_rules(kind):
    env = ParkourEnv()
    tasks = load_test_set(f"parkour_{kind}", env.task_space)
    assert tasks.shape == (100, 6)
    np.testing.assert_allclose(tasks, make_parkour_test_set(kind, 100, seed=["walking", "climbing", "swimming"].index(kind)))
    water, creepers = tasks[:, 3], tasks[:, 4]
    if kind == "walking":
        assert np.all(water == 0) and np.all(creepers == 0)
    elif kind == "climbing":
        assert water.max() <= 0.8 and creepers.min() > 0
    else:
        assert np.all(water == 1)


def test_eval_set_takes_a_shipped_test_set_and_checks_its_dimension(tmp_path):
    from students.config import RunConfig
    from students.train import run_curriculum

    RunConfig(env="teachrl/Parkour-v0", eval_set="parkour_climbing").check_fields()
    with pytest.raises(ValueError, match="eval_set must be one of .*parkour_walking"):
        RunConfig(eval_set="parkour_flying").check_fields()
    with pytest.raises(ValueError, match="test set 'parkour_walking' .* has 6-D tasks, the env's are 2-D"):
        run_curriculum({"env": "teachrl/PointGate-v0", "eval_set": "parkour_walking", "wandb_mode": "disabled",
                        "device": "cpu", "run_dir": str(tmp_path / "run")}, log=None)
    with pytest.raises(ValueError, match="test set must be one of"):
        load_test_set("nope")


def test_envs_pickle_with_their_body_task_and_settings():
    import pickle

    env = ParkourEnv(body="fish", survival_steps=50)
    env.set_task([-0.2, 0.9, 0.1, 1.0, 1.0, 2.0])
    copy = pickle.loads(pickle.dumps(env))
    assert (copy.body, copy.survival_steps) == ("fish", 50)
    np.testing.assert_array_equal(copy.pending_task, env.pending_task)
    hexagon = pickle.loads(pickle.dumps(HexagonTracksEnv(body="spider", task=np.ones(12))))
    assert isinstance(hexagon, HexagonTracksEnv) and hexagon.body == "spider"
    np.testing.assert_array_equal(hexagon.pending_task, np.ones(12))


def test_wholly_submerged_fast_path_gives_the_clipped_path_forces():
    """A body under water by more than its radius takes the precomputed path; one whose
    polygons are all under water but within its radius of the surface takes the clipping path:
    the forces (velocities after a step) are the same."""

    def step(water_y):
        world = b2.world()
        # Polygons off their bodies' origins: at water_y 0.5 every vertex is under water but
        # each origin is within its body's radius of the surface.
        hull = world.CreateDynamicBody(position=(0, 0), angle=0.1)
        hull.CreatePolygonFixture(vertices=[(0.5, -1.0), (1.5, -1.0), (1.5, -0.6), (0.5, -0.6)], density=1.5)
        arm = world.CreateDynamicBody(position=(0, 0))
        arm.CreatePolygonFixture(vertices=[(-0.1, -0.9), (0.1, -0.9), (0.1, -0.1), (-0.1, -0.1)], density=1.0)
        world.CreateJoint(b2.revoluteJointDef(bodyA=hull, bodyB=arm, anchor=(0, 0), enableMotor=True,
                                               maxMotorTorque=50, motorSpeed=3, enableLimit=True,
                                               lowerAngle=-1, upperAngle=1))
        hull.linearVelocity, hull.angularVelocity = (1.0, -0.5), 0.7
        forces = WaterForces(tuple(world.gravity), [hull, arm])
        world.Step(1 / 50, 6, 2)
        forces.apply(water_y, 50)
        world.Step(1 / 50, 6, 2)
        return [*hull.linearVelocity, hull.angularVelocity, *arm.linearVelocity, arm.angularVelocity]

    np.testing.assert_allclose(step(0.5), step(50.0), rtol=1e-9, atol=1e-12)
    assert not np.allclose(step(-50.0), step(50.0))  # the water does act
