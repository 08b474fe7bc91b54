"""GoalGAN and Setter-Solver (torch): parameters, feedback, seeding, exact restores, devices.

The named conformance checks run on both through tests/test_teacher_checks.py; this file adds
what they do not cover: the errors of these constructors, that the global torch RNG is never
used, 100-task restores at chosen points of the update cycles, and the CUDA path.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from gymnasium import spaces

torch = pytest.importorskip("torch")

import teachers  # noqa: E402
from teachers.goal_gan import GoalGANTeacher  # noqa: E402
from teachers.setter_solver import SetterSolverTeacher  # noqa: E402

SPACE = spaces.Box(np.array([-3.0, 0.0], dtype=np.float32), np.array([3.0, 6.0], dtype=np.float32))
#: Small networks, frequent trainings: fast, and many update cycles in a few hundred episodes.
SMALL = {
    GoalGANTeacher: {
        "generator_layers": (16, 16), "discriminator_layers": (16, 16), "update_size": 10, "train_iters": 5,
        "batch_size": 8, "state_noise_level": 0.2, "n_rollouts": 3,
    },
    SetterSolverTeacher: {
        "update_frequency": 20, "setter_hidden_size": 8, "judge_hidden_size": 8, "setter_blocks": 2,
        "setter_layers_per_block": 1,
    },
}
CLASSES = list(SMALL)


def succeeds(space: spaces.Box, task: np.ndarray, i: int) -> bool:
    """A fixed student: succeeds in episode ``i`` with probability ``clip(1.5 - Σu, 0, 1)``,
    a deterministic function of the task and the episode (a low-discrepancy sequence)."""
    u = (np.asarray(task, dtype=np.float64) - space.low) / (space.high - space.low)
    return bool((i * 0.6180339887) % 1.0 < np.clip(1.5 - u.sum(), 0.0, 1.0))


def rollout(t: teachers.Teacher, n: int, start: int = 0) -> list[np.ndarray]:
    tasks = []
    for i in range(start, start + n):
        task = t.sample()
        tasks.append(np.array(task))
        t.update(task, 1.0, success=succeeds(t.task_space, task, i))
    return tasks


@pytest.mark.parametrize("cls", CLASSES)
def test_registered_and_lazy(cls):
    assert teachers.get_class(cls is GoalGANTeacher and "goal-gan" or "setter-solver") is cls
    assert cls.requires == frozenset({"success"})


@pytest.mark.parametrize("cls", CLASSES)
def test_update_requires_success(cls):
    t = cls(SPACE, seed=0, **SMALL[cls])
    task = t.sample()
    before = pickle.dumps(t.state_dict())
    with pytest.raises(ValueError, match="success"):
        t.update(task, 1.0)
    with pytest.raises(ValueError, match="success"):
        t.update(task, 1.0, success=0.5)
    assert pickle.dumps(t.state_dict()) == before


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("param", "value", "needle"),
    [("device", "gpu0", "device"), ("device", 3, "device"), ("learning_rate", 0.0, "learning_rate")],
)
def test_bad_parameters(cls, param, value, needle):
    with pytest.raises(ValueError, match=needle):
        cls(SPACE, seed=0, **{param: value})


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("cls", CLASSES)
def test_cuda_without_cuda_is_a_clear_error(cls):
    with pytest.raises(ValueError, match="CUDA is not available"):
        cls(SPACE, seed=0, device="cuda")


def test_goal_gan_parameter_errors():
    with pytest.raises(ValueError, match="goid_lb must be <= goid_ub"):
        GoalGANTeacher(SPACE, goid_lb=0.8, goid_ub=0.5)
    with pytest.raises(ValueError, match="initial_dist"):
        GoalGANTeacher(SPACE, initial_dist={"mean": [0.0], "std": [1.0]})
    with pytest.raises(ValueError, match="generator_layers"):
        GoalGANTeacher(SPACE, generator_layers=(0, 4))


@pytest.mark.parametrize("cls", CLASSES)
def test_state_loads_whatever_device_saved_it(cls):
    """A state names its device but holds numpy only: a teacher on another device loads it
    (another value of any other parameter is refused)."""
    t = cls(SPACE, seed=0, **SMALL[cls])
    rollout(t, 60)
    state = t.state_dict()
    state["params"]["device"] = "cuda:3"  # as saved on a GPU machine
    other = cls(SPACE, seed=0, **SMALL[cls])
    other.load_state_dict(state)
    assert other.device == "cpu"
    assert all(np.array_equal(a, b) for a, b in zip(rollout(other, 30, 60), rollout(t, 30, 60), strict=True))
    state["params"]["learning_rate"] = 0.5
    with pytest.raises(ValueError, match="learning_rate"):
        other.load_state_dict(state)


@pytest.mark.parametrize("cls", CLASSES)
def test_seeded_and_global_torch_rng_untouched(cls):
    rng_state = torch.get_rng_state()
    a = rollout(cls(SPACE, seed=4, **SMALL[cls]), 150)
    b = rollout(cls(SPACE, seed=4, **SMALL[cls]), 150)
    c = rollout(cls(SPACE, seed=5, **SMALL[cls]), 150)
    assert torch.equal(torch.get_rng_state(), rng_state), "the teacher used torch's global RNG"
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def _tensors_in(obj) -> bool:
    if isinstance(obj, torch.Tensor):
        return True
    if isinstance(obj, dict):
        return any(_tensors_in(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(_tensors_in(v) for v in obj)
    return False


@pytest.mark.parametrize("cls", CLASSES)
def test_restore_gives_the_same_next_100_tasks(cls):
    """Restored at many points (inside GoalGAN's n_rollouts repeats, with pending goals and
    part-filled training windows, right before and after trainings), a teacher built from
    the pickled state produces the same next 100 tasks, and the state holds no tensor."""
    ref = cls(SPACE, seed=0, **SMALL[cls])
    states: dict[int, bytes] = {}
    tasks: list[np.ndarray] = []
    trainings: list[int] = []
    for i in range(400):
        blob = pickle.dumps(ref.state_dict())
        if i in (0, 1, 2, 5, 31, 77, 150) or (trainings and trainings[-1] == i - 1):  # and just after a training
            states[i] = blob
        before = ref.n_trainings
        tasks += rollout(ref, 1, start=i)
        if ref.n_trainings != before:  # episode i trained: keep the state just before it
            trainings.append(i)
            states[i] = blob
    assert len(trainings) >= 5, f"only {len(trainings)} trainings: the test does not cross update cycles"
    tasks += rollout(ref, 100, start=400)
    for i, blob in sorted(states.items()):
        state = pickle.loads(blob)
        assert not _tensors_in(state)
        restored = cls.from_state_dict(SPACE, state)
        tail = rollout(restored, 100, start=i)
        assert all(np.array_equal(x, y) for x, y in zip(tail, tasks[i : i + 100], strict=True)), (
            f"{cls.__name__} restored at episode {i} (trainings at {trainings[:10]}) diverged"
        )
    assert len(states) >= 15


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("dim", [1, 3])
def test_other_dimensions(cls, dim):
    space = spaces.Box(-np.ones(dim, dtype=np.float32), 2 * np.ones(dim, dtype=np.float32))
    t = cls(space, seed=0, **SMALL[cls])
    for task in rollout(t, 120):
        assert space.contains(task)
    assert t.n_trainings >= 1


def test_setter_solver_learns_from_foreign_tasks():
    """Tasks it did not sample (a replayed level, a hand-picked test) are learned from too:
    their feasibility is the judge's; training stays finite."""
    t = SetterSolverTeacher(SPACE, seed=0, **SMALL[SetterSolverTeacher])
    rng = np.random.default_rng(0)
    for i in range(60):
        task = rng.uniform(SPACE.low, SPACE.high) if i % 2 else t.sample()
        t.update(task, 0.0, success=succeeds(SPACE, task, i))
    assert t.n_trainings == 3
    assert all(bool(torch.isfinite(p).all()) for p in t.setter.parameters())


def test_goal_gan_pretraining_moves_the_generator_to_the_initial_distribution():
    corner = {"mean": [-2.4, 1.2], "std": [0.3, 0.3]}  # unit (0.1, 0.2)
    params = {**SMALL[GoalGANTeacher], "use_pretrained_samples": True, "initial_dist": corner, "pretrain_iters": 300}
    pre = GoalGANTeacher(SPACE, seed=0, **params)
    plain = GoalGANTeacher(SPACE, seed=0, **{**params, "use_pretrained_samples": False})
    target = np.array([0.1, 0.2])

    def distance(t):
        goals = np.array([t.unit.to_unit(t.non_exploratory_sample()) for _ in range(200)])
        return np.abs(goals.mean(axis=0) - target).max()

    assert distance(pre) < 0.1 < distance(plain)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("cls", CLASSES)
def test_cuda_runs_and_its_state_loads_on_cpu(cls):
    gpu = cls(SPACE, seed=0, device="cuda", **SMALL[cls])
    rollout(gpu, 200)
    assert next(gpu.setter.parameters() if cls is SetterSolverTeacher else gpu.generator.parameters()).is_cuda
    cpu = cls(SPACE, seed=0, device="cpu", **SMALL[cls])
    cpu.load_state_dict(gpu.state_dict())  # the device is the one parameter that may differ
    assert cpu.n_trainings == gpu.n_trainings
    rollout(cpu, 20)


def test_goal_gan_hand_written_gradients_match_autograd():
    """GoalGAN's training writes its LSGAN gradients out; 30 iterations of it land on the
    weights that autograd's gradients (the same losses, the same optimizers) give."""
    params = {"generator_layers": (32, 16), "discriminator_layers": (24, 12), "batch_size": 16}
    fast, ref = GoalGANTeacher(SPACE, seed=3, **params), GoalGANTeacher(SPACE, seed=3, **params)
    g = torch.Generator().manual_seed(0)
    real = torch.rand(30, 16, 2, generator=g) - 0.5
    target = torch.cat([torch.randint(0, 2, (30, 16), generator=g) * 2.0 - 1.0, -torch.ones(30, 16)], 1)[:, :, None]
    noise = torch.randn(30, 16, 2, generator=g)
    fast._gan_steps(real, target, noise)

    def step(net, loss, opt):
        """autograd's gradients of ``loss`` into ``net``'s flat gradient (weights stored
        transposed), then one optimizer step."""
        weights = [p for p in net.parameters()]
        grads = torch.autograd.grad(loss, weights)
        with torch.no_grad():
            for (w_grad_t, b_grad), w_grad, bias_grad in zip(net.grads, grads[::2], grads[1::2], strict=True):
                w_grad_t.copy_(w_grad.t())
                b_grad.copy_(bias_grad)
        opt.step()

    for i in range(30):
        fake = ref.generator(noise[i])
        d_loss = (ref.discriminator(torch.cat([real[i], fake.detach()])) - target[i]).square().mean()
        step(ref.discriminator, d_loss, ref._d_opt)
        g_loss = (ref.discriminator(fake) - 1.0).square().mean()
        step(ref.generator, g_loss, ref._g_opt)
    fresh = GoalGANTeacher(SPACE, seed=3, **params)
    for net in ("generator", "discriminator"):
        pairs = zip(getattr(fast, net).named_parameters(), getattr(ref, net).parameters(), getattr(fresh, net).parameters(), strict=True)
        for (name, a), b, before in pairs:
            assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), f"{net}.{name} differs from autograd's"
            assert not torch.equal(a, before), f"{net}.{name} did not train"


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_setter_flow_inverts_and_agrees_on_densities(dim):
    """The setter's inverse recovers the latents its goals were drawn from (so a goal drawn
    from the current setter keeps its latent instead of inferring it again), and both
    directions give each goal the same log density."""
    space = spaces.Box(np.zeros(dim, dtype=np.float32), np.ones(dim, dtype=np.float32))
    t = SetterSolverTeacher(space, seed=1, setter_hidden_size=32)
    rng = np.random.default_rng(0)
    latent = torch.as_tensor(rng.standard_normal((50, dim)), dtype=torch.float32)
    f = torch.as_tensor(rng.uniform(1e-8, 1.0, 50), dtype=torch.float32)
    with torch.no_grad():
        logit, log_p = t.setter(latent, f)
        back, log_p_back = t.setter.inverse(logit, f)
    assert torch.allclose(back, latent, atol=1e-4)
    assert torch.allclose(log_p_back, log_p, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("cls", CLASSES)
def test_goals_sampled_without_updates_do_not_grow_the_state_forever(cls):
    from teachers.goal_gan import MAX_PENDING

    t = cls(SPACE, seed=0, **{**SMALL[cls], "n_rollouts": 1} if cls is GoalGANTeacher else SMALL[cls])
    for _ in range(MAX_PENDING + 50):
        t.sample()
    pending = t._pending if cls is GoalGANTeacher else t._pending_tasks
    assert len(pending) == MAX_PENDING
    task = t.sample()
    t.update(task, 0.0, success=True)  # the newest goal is still matched, and leaves
    assert len(t._pending if cls is GoalGANTeacher else t._pending_tasks) == MAX_PENDING - 1


def test_goal_gan_trains_on_fewer_goals_than_a_batch_without_warnings():
    # n <= batch_size: every iteration reuses all labelled goals (a read-only broadcast index)
    t = GoalGANTeacher(SPACE, seed=0, generator_layers=(8,), discriminator_layers=(8,), train_iters=3)
    before = t.generator.flat.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t._train(np.random.default_rng(0).random((10, 2)) - 0.5, np.ones(10), 3)
    assert not torch.equal(before, t.generator.flat)
