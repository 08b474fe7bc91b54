"""Property tests: every registered Box teacher survives random update sequences.

For each name in ``teachers.available()`` that accepts a ``Box`` (so teachers merged later are
covered automatically), hypothesis drives random sequences of: samples, updates on random tasks
(boundary values included) with finite scores of wild magnitudes, updates on the tasks just
sampled, state_dict round trips (through pickle) in the middle, and invalid inputs. The only
accepted failure is the documented ``ValueError`` on invalid input, which must record nothing.

The default run keeps the budget small; ``pytest -m slow`` runs the same properties longer.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import teachers
from teachers.checks import equip, feedback_for

#: Parameters a teacher cannot be built without (score units as the scores below: raw).
REQUIRED_PARAMS = {"adr": {"max_reward_thr": 0.5, "min_reward_thr": -0.5}}
#: Small refit/split periods so short sequences reach the teachers' fitted states.
SMALL_PERIODS = {"fit_rate": 20, "max_region_size": 20, "alp_window": 20, "update_frequency": 500, "update_offset": 500}


def _box_teachers() -> list[str]:
    return [n for n in teachers.available() if issubclass(spaces.Box, teachers.get_class(n).supported_spaces)]


def _build(name: str, space: spaces.Box, seed: int) -> teachers.Teacher:
    accepted = teachers.get_class(name)._param_names()
    params = {k: v for k, v in SMALL_PERIODS.items() if k in accepted}
    params.update(REQUIRED_PARAMS.get(name, {}))
    return equip(teachers.make(name, space, seed=seed, **params))


@st.composite
def box_spaces(draw) -> spaces.Box:
    d = draw(st.integers(1, 4))
    low = np.array(draw(st.lists(st.floats(-1e3, 1e3), min_size=d, max_size=d)))
    width = np.array(draw(st.lists(st.floats(1e-2, 1e4), min_size=d, max_size=d)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    # width >= 1e-2 at |low| <= 1e3 stays positive after float32 rounding.
    return spaces.Box(low=low.astype(dtype), high=(low + width).astype(dtype), dtype=dtype)


wild_scores = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1.0, 1.0),
    st.sampled_from([0.0, -0.0, 1e-308, 5e-324, 1.7e308, -1.7e308, 1e16, 1.0]),
)
# (kind, unit coordinates for the task, score)
operations = st.lists(
    st.tuples(
        st.sampled_from(["sample", "update_sampled", "update_random", "roundtrip", "invalid"]),
        st.lists(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)), min_size=4, max_size=4),
        wild_scores,
    ),
    min_size=1,
    max_size=120,
)


def _drive(name: str, space: spaces.Box, ops: list, seed: int) -> None:
    teacher = _build(name, space, seed)
    d = space.shape[0]
    last = teacher.sample()
    for kind, unit, score in ops:
        if kind == "sample":
            last = teacher.sample()
            assert space.contains(last), f"{name}: sample {last!r} outside {space}"
        elif kind == "update_sampled":
            teacher.update(last, score, **feedback_for(teacher, last, score))
        elif kind == "update_random":
            task = np.clip(space.low + np.asarray(unit[:d]) * (space.high - space.low), space.low, space.high)
            teacher.update(task.astype(space.dtype), score, **feedback_for(teacher, task, score))
        elif kind == "roundtrip":
            restored = equip(type(teacher).from_state_dict(space, pickle.loads(pickle.dumps(teacher.state_dict()))))
            a, b = teacher.sample(), restored.sample()
            assert np.array_equal(a, b), f"{name}: restored teacher diverged ({a!r} vs {b!r})"
            teacher, last = restored, b
        else:
            before = teacher.n_updates
            bad_task = space.high.astype(np.float64) + (space.high - space.low) * (1.0 + unit[0])
            for task, bad_score in ((last, float("nan")), (last, float("inf")), (bad_task, score), (np.zeros(d + 1), score)):
                with pytest.raises(ValueError):
                    teacher.update(task, bad_score)
            assert teacher.n_updates == before
    teacher.internals()
    try:
        assert space.contains(teacher.non_exploratory_sample())
    except NotImplementedError:
        pass


@pytest.mark.parametrize("name", _box_teachers())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space=box_spaces(), ops=operations, seed=st.integers(0, 2**32 - 1))
def test_random_update_sequences(name, space, ops, seed):
    _drive(name, space, ops, seed)


@pytest.mark.slow
@pytest.mark.parametrize("name", _box_teachers())
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(space=box_spaces(), ops=operations, seed=st.integers(0, 2**32 - 1))
def test_random_update_sequences_long(name, space, ops, seed):
    _drive(name, space, ops, seed)


@pytest.mark.parametrize("name", _box_teachers())
def test_long_sequence_with_wild_scores(name):
    """One long deterministic run per teacher: many refits/splits with extreme scores."""
    rng = np.random.default_rng(0)
    space = spaces.Box(low=np.array([-5.0, 0.0, 100.0]), high=np.array([5.0, 1e-2, 1e4]), dtype=np.float64)
    teacher = _build(name, space, 0)
    magnitudes = np.array([1e-300, 1.0, 1e8, 1e300, 1.7e308])
    for i in range(1500):
        task = teacher.sample() if i % 3 else space.low + rng.integers(0, 2, 3) * (space.high - space.low)
        score = float(rng.choice([-1, 1]) * rng.choice(magnitudes) * rng.random())
        teacher.update(task, score, **feedback_for(teacher, task, score))
    assert space.contains(teacher.sample())
