"""The Teacher API: registry, validation, state, and the conformance suite itself."""

import numpy as np
import pytest
from gymnasium import spaces

import teachers
from teachers import RandomTeacher, Teacher, check_teacher

BOX = spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32))


def test_make_and_available():
    assert "random" in teachers.available()
    t = teachers.make("Random", BOX, seed=0)
    assert isinstance(t, RandomTeacher)
    with pytest.raises(ValueError, match="nope"):
        teachers.make("nope", BOX)
    with pytest.raises(ValueError, match="bogus"):
        teachers.make("random", BOX, bogus=1)


def test_register_rejects_name_clash_and_non_teachers():
    class Other(RandomTeacher):
        pass

    with pytest.raises(ValueError, match="already registered"):
        teachers.register("random", Other)
    with pytest.raises(ValueError, match="not a Teacher"):
        teachers.register("thing", dict)


def test_entry_point_registration(tmp_path, monkeypatch):
    """A third-party package declaring the entry point is found by name."""
    pkg = tmp_path / "thirdparty_teacher.py"
    pkg.write_text(
        "from teachers import RandomTeacher\n"
        "class ThirdParty(RandomTeacher):\n    pass\n"
    )
    dist = tmp_path / "thirdparty_teacher-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-teacher\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[teachrl.teachers]\nthird-party = thirdparty_teacher:ThirdParty\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "third-party" in teachers.available()
    t = teachers.make("third_party", BOX, seed=0)
    assert type(t).__name__ == "ThirdParty"


def test_seed_zero_is_a_seed():
    a = [RandomTeacher(BOX, seed=0).sample() for _ in range(3)]
    b = [RandomTeacher(BOX, seed=0).sample() for _ in range(3)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        RandomTeacher(BOX, seed=bad)


@pytest.mark.parametrize(
    "space",
    [
        spaces.Box(low=np.array([0.0, 1.0]), high=np.array([1.0, 1.0]), dtype=np.float64),
        spaces.Box(low=np.array([0.0, -np.inf]), high=np.array([1.0, 1.0]), dtype=np.float64),
    ],
)
def test_bad_space(space):
    with pytest.raises(ValueError, match="low"):
        RandomTeacher(space)


def test_reward_range_maps_and_clips():
    t = RandomTeacher(BOX, seed=0, reward_range=(-150, 350))
    assert t.normalize_score(-150) == 0.0
    assert t.normalize_score(100) == pytest.approx(0.5)
    assert t.normalize_score(1e6) == 1.0
    assert RandomTeacher(BOX).normalize_score(123.0) == 123.0
    with pytest.raises(ValueError, match="reward_range"):
        RandomTeacher(BOX, reward_range=(1, 1))


def test_update_validation_names_value():
    t = RandomTeacher(BOX, seed=0)
    with pytest.raises(ValueError, match="nan"):
        t.update(np.array([0.0, 1.0]), float("nan"))
    with pytest.raises(ValueError, match="outside"):
        t.update(np.array([4.0, 1.0]), 0.0)
    with pytest.raises(ValueError, match="shape"):
        t.update(np.array([0.0]), 0.0)
    assert t.n_updates == 0


def test_load_state_dict_rejects_other_teacher():
    class Other(RandomTeacher):
        pass

    with pytest.raises(ValueError, match="RandomTeacher"):
        Other(BOX).load_state_dict(RandomTeacher(BOX).state_dict())


@pytest.mark.parametrize(
    "space", [BOX, spaces.Discrete(4, start=2), spaces.MultiDiscrete([2, 3])]
)
def test_random_teacher_passes_check_teacher(space):
    check_teacher(RandomTeacher, task_spaces=[space], n_episodes=200)


def test_random_is_uniform():
    t = RandomTeacher(BOX, seed=0)
    xs = np.array([t.sample() for _ in range(4000)])
    assert abs(xs[:, 0].mean()) < 0.15 and abs(xs[:, 1].mean() - 3.0) < 0.15


class _Broken(Teacher):
    """Ignores its seed: check_teacher must catch it."""

    def _sample(self):
        return self.unit.from_unit(np.random.default_rng().random(2))


class _OutOfBounds(Teacher):
    def _sample(self):
        return np.array([10.0, 10.0])

    def _finalize_task(self, task):
        return task


def test_check_teacher_catches_unseeded_teacher():
    with pytest.raises(AssertionError, match="seed"):
        check_teacher(_Broken, n_episodes=50)


def test_check_teacher_catches_out_of_space_samples():
    with pytest.raises(AssertionError, match="outside"):
        check_teacher(_OutOfBounds, n_episodes=20)
