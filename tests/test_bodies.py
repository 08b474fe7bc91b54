"""Bodies (envs.bodies): registry, sizes, Stump Tracks with every walker, grasping, sanity."""

from __future__ import annotations

import math
import pickle

import gymnasium as gym
import numpy as np
import pytest
from Box2D import b2
from Box2D.b2 import edgeShape, fixtureDef, polygonShape

import envs
from envs.bodies import ALIASES, BODIES, KINDS, body_names, get_body
from envs.bodies.body import Body, BodyContactListener, FixtureTag

WALKERS = body_names("walker")

# TeachMyAgent's action sizes and Parkour observation sizes (acl_reference.md, appendix 3,
# computed from TeachMyAgent's motor lists); Parkour adds 6 head values and 20 lidar values.
TMA_SIZES = {
    "small_bipedal": (4, 36), "classic_bipedal": (4, 36), "old_classic_bipedal": (4, 36),
    "big_quadru": (8, 46), "spider": (12, 54), "millipede": (16, 66), "wheel": (8, 46),
    "profile_chimpanzee": (14, 62), "climbing_profile_chimpanzee": (12, 54),
    "climbing_chest_profile_chimpanzee": (8, 44), "fish": (4, 38), "amphibious_bipedal": (4, 36),
}
TMA_KINDS = {
    "climbing_profile_chimpanzee": "climber", "climbing_chest_profile_chimpanzee": "climber",
    "fish": "swimmer", "amphibious_bipedal": "amphibian",
}


def test_registry_has_every_teachmyagent_body_with_its_kind():
    assert set(TMA_SIZES) <= set(BODIES)
    for name in TMA_SIZES:
        assert BODIES[name].kind == TMA_KINDS.get(name, "walker")
    assert set(body_names()) == set(BODIES)
    assert {b for k in KINDS for b in body_names(k)} == set(BODIES)
    assert "fish" not in WALKERS and "spider" in WALKERS


def test_aliases_resolve_and_unknown_bodies_list_the_valid_ones():
    assert get_body("default") is BODIES["old_classic_bipedal"]
    assert all(get_body(alias) is BODIES[name] for alias, name in ALIASES.items())
    with pytest.raises(ValueError, match="unknown body 'robot'.*small_bipedal.*fish"):
        get_body("robot")
    with pytest.raises(ValueError, match="unknown walker body 'fish'.*spider"):
        get_body("fish", kind="walker")
    with pytest.raises(ValueError, match="kind must be one of"):
        body_names("flyer")


@pytest.mark.parametrize("name", sorted(TMA_SIZES))
def test_action_and_observation_sizes_match_teachmyagent(name):
    spec = BODIES[name]
    action_dim, parkour_obs = TMA_SIZES[name]
    assert spec.action_dim == action_dim
    assert 6 + spec.state_dim + 20 == parkour_obs
    world = b2.world()
    body = Body(world, spec, 5.0, 5.0)
    assert len(body.proprioception()) == spec.state_dim
    assert len(body.motors) + len(body.sensors) == action_dim


@pytest.mark.parametrize("name", WALKERS)
def test_stump_tracks_accepts_every_walker(name):
    env = gym.make("teachrl/StumpTracks-v0", body=name)
    spec = BODIES[name]
    obs, _ = env.reset(seed=0)
    assert env.action_space.shape == (spec.action_dim,)
    assert obs.shape == env.observation_space.shape == (4 + spec.state_dim + 10,)
    envs.check_task_env(env)
    from gymnasium.utils.env_checker import check_env

    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("name", [n for n in BODIES if BODIES[n].kind != "walker"])
def test_stump_tracks_refuses_non_walkers_naming_the_walkers(name):
    with pytest.raises(ValueError, match=f"unknown walker body '{name}'.*old_classic_bipedal"):
        gym.make("teachrl/StumpTracks-v0", body=name)


def test_default_alias_is_the_old_classic_bipedal():
    a = gym.make("teachrl/StumpTracks-v0", body="default")
    b = gym.make("teachrl/StumpTracks-v0", body="old_classic_bipedal")
    oa, _ = a.reset(seed=3)
    ob, _ = b.reset(seed=3)
    np.testing.assert_array_equal(oa, ob)
    rng = np.random.default_rng(0)
    for _ in range(30):
        action = rng.uniform(-1, 1, 4)
        np.testing.assert_array_equal(a.step(action)[0], b.step(action)[0])


def _rollout(env, seed: int, n: int = 60) -> np.ndarray:
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        obs, reward, terminated, truncated, _ = env.step(rng.uniform(-1, 1, env.action_space.shape))
        out.append(np.append(obs, reward))
        if terminated or truncated:
            env.reset()
    return np.array(out)


def test_instances_with_different_bodies_and_tasks_do_not_influence_each_other():
    alone = _rollout(gym.make("teachrl/StumpTracks-v0", body="spider", task=[1.0, 2.0]), seed=4)
    spider = gym.make("teachrl/StumpTracks-v0", body="spider", task=[1.0, 2.0])
    others = [gym.make("teachrl/StumpTracks-v0", body=b, task=[2.0, 0.5]) for b in ("millipede", "profile_chimpanzee")]
    spider.reset(seed=4)
    for other in others:
        other.reset(seed=9)
    rng = np.random.default_rng(4)
    mixed = []
    for _ in range(60):
        for other in others:  # step the others between the spider's steps
            other.step(other.action_space.sample())
        obs, reward, terminated, truncated, _ = spider.step(rng.uniform(-1, 1, spider.action_space.shape))
        mixed.append(np.append(obs, reward))
        if terminated or truncated:
            spider.reset()
    np.testing.assert_array_equal(alone, np.array(mixed))


@pytest.mark.parametrize("name", WALKERS)
def test_stump_tracks_with_each_walker_renders_and_pickles(name):
    env = gym.make("teachrl/StumpTracks-v0", body=name, render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    assert clone.body_spec is env.unwrapped.body_spec


# --------------------------------------------------------------------------- bare Box2D worlds
GROUND_Y = 1.0


def _flat_world():
    world = b2.world()
    ground = world.CreateStaticBody()
    ground.CreateFixture(fixtureDef(shape=edgeShape(vertices=[(-50, GROUND_Y), (50, GROUND_Y)]), friction=2.5))
    return world


@pytest.mark.parametrize("name", sorted(BODIES))
def test_each_body_at_rest_with_zero_action_stays_sane(name):
    """100 steps with zero action on flat ground: nothing explodes, nothing sinks through it."""
    spec = BODIES[name]
    world = _flat_world()
    body = Body(world, spec, 0.0, GROUND_Y + spec.center_height)
    world.contactListener = BodyContactListener(body)
    action = np.zeros(spec.action_dim)
    for _ in range(100):
        body.apply_action(action)
        world.Step(1 / 50, 180, 60)
        body.update_grasps()
    for part in body.bodies:
        x, y = part.position
        assert math.isfinite(x) and math.isfinite(y)
        assert abs(x) < 5.0, f"{name}: a part drifted to x={x:.2f}"  # climbers topple over
        assert y > GROUND_Y - 0.15, f"{name}: part below the ground (y={y:.2f})"
        assert part.linearVelocity.length < 5.0
    state = body.head_state() + body.proprioception()
    assert len(state) == 4 + spec.state_dim and all(math.isfinite(v) for v in state)


def _hanging_climber(name: str, graspable: bool = True):
    """A climber whose grip sensors start inside a static bar (graspable or not)."""
    spec = BODIES[name]
    world = b2.world()
    y = 5.0
    body_probe = Body(b2.world(), spec, 0.0, y)
    bar_y = body_probe.sensors[0].position[1]
    bar = world.CreateStaticBody()
    bar.CreateFixture(fixtureDef(shape=polygonShape(box=(2.0, 0.05, (0.0, bar_y), 0.0)),
                                 userData=FixtureTag("bar", graspable=graspable)))
    body = Body(world, spec, 0.0, y)
    world.contactListener = BodyContactListener(body)
    return world, body


def _step(world, body, action, n=1):
    for _ in range(n):
        body.apply_action(action)
        world.Step(1 / 50, 180, 60)
        body.update_grasps()


@pytest.mark.parametrize("name", body_names("climber"))
def test_grip_sensors_grasp_hold_and_release_a_graspable_bar(name):
    world, body = _hanging_climber(name)
    n_motors = len(body.motors)
    grasp = np.zeros(body.spec.action_dim)
    grasp[n_motors:] = 1.0
    y0 = body.head.position[1]
    _step(world, body, grasp)
    assert all(body.attached(i) for i in range(len(body.sensors)))
    sensor_state = body.proprioception()[-2 * len(body.sensors):]
    assert sensor_state == [1.0, 1.0] * len(body.sensors)  # overlapping, attached
    _step(world, body, grasp, 100)
    assert body.head.position[1] > y0 - 0.5  # it hangs
    release = np.zeros(body.spec.action_dim)
    _step(world, body, release)
    assert not any(body.attached(i) for i in range(len(body.sensors)))
    _step(world, body, release, 50)
    assert body.head.position[1] < y0 - 2.0  # it falls


def test_one_grip_sensor_alone_holds_and_actions_map_to_sensors_in_order():
    world, body = _hanging_climber("climbing_chest_profile_chimpanzee")
    action = np.zeros(body.spec.action_dim)
    action[-1] = 1.0  # the last action is the last sensor
    _step(world, body, action)
    assert [body.attached(i) for i in range(2)] == [False, True]


def test_grip_sensors_do_not_grasp_what_is_not_graspable_or_when_not_asked():
    world, body = _hanging_climber("climbing_profile_chimpanzee", graspable=False)
    action = np.zeros(body.spec.action_dim)
    action[len(body.motors):] = 1.0
    _step(world, body, action, 3)
    assert not any(body.attached(i) for i in range(2))
    world, body = _hanging_climber("climbing_profile_chimpanzee")
    _step(world, body, np.zeros(body.spec.action_dim), 3)  # overlapping, but action <= 0
    assert not any(body.attached(i) for i in range(2))
    assert body.proprioception()[-4:][0::2] == [1.0, 1.0]  # it does sense the bar


def test_critical_parts_end_contact_and_hull_criticality_is_the_envs_choice():
    spec = BODIES["classic_bipedal"]
    for hull_critical in (True, False):
        world = _flat_world()
        body = Body(world, spec, 0.0, GROUND_Y + 0.3, hull_critical=hull_critical)  # hull on the ground
        world.contactListener = BodyContactListener(body)
        _step(world, body, np.zeros(4), 5)
        assert body.critical_contact is hull_critical
    world = _flat_world()
    chimp = Body(world, BODIES["profile_chimpanzee"], 0.0, GROUND_Y + 0.2, hull_critical=False)
    world.contactListener = BodyContactListener(chimp)
    _step(world, chimp, np.zeros(14), 5)
    assert chimp.critical_contact  # its chest is always critical


def test_docs_body_table_matches_the_registry():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "environments.md").read_text()
    for name, spec in BODIES.items():
        stump = str(4 + spec.state_dim + 10) if spec.kind == "walker" else "—"
        row = f"| `{name}` | {spec.kind} | {spec.action_dim} | {stump} / {6 + spec.state_dim + 20} |"
        assert row in text, row
        assert f"img/bodies/{name}.png" in text
        assert (Path(__file__).resolve().parents[1] / "docs" / "img" / "bodies" / f"{name}.png").is_file()


def test_body_portrait_is_an_rgb_frame_with_the_body_in_it():
    from envs.walker.render import PALETTES, body_portrait

    for name in ("spider", "climbing_profile_chimpanzee", "fish"):
        frame = body_portrait(name, width=160, height=120)
        assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8
        colors = {tuple(c) for c in frame.reshape(-1, 3)}
        assert PALETTES["hull"][0] in colors
    attached = body_portrait("climbing_profile_chimpanzee")
    assert PALETTES["sensor_attached"][0] in {tuple(c) for c in attached.reshape(-1, 3)}  # it holds the bar


def test_climbers_may_touch_graspable_terrain_with_critical_parts():
    for graspable in (True, False):
        world = b2.world()
        spec = BODIES["climbing_chest_profile_chimpanzee"]
        ground = world.CreateStaticBody()
        ground.CreateFixture(fixtureDef(shape=edgeShape(vertices=[(-5, GROUND_Y), (5, GROUND_Y)]),
                                        userData=FixtureTag("ceiling", graspable=graspable)))
        body = Body(world, spec, 0.0, GROUND_Y + 0.5)  # the chest's bottom is 0.67 m below its origin
        world.contactListener = BodyContactListener(body)
        _step(world, body, np.zeros(spec.action_dim), 3)
        assert body.parts["chest"].userData.contact
        assert body.critical_contact is not graspable


def test_profile_share_accounts_for_box2d_physics():
    from envs.benchmark import profile_share

    env = gym.make("teachrl/StumpTracks-v0", body="millipede")
    p = profile_share(env, 50, "<built-in method Box2D._Box2D.b2World_Step>")
    assert 0.0 < p["share"] < 1.0 and p["ms_per_step"] > 0.0
    assert profile_share(env, 20, "no such function")["share"] == 0.0
