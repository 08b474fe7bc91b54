"""Property tests of teacher inputs, across every registered teacher and space kind.

- Bad inputs (at least 10,000, generated deterministically by hypothesis): every one is a
  ``ValueError`` whose message names the value (its ``short_repr``), and the teacher's state
  (``pickle.dumps(state_dict())``, counters included) is unchanged.
- Extreme finite scores (±1.7e308, 10**300, 5e-324, ...): samples stay in the space and arm
  probabilities stay finite and sum to 1.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import teachers
from teachers.arms import ArmTeacher
from teachers.checks import equip, feedback_for
from teachers.validation import short_repr

REQUIRED_PARAMS = {"adr": {"max_reward_thr": 0.5, "min_reward_thr": -0.5}}
SMALL_PERIODS = {"fit_rate": 20, "max_region_size": 20, "alp_window": 20, "update_frequency": 500, "update_offset": 500}
SPACES = {
    "box": spaces.Box(low=np.array([-3.0, 0.0], dtype=np.float32), high=np.array([3.0, 6.0], dtype=np.float32)),
    "discrete": spaces.Discrete(5, start=2),
    "multidiscrete": spaces.MultiDiscrete([3, 4]),
}
CASES = [
    (name, kind)
    for name in teachers.available()
    for kind, space in SPACES.items()
    if isinstance(space, teachers.get_class(name).supported_spaces)
]


def _build(name: str, space: spaces.Space, seed: int = 0) -> teachers.Teacher:
    accepted = teachers.get_class(name)._param_names()
    params = {k: v for k, v in SMALL_PERIODS.items() if k in accepted}
    params.update(REQUIRED_PARAMS.get(name, {}))
    return equip(teachers.make(name, space, seed=seed, **params))


def _warm(name: str, kind: str) -> teachers.Teacher:
    space = SPACES[kind]
    t = _build(name, space)
    rng = np.random.default_rng(0)
    for _ in range(30):  # past a fit / split with the small periods
        task, score = t.sample(), float(rng.normal())
        t.update(task, score, **feedback_for(t, task, score))
    return t


# ---------------------------------------------------------------------- bad inputs
huge_ints = st.integers(min_value=2**1024, max_value=10**500) | st.integers(min_value=-(10**500), max_value=-(2**1024))
bad_scores = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),  # numeric strings
    st.sampled_from([float("nan"), float("inf"), -float("inf"), np.nan, np.float32("inf")]),
    st.booleans(),
    st.sampled_from([np.True_, np.False_]),
    st.none(),
    st.lists(st.floats(-10, 10), max_size=3),
    st.tuples(st.floats(-10, 10)),
    st.lists(st.floats(-10, 10), min_size=1, max_size=3).map(np.array),
    st.dictionaries(st.text(max_size=3), st.floats(-1, 1), max_size=2),
    st.complex_numbers(allow_nan=False, allow_infinity=False).filter(lambda z: z.imag != 0),
    huge_ints,
    st.sampled_from([10**400, -(10**400)]),
)


def bad_tasks(kind: str) -> st.SearchStrategy:
    space = SPACES[kind]
    common = st.one_of(
        st.text(max_size=8), st.none(), st.booleans(), st.builds(object),
        st.dictionaries(st.text(max_size=3), st.integers(0, 3), min_size=1, max_size=2),
    )
    if kind == "box":
        d, low, high = space.shape[0], space.low.astype(float), space.high.astype(float)
        inside = st.lists(st.floats(0, 1), min_size=d, max_size=d).map(lambda u: (low + np.array(u) * (high - low)).tolist())
        return st.one_of(
            common,
            inside.map(lambda x: [repr(v) for v in x]),  # numeric strings in a list
            st.lists(st.floats(-3, 3), min_size=0, max_size=5).filter(lambda x: len(x) != d),  # wrong shape
            inside.map(lambda x: np.array([x])),  # (1, d)
            st.tuples(inside, st.integers(0, d - 1), st.sampled_from([np.nan, np.inf, -np.inf])).map(
                lambda a: [v if i != a[1] else a[2] for i, v in enumerate(a[0])]
            ),
            st.tuples(inside, st.integers(0, d - 1), st.floats(0.01, 1e6), st.booleans()).map(  # out of bounds
                lambda a: [v if i != a[1] else (high[i] + a[2] if a[3] else low[i] - a[2]) for i, v in enumerate(a[0])]
            ),
            st.lists(st.booleans(), min_size=d, max_size=d),
            huge_ints.map(lambda v: [v] * d),
        )
    if kind == "discrete":
        lo, hi = int(space.start), int(space.start + space.n)
        return st.one_of(
            common,
            st.integers(hi, 10**6), st.integers(-(10**6), lo - 1),  # out of range
            st.floats(lo, hi - 1),  # floats, even integral ones
            st.integers(lo, hi - 1).map(str),
            st.lists(st.integers(lo, hi - 1), min_size=2, max_size=3),
            huge_ints,
        )
    nvec = np.asarray(space.nvec)
    inside = st.tuples(*(st.integers(0, int(n) - 1) for n in nvec)).map(list)
    return st.one_of(
        common,
        inside.map(lambda x: [float(v) for v in x]),
        inside.map(lambda x: [str(v) for v in x]),
        st.lists(st.integers(0, 2), max_size=4).filter(lambda x: len(x) != len(nvec)),
        st.tuples(inside, st.integers(0, len(nvec) - 1), st.integers(1, 100)).map(
            lambda a: [v if i != a[1] else int(nvec[i]) + a[2] - 1 for i, v in enumerate(a[0])]
        ),
        inside.map(lambda x: [-1 - v for v in x]),
        st.lists(st.booleans(), min_size=len(nvec), max_size=len(nvec)),
    )


def test_bad_inputs_are_value_errors_naming_the_value_and_change_nothing():
    built = {case: _warm(*case) for case in CASES}
    frozen = {case: pickle.dumps(t.state_dict()) for case, t in built.items()}
    good = {case: t.sample() for case, t in built.items()}  # sampling changes state: re-freeze
    frozen = {case: pickle.dumps(t.state_dict()) for case, t in built.items()}
    counted = [0]

    @settings(
        max_examples=700, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data(), case=st.sampled_from(CASES))
    def run(data, case):
        name, kind = case
        teacher = built[case]
        inputs = data.draw(
            st.lists(
                st.one_of(bad_scores.map(lambda s: ("score", s)), bad_tasks(kind).map(lambda x: ("task", x))),
                min_size=15, max_size=15,
            )
        )
        for what, value in inputs:
            with pytest.raises(ValueError) as err:
                if what == "score":
                    teacher.update(good[case], value)
                else:
                    teacher.update(value, 0.5)
            assert short_repr(value) in str(err.value), f"{name}/{kind}: {err.value} does not name {short_repr(value)}"
            counted[0] += 1
        assert pickle.dumps(teacher.state_dict()) == frozen[case], f"{name}/{kind}: a refused input changed the state"

    run()
    print(f"{counted[0]} bad inputs refused")
    assert counted[0] >= 10_000
    for case, t in built.items():
        assert t.n_updates == 30 and t.n_samples == 31, case


# ---------------------------------------------------------------------- extreme finite scores
EXTREME = [1.7e308, -1.7e308, np.finfo(np.float64).max, -np.finfo(np.float64).max, 10**300, -(10**300),
           5e-324, -5e-324, 1e308, 0.0, 1.0]


@pytest.mark.parametrize(("name", "kind"), CASES)
@settings(max_examples=8, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(scores=st.lists(st.sampled_from(EXTREME), min_size=1, max_size=60), reuse=st.booleans())
def test_extreme_finite_scores_keep_probabilities_finite(name, kind, scores, reuse):
    space = SPACES[kind]
    t = _build(name, space)
    task = t.sample()
    for score in scores:
        if not reuse:  # the same arm over and over, or fresh samples
            task = t.sample()
            assert space.contains(np.asarray(task, dtype=space.dtype)), f"{name}: {task!r} outside {space}"
        t.update(task, score, **feedback_for(t, task, score))
        if isinstance(t, ArmTeacher):
            p = t.arm_probabilities()
            assert np.isfinite(p).all() and (p >= 0).all() and abs(p.sum() - 1.0) < 1e-9, f"{name}: {p}"
    for _ in range(5):
        assert space.contains(np.asarray(t.sample(), dtype=space.dtype))
