"""SPDL v2 (teachers/spdl.py): gradients, schedule, the two phases, the std floor, state."""

import numpy as np
import pytest
from gymnasium import spaces
from scipy.optimize import check_grad

import teachers
from teachers import SPDLTeacher
from teachers.spdl import _Gaussian, _kl_grad_first, _kl_grad_second, gaussian_kl

BOX = spaces.Box(low=np.array([-4.0, 0.5], dtype=np.float32), high=np.array([4.0, 8.0], dtype=np.float32))
SPAN = np.array([8.0, 7.5])
# [CO]'s point-mass initial distribution and a narrow target at (2.5, 0.5) ([SP]'s target mean).
INIT = {"mean": [0.0, 4.25], "std": [2.0, 1.875]}
TARGET = {"mean": [2.5, 1.0], "std": [0.1, 0.1]}


def _teacher(**kw):
    params = {"initial_dist": INIT, "target_dist": TARGET, "update_frequency": 1000, "update_offset": 2000,
              "perf_lb": 4.0, "max_kl": 0.25, **kw}
    return SPDLTeacher(BOX, seed=0, **params)


def _run(t, value_of, episodes, steps=100):
    for _ in range(episodes):
        task = t.sample()
        t.update(task, 0.0, value=value_of(task), steps=steps)


def _mean_cov(t):
    g = t.internals()["gaussian"]
    return np.array(g["mean"]), np.array(g["covariance"])


def test_registered_and_needs_value_and_steps():
    assert teachers.get_class("spdl") is SPDLTeacher
    assert SPDLTeacher.requires == {"value", "steps"} and not SPDLTeacher.requires_value_fn
    t = _teacher()
    with pytest.raises(ValueError, match="value"):
        t.update(t.sample(), 0.0, steps=10)
    with pytest.raises(ValueError, match="steps"):
        t.update(t.sample(), 0.0, value=1.0)


def test_analytic_gradients():
    rng = np.random.default_rng(0)
    g = _Gaussian(3)
    x, y = rng.normal(size=(2, 9)) * 0.3
    c, w = rng.normal(size=(7, 3)), rng.random(7)
    assert check_grad(lambda x: (g.log_pdf(x, c) * w).sum(), lambda x: g.log_pdf_grad(x, c, w), x) < 1e-5
    m0, l0 = g.unpack(y)
    second = check_grad(lambda x: gaussian_kl(m0, l0, *g.unpack(x)),
                        lambda x: g.grad_pack(*_kl_grad_second(m0, l0, *g.unpack(x)), g.unpack(x)[1]), x)
    first = check_grad(lambda x: gaussian_kl(*g.unpack(x), m0, l0),
                       lambda x: g.grad_pack(*_kl_grad_first(*g.unpack(x), m0, l0), g.unpack(x)[1]), x)
    assert second < 1e-5 and first < 1e-5


def test_initial_distribution_from_expert_knowledge_or_tma_default():
    mean, cov = _mean_cov(_teacher())
    np.testing.assert_allclose(mean, INIT["mean"])
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), INIT["std"])
    # without EK: a random point, std 10% of the range (TeachMyAgent); seeded
    a, b, c = (SPDLTeacher(BOX, seed=s) for s in (0, 0, 1))
    np.testing.assert_allclose(np.sqrt(np.diag(_mean_cov(a)[1])), 0.1 * SPAN)
    assert np.array_equal(_mean_cov(a)[0], _mean_cov(b)[0]) and not np.array_equal(_mean_cov(a)[0], _mean_cov(c)[0])
    with pytest.raises(ValueError, match="initial_dist"):
        SPDLTeacher(BOX, initial_dist={"mean": [0.0], "std": [1.0]})
    with pytest.raises(ValueError, match="target_dist"):
        SPDLTeacher(BOX, target_dist={"mean": [0.0, 1.0], "std": [1.0, 0.0]})


def test_no_update_before_offset_then_one_per_frequency():
    t = _teacher()
    _run(t, lambda task: 10.0, 19)  # 1900 steps < offset 2000
    assert t.n_distribution_updates == 0 and len(t.buffer) == 19
    _run(t, lambda task: 10.0, 1)  # 2000: first update, buffer emptied
    assert t.n_distribution_updates == 1 and len(t.buffer) == 0 and t.next_update == 3000
    _run(t, lambda task: 10.0, 10)
    assert t.n_distribution_updates == 2
    _run(t, lambda task: 10.0, 25, steps=200)  # 5000 steps: 5 more updates
    assert t.n_distribution_updates == 7


def test_below_threshold_it_climbs_the_value_within_the_trust_region():
    t = _teacher(perf_lb=1e9)  # never reached: performance phase only
    value = lambda task: -abs(task[0] + 3.0)  # best tasks at x = -3  # noqa: E731
    means, kls = [], []
    for _ in range(6):
        before = t.params_x.copy()
        _run(t, value, 10 if t.n_steps >= 2000 else 20)
        m0, l0 = t._gauss.unpack(before)
        kls.append(gaussian_kl(m0, l0, *t._gauss.unpack(t.params_x)))
        means.append(_mean_cov(t)[0][0])
    assert max(kls) <= 0.25 + 1e-4  # the trust region holds
    assert means[-1] < -2.0 and means[-1] < means[0]  # moved toward x = -3
    assert not t.internals()["gaussian"]["perf_reached"]


def test_above_threshold_it_moves_to_the_target():
    t = _teacher()
    _run(t, lambda task: 10.0, 20)
    kl0 = t.target_kl()
    for _ in range(40):
        _run(t, lambda task: 10.0, 10)
    assert t.internals()["gaussian"]["perf_reached"]
    assert t.target_kl() < 0.05 * kl0
    np.testing.assert_allclose(_mean_cov(t)[0], TARGET["mean"], atol=0.1)


def test_it_keeps_the_value_above_the_threshold():
    # value 10 left of x = 0, -10 right of it: the target (x = 2.5) is out of reach
    t = _teacher()
    value = lambda task: 10.0 if task[0] < 0.0 else -10.0  # noqa: E731
    _run(t, value, 200, steps=10)
    for _ in range(20):
        _run(t, value, 100, steps=10)  # 100 episodes per update
    xs = np.array([t.sample()[0] for _ in range(4000)])
    # E[V] stays near δ = 4 (the constraint is on a 100-sample importance-weighted estimate)
    assert np.mean(np.where(xs < 0, 10.0, -10.0)) >= 1.0
    assert t.internals()["gaussian"]["perf_reached"] and t.target_kl() > 100.0


def test_once_reached_and_lost_it_waits():
    t = _teacher()
    _run(t, lambda task: 10.0, 20)
    assert t.internals()["gaussian"]["perf_reached"]
    x = t.params_x.copy()
    _run(t, lambda task: -10.0, 30)
    assert np.array_equal(t.params_x, x)


def test_std_floor_applies_far_from_the_target():
    floor = [1.5, 1.5]
    t = _teacher(perf_lb=1e9, std_lower_bound=floor, kl_threshold=0.0)
    value = lambda task: -abs(task[0] + 3.0) * 100  # narrowing pays  # noqa: E731
    for _ in range(10):
        _run(t, value, 20)
    assert np.all(np.sqrt(np.diag(_mean_cov(t)[1])) >= np.array(floor) * 0.999)
    with pytest.raises(ValueError, match="std_lower_bound"):
        _teacher(std_lower_bound=[1.0])


def test_state_restores_mid_buffer():
    # Issue #13's criterion: restored mid-training (after an update, mid-buffer), the next 100
    # tasks, across more updates, are the uninterrupted teacher's.
    t = _teacher()
    _run(t, lambda task: float(task[1]), 45)
    assert t.n_distribution_updates >= 1
    state = t.state_dict()
    u = SPDLTeacher.from_state_dict(BOX, state)
    value = lambda task: float(task[1]) + 3.0  # noqa: E731  (above δ: it keeps moving)
    before = t.n_distribution_updates
    for _ in range(100):
        a, b = t.sample(), u.sample()
        assert np.array_equal(a, b)
        t.update(a, 0.0, value=value(a), steps=100)
        u.update(b, 0.0, value=value(b), steps=100)
    assert np.array_equal(t.params_x, u.params_x)
    assert t.n_distribution_updates >= before + 5
