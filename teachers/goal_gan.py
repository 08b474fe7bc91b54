"""GoalGAN: a least-squares GAN that generates goals of intermediate difficulty.

Florensa, Held, Geng & Abbeel, "Automatic Goal Generation for Reinforcement Learning
Agents", ICML 2018 (arXiv:1705.06366), as run in TeachMyAgent (Romac et al., ICML 2021:
``TeachMyAgent/teachers/algos/goal_gan.py`` over ``teachers/utils/gan/{gan,generator}.py``,
themselves from rllab-curriculum and psclklnk/spdl). Written here in torch; no code copied.

Importing this module imports torch (the registry imports it on first use of ``"goal-gan"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from teachers.base import DIST_CONSTRAINT, Teacher
from teachers.neural import check_device, is_device, linear, to_numpy, to_tensor
from teachers.registry import register
from teachers.state import Array, Int, StateField, TorchState
from teachers.validation import Boolean, Integral, Interval, Real, Satisfies, SequenceOf

__all__ = ["GoalGANTeacher"]

#: Sampled goals waiting for their ``n_rollouts`` results are forgotten beyond this many (the
#: oldest first): a loop that samples without ever updating cannot grow the state forever.
MAX_PENDING = 1024

Dense = list[tuple[torch.Tensor, torch.Tensor]]


class _MLP(nn.Module):
    """Dense layers with Glorot-uniform weights from ``rng`` (TF1's ``xavier_initializer``, the
    default of rllab-curriculum's ``FCGAN``) and zero biases. Its parameters are views of
    :attr:`flat` (weights stored transposed), for the hand-written training passes."""

    def __init__(
        self,
        sizes: Sequence[int],
        hidden: nn.Module,
        out: nn.Module | None,
        rng: np.random.Generator,
        device: torch.device,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(linear(n_in, n_out, rng, "glorot_uniform", device, torch.float32))
            if i < len(sizes) - 2:
                layers.append(hidden)
        if out is not None:
            layers.append(out)
        self.net = nn.Sequential(*layers)
        # Every weight and bias is a view of one flat vector, and so is its gradient, so that
        # an optimizer step is a few operations on two vectors instead of a few per tensor.
        # A weight is stored transposed (``Wᵀ``, in × out, contiguous): the layout the
        # hand-written passes multiply by without transposing.
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        self.flat = torch.cat([t.reshape(-1) for m in linears for t in (m.weight.detach().t(), m.bias.detach())])
        self.flat_grad = torch.zeros_like(self.flat)
        #: ``(Wᵀ, b)`` per layer, views of :attr:`flat`; :attr:`grads`: the same of :attr:`flat_grad`.
        self.layers: Dense = []
        self.grads: Dense = []
        start = 0
        for m in linears:
            n_out, n_in = m.weight.shape
            views = []
            for vector in (self.flat, self.flat_grad):
                views.append((vector[start : start + n_in * n_out].view(n_in, n_out), vector[start + n_in * n_out : start + (n_in + 1) * n_out]))
            start += (n_in + 1) * n_out
            m.weight, m.bias = nn.Parameter(views[0][0].t()), nn.Parameter(views[0][1])
            self.layers.append(views[0])
            self.grads.append(views[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _forward(
    layers: Dense, x: torch.Tensor, slope: float, tanh: torch.Tensor | None = None
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """An :class:`_MLP`'s output for ``x`` (hidden activation leaky-ReLU(``slope``), ReLU for
    0; no output activation, or tanh written into the tensor ``tanh``) and the cache
    :func:`_backward` needs (each layer's input; the hidden layers' inputs are the
    activations)."""
    cache = [x]
    h = x
    for i, (w_t, b) in enumerate(layers):
        h = torch.addmm(b, h, w_t)
        if i < len(layers) - 1:
            h = torch.nn.functional.leaky_relu_(h, slope) if slope else h.relu_()  # h is addmm's own
            cache.append(h)
    if tanh is not None:
        h = torch.tanh(h, out=tanh)
    return h, cache


def _backward(
    layers: Dense, cache: list[torch.Tensor], grad: torch.Tensor, slope: float, out: Dense | None = None
) -> torch.Tensor:
    """Backpropagate ``grad``, the loss's gradient at the last layer's pre-activation output:
    write the gradient of every weight and bias into ``out`` (none if ``None``) and return the
    gradient at the input (``None`` when only the weights' are asked for: it is not computed).
    An activation's derivative is read from its output (ReLU and leaky ReLU with slope < 1 are
    positive exactly where their input was): ATen's fused ``*_backward`` kernels, which take
    the output."""
    for i in reversed(range(len(layers))):
        w_t, _ = layers[i]
        if out is not None:
            torch.mm(cache[i].t(), grad, out=out[i][0])
            torch.sum(grad, dim=0, out=out[i][1])
            if i == 0:
                return None
        grad = grad @ w_t.t()
        if i > 0:
            if slope:
                grad = torch.ops.aten.leaky_relu_backward(grad, cache[i], slope, True)
            else:
                grad = torch.ops.aten.threshold_backward(grad, cache[i], 0.0)
    return grad


class _RMSProp:
    """TF1's ``RMSPropOptimizer(lr)`` (``DEFAULT_GAN_CONFIGS`` of rllab-curriculum's GAN) on
    one flat parameter vector and its flat gradient: decay 0.9, no momentum, the mean square
    initialised to ones (the ``rms`` slot of ``tensorflow/python/training/rmsprop.py``) and
    epsilon 1e-10 inside the square root, as TF1 has it::

        ms = 0.9 ms + 0.1 g²;   θ -= lr · g / sqrt(ms + 1e-10)

    :param param: the parameter vector, updated in place.
    :param grad: the gradient vector that :meth:`step` reads.
    :param lr: the learning rate.
    """

    decay, epsilon = 0.9, 1e-10

    def __init__(self, param: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
        self.param, self.grad, self.lr = param, grad, lr
        self.mean_square = torch.ones_like(param)
        self._scratch = torch.empty_like(param)

    @torch.no_grad()
    def step(self) -> None:
        """One update of :attr:`param` from :attr:`grad`."""
        self.mean_square.mul_(self.decay).addcmul_(self.grad, self.grad, value=1.0 - self.decay)
        torch.add(self.mean_square, self.epsilon, out=self._scratch).rsqrt_()  # faster than sqrt_, div
        self.param.addcmul_(self.grad, self._scratch, value=-self.lr)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"mean_square": self.mean_square.detach().clone()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.mean_square.copy_(state["mean_square"])


@register("goal-gan")
class GoalGANTeacher(Teacher):
    """GoalGAN (Florensa et al., 2018) as in TeachMyAgent: goals from a least-squares GAN
    trained towards goals of intermediate difficulty (GOID).

    Sampling. Each new goal is run ``n_rollouts`` times in a row. With probability ``p_old``
    (and once the replay buffer holds a goal) it is instead a buffered goal plus Gaussian
    noise, run once and not labelled; otherwise it is ``0.5 + G(z)`` in unit coordinates,
    ``z ~ N(0, I_d)``, plus Gaussian noise of std ``state_noise_level``, clipped into the
    space (``tanh`` outputs span twice the space, as TeachMyAgent's ``StateGAN``).

    Labels. Once a generated goal has its ``n_rollouts`` success labels, it is a GOID
    (label 1) if its mean success is in ``[goid_lb, goid_ub]``, else 0; a goal above
    ``goid_ub`` enters the replay buffer if it is farther than ``success_distance_threshold``
    × the space's diagonal from every buffered goal. Every ``update_size`` labelled goals, if
    any is a GOID, the GAN trains ``train_iters`` iterations on them (otherwise it skips, as
    TeachMyAgent): each iteration one discriminator step on a batch of labelled goals
    (targets ±1) plus ``batch_size`` generated ones (target -1) and one generator step
    (target +1), LSGAN losses, RMSProp.

    Coordinates: the GAN works on unit coordinates centred on 0 (``u - 0.5``); noise levels
    and the buffer's distance threshold are fractions of each dimension's range, as
    TeachMyAgent's (``state_noise_level * (maxs - mins)``). One deliberate difference: the
    buffer's distances are measured in unit coordinates (TeachMyAgent: raw units), so
    dimensions with large ranges do not dominate.

    Defaults (sources, all in flowersteam/TeachMyAgent): ``n_rollouts=2``, ``goid_lb=0.25``,
    ``goid_ub=0.75``, ``p_old=0.2``, pretraining off: ``GoalGAN.__init__`` in
    ``teachers/algos/goal_gan.py``; ``state_noise_level=0.01``,
    ``success_distance_threshold=0.01``, ``update_size=100``: the CLI defaults of
    ``run.py`` (the class has none); generator ``[256, 256]``, discriminator ``[128, 128]``,
    noise size = task dimension: ``goal_gan.py``; ``train_iters=250``: the ``gan.train(...,
    250)`` call in ``goal_gan.py``; ``batch_size=64``, RMSProp lr 1e-3, ReLU generator with
    ``tanh`` output, leaky-ReLU(0.1) discriminator, LSGAN, Glorot init:
    ``DEFAULT_GAN_CONFIGS`` and ``DiscriminatorNet`` in ``teachers/utils/gan/gan.py``;
    ``pretrain_iters=500``: ``StateGAN.pretrain`` in ``teachers/utils/gan/generator.py``;
    ``pretrain_size=1000`` and the fallback initial distribution (mean uniform in the space,
    std 10 % of each range, TeachMyAgent's "random subspace"): ``goal_gan.py`` and
    ``AbstractTeacher.create_dist_from_bounds``. TeachMyAgent's benchmark runs use
    ``state_noise_level=0.1``, ``p_old=0.1``, ``use_pretrained_samples=True``.

    Cost: one training is ``train_iters`` GAN iterations, about 0.4 s of one CPU core with the
    defaults (``benchmarks/results/teacher_speed_neural.md``: about 2 ms per episode while
    the GAN trains every window); generated goals are drawn ``batch_size`` at a time.

    :param task_space: a ``Box`` task space.
    :param seed: seed of the teacher's RNG; every weight and noise draw comes from it.
    :param reward_range: optional ``(lo, hi)`` score normalization (GoalGAN uses only success).
    :param state_noise_level: std of the noise added to generated and replayed goals, as a
        fraction of each dimension's range. Default 0.01.
    :param success_distance_threshold: a goal enters the replay buffer only farther than this
        × the unit cube's diagonal (√d) from every buffered goal. Default 0.01.
    :param update_size: labelled goals between GAN trainings. Default 100.
    :param n_rollouts: episodes per generated goal. Default 2.
    :param goid_lb: lowest mean success of a GOID. Default 0.25.
    :param goid_ub: highest mean success of a GOID; goals above it are replayed. Default 0.75.
    :param p_old: probability of replaying a buffered goal. Default 0.2.
    :param use_pretrained_samples: pretrain the GAN on samples of ``initial_dist`` at
        construction. Default False.
    :param initial_dist: ``None`` or ``{"mean": [...], "std": [...]}`` (raw units) of the
        pretraining samples; ``None`` draws TeachMyAgent's random subspace Gaussian.
    :param generator_layers: hidden sizes of the generator. Default ``(256, 256)``.
    :param discriminator_layers: hidden sizes of the discriminator. Default ``(128, 128)``.
    :param batch_size: labelled and generated goals per discriminator step. Default 64.
    :param train_iters: GAN iterations per training. Default 250.
    :param pretrain_iters: GAN iterations of the pretraining. Default 500.
    :param pretrain_size: samples of ``initial_dist`` the pretraining fits. Default 1000.
    :param learning_rate: RMSProp learning rate of both networks. Default 1e-3.
    :param device: torch device of the networks (``"cpu"``, ``"cuda"``...). Default ``"cpu"``.
    """

    requires: ClassVar[frozenset[str]] = frozenset({"success"})
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "state_noise_level": [Interval(Real, 0, None)],
        "success_distance_threshold": [Interval(Real, 0, None)],
        "update_size": [Interval(Integral, 1, None)],
        "n_rollouts": [Interval(Integral, 1, None)],
        "goid_lb": [Interval(Real, 0, 1)],
        "goid_ub": [Interval(Real, 0, 1)],
        "p_old": [Interval(Real, 0, 1)],
        "use_pretrained_samples": [Boolean()],
        "initial_dist": DIST_CONSTRAINT,
        "generator_layers": [SequenceOf(Interval(Integral, 1, None))],
        "discriminator_layers": [SequenceOf(Interval(Integral, 1, None))],
        "batch_size": [Interval(Integral, 1, None)],
        "train_iters": [Interval(Integral, 1, None)],
        "pretrain_iters": [Interval(Integral, 1, None)],
        "pretrain_size": [Interval(Integral, 1, None)],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "device": [Satisfies(is_device, "a torch device name such as 'cpu' or 'cuda'")],
    }
    # 2: the optimizers are TF1 RMSProp on flat vectors ({"mean_square"}), no longer torch's.
    state_version: ClassVar[int] = 2
    _state_free_params: ClassVar[tuple[str, ...]] = ("device",)  # a CUDA state loads on the CPU
    _state_fields: ClassVar[dict[str, StateField]] = {
        "generator": TorchState(),
        "discriminator": TorchState(),
        "_g_opt": TorchState(),
        "_d_opt": TorchState(),
        # Generator outputs (u - 0.5, no noise) drawn ahead for the next generated goals.
        "_ahead": Array("f", (None, "unit.dim")),
        # Repeats of the last generated goal still to hand out (raw units, as returned).
        "_queue": Array("f", (None, "unit.dim")),
        # Generated goals awaiting their n_rollouts results: raw goal, successes, results.
        "_pending": Array("f", (None, "unit.dim")),
        "_pending_success": Array("f", (None,), low=0),
        "_pending_count": Array("i", (None,), low=0),
        # Labelled goals since the last training (unit coordinates) and their GOID labels.
        "_goals": Array("f", (None, "unit.dim")),
        "_labels": Array("f", (None,), low=0),
        # The replay buffer of goals above goid_ub (unit coordinates).
        "_buffer": Array("f", (None, "unit.dim")),
        "n_trainings": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Box,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        state_noise_level: float = 0.01,
        success_distance_threshold: float = 0.01,
        update_size: int = 100,
        n_rollouts: int = 2,
        goid_lb: float = 0.25,
        goid_ub: float = 0.75,
        p_old: float = 0.2,
        use_pretrained_samples: bool = False,
        initial_dist: dict[str, Any] | None = None,
        generator_layers: Sequence[int] = (256, 256),
        discriminator_layers: Sequence[int] = (128, 128),
        batch_size: int = 64,
        train_iters: int = 250,
        pretrain_iters: int = 500,
        pretrain_size: int = 1000,
        learning_rate: float = 1e-3,
        device: str = "cpu",
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        if goid_lb > goid_ub:
            raise ValueError(f"GoalGANTeacher: goid_lb must be <= goid_ub, got goid_lb={goid_lb!r} > goid_ub={goid_ub!r}")
        self.state_noise_level = float(state_noise_level)
        self.success_distance_threshold = float(success_distance_threshold)
        self.update_size = int(update_size)
        self.n_rollouts = int(n_rollouts)
        self.goid_lb = float(goid_lb)
        self.goid_ub = float(goid_ub)
        self.p_old = float(p_old)
        self.use_pretrained_samples = bool(use_pretrained_samples)
        self.initial_dist = initial_dist
        init = self.check_dist(initial_dist, "initial_dist")
        self.generator_layers = tuple(int(n) for n in generator_layers)
        self.discriminator_layers = tuple(int(n) for n in discriminator_layers)
        self.batch_size = int(batch_size)
        self.train_iters = int(train_iters)
        self.pretrain_iters = int(pretrain_iters)
        self.pretrain_size = int(pretrain_size)
        self.learning_rate = float(learning_rate)
        self.device = device
        self._device = check_device(device, "GoalGANTeacher")

        d = self.unit.dim
        self.generator = _MLP((d, *self.generator_layers, d), nn.ReLU(), nn.Tanh(), self.rng, self._device)
        self.discriminator = _MLP((d, *self.discriminator_layers, 1), nn.LeakyReLU(0.1), None, self.rng, self._device)
        self._g_opt = _RMSProp(self.generator.flat, self.generator.flat_grad, self.learning_rate)
        self._d_opt = _RMSProp(self.discriminator.flat, self.discriminator.flat_grad, self.learning_rate)
        empty = np.zeros((0, d))
        self._ahead = empty.copy()
        self._queue = empty.copy()
        self._pending = empty.copy()
        self._pending_success = np.zeros(0)
        self._pending_count = np.zeros(0, dtype=np.int64)
        self._goals = empty.copy()
        self._labels = np.zeros(0)
        self._buffer = empty.copy()
        self.n_trainings = 0
        if self.use_pretrained_samples:
            self._pretrain(init)

    # ------------------------------------------------------------------ sampling
    def _generated(self) -> np.ndarray:
        """The next generator output ``G(z)`` (``u - 0.5``), drawn ``batch_size`` at a time."""
        if len(self._ahead) == 0:
            z = to_tensor(self.rng.standard_normal((self.batch_size, self.unit.dim)), self._device, torch.float32)
            with torch.no_grad():
                self._ahead = to_numpy(self.generator(z))
        out, self._ahead = self._ahead[0], self._ahead[1:]
        return out

    def _raw(self, u: np.ndarray) -> np.ndarray:
        """The task for unit point ``u`` exactly as :meth:`sample` returns it (as float64), so
        results can be matched to it."""
        return self._finalize_task(self.unit.from_unit(u)).astype(np.float64)

    def _sample(self) -> np.ndarray:
        if len(self._queue):
            task, self._queue = self._queue[0], self._queue[1:]
            return task
        d, noise = self.unit.dim, self.state_noise_level
        # TeachMyAgent draws the coin first, then falls back to the GAN on an empty buffer.
        if self.rng.random() > self.p_old or len(self._buffer) == 0:
            task = self._raw(0.5 + self._generated() + noise * self.rng.standard_normal(d))
            self._pending = np.vstack([self._pending, task])[-MAX_PENDING:]
            self._pending_success = np.append(self._pending_success, 0.0)[-MAX_PENDING:]
            self._pending_count = np.append(self._pending_count, 0)[-MAX_PENDING:]
            self._queue = np.repeat(task[None], self.n_rollouts - 1, axis=0)
            return task
        goal = self._buffer[self.rng.integers(len(self._buffer))]
        return self._raw(goal + noise * self.rng.standard_normal(d))

    def non_exploratory_sample(self) -> np.ndarray:
        """A goal from the generator, without noise or replay (TeachMyAgent's
        ``non_exploratory_task_sampling``)."""
        z = to_tensor(self.rng.standard_normal((1, self.unit.dim)), self._device, torch.float32)
        with torch.no_grad():
            g = to_numpy(self.generator(z))[0]
        return self._finalize_task(self.unit.from_unit(0.5 + g))

    # ------------------------------------------------------------------ learning
    def _update(self, task: np.ndarray, score: float, success: bool) -> None:
        hits = np.flatnonzero((self._pending == task).all(axis=1))
        if hits.size:  # goals not generated here (replays, foreign tasks) are not labelled
            i = hits[0]  # the oldest copy first, as TeachMyAgent's nested lists
            self._pending_success[i] += float(success)
            self._pending_count[i] += 1
            if self._pending_count[i] >= self.n_rollouts:
                self._label(task, self._pending_success[i] / self._pending_count[i])
                keep = np.arange(len(self._pending)) != i
                self._pending = self._pending[keep]
                self._pending_success = self._pending_success[keep]
                self._pending_count = self._pending_count[keep]
        if len(self._goals) >= self.update_size:
            if self._labels.any():
                self._train(self._goals - 0.5, self._labels, self.train_iters)
                self.n_trainings += 1
            self._goals = np.zeros((0, self.unit.dim))
            self._labels = np.zeros(0)

    def _label(self, task: np.ndarray, mean_success: float) -> None:
        u = self.unit.to_unit(task)
        self._goals = np.vstack([self._goals, u])
        self._labels = np.append(self._labels, float(self.goid_lb <= mean_success <= self.goid_ub))
        if mean_success > self.goid_ub:
            limit = self.success_distance_threshold * np.sqrt(self.unit.dim)
            if len(self._buffer) == 0 or np.sqrt(((self._buffer - u) ** 2).sum(axis=1)).min() > limit:
                self._buffer = np.vstack([self._buffer, u])

    def _pretrain(self, init: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Fit the GAN to ``pretrain_size`` samples of the initial distribution (all labelled
        1), ``pretrain_iters`` iterations, as TeachMyAgent's ``StateGAN.pretrain``."""
        u = self.unit
        if init is None:  # TeachMyAgent's random subspace: uniform mean, std 10 % of the range
            mean, std = self.rng.random(u.dim), np.full(u.dim, 0.1)
        else:
            mean, std = u.to_unit(init[0]), init[1] / u.range
        goals = np.clip(mean + std * self.rng.standard_normal((self.pretrain_size, u.dim)), 0.0, 1.0)
        self._train(goals - 0.5, np.ones(self.pretrain_size), self.pretrain_iters)

    def _train(self, x: np.ndarray, labels: np.ndarray, iters: int) -> None:
        """``iters`` LSGAN iterations (rllab-curriculum's ``FCGAN.train``): labelled goals in
        consecutive, wrapping batches of ``batch_size`` (all of them when fewer); one
        discriminator step on them (targets 2·label - 1) plus ``batch_size`` generated goals
        (target -1), then one generator step on the same noise (target +1).

        The gradients are written out (:func:`_forward`, :func:`_backward`) instead of taken
        by autograd: the same numbers up to rounding (``tests/test_neural_teachers.py``
        compares them with autograd's) for about 15 % less time per iteration."""
        n, b, dev = len(x), self.batch_size, self._device
        if n <= b:
            index = np.broadcast_to(np.arange(n), (iters, n))
        else:
            index = (np.arange(iters)[:, None] * b + np.arange(b)[None, :]) % n
        # All randomness of the training drawn at once: the loop below only runs torch ops.
        noise = to_tensor(self.rng.standard_normal((iters, b, self.unit.dim)), dev, torch.float32)
        rows = to_tensor(index, dev, torch.long)
        real = to_tensor(x, dev, torch.float32)[rows]
        target = to_tensor(2.0 * labels - 1.0, dev, torch.float32)[rows]
        target = torch.cat([target, torch.full((iters, b), -1.0, device=dev)], dim=1)[:, :, None]
        self._gan_steps(real, target, noise)
        self._ahead = np.zeros((0, self.unit.dim))  # drawn from the old generator

    def _gan_steps(self, real: torch.Tensor, target: torch.Tensor, noise: torch.Tensor) -> None:
        """One discriminator and one generator step per row of ``real`` (labelled goals),
        ``target`` (their discriminator targets, then -1 per generated goal) and ``noise``.

        The LSGAN losses are means of squares: their gradient at the discriminator's output
        ``o`` is ``2(o - t)/m`` over ``m`` goals, one fused ``add`` on targets scaled ahead."""
        gen, dis = self.generator, self.discriminator
        iters, n_real, b = len(noise), real.shape[1], noise.shape[1]
        # [real; fake] batches: the real rows written once, each fake batch written in place.
        batch = torch.cat([real, torch.empty_like(noise)], dim=1)
        d_scale, g_scale = 2.0 / (n_real + b), 2.0 / b
        d_offset = target * -d_scale
        g_offset = torch.full((b, 1), -g_scale, device=noise.device)
        with torch.no_grad():
            for i in range(iters):
                # The generator does not change before its own step: one forward serves both.
                fake = batch[i, n_real:]
                _, g_cache = _forward(gen.layers, noise[i], 0.0, tanh=fake)
                out, d_cache = _forward(dis.layers, batch[i], 0.1)
                _backward(dis.layers, d_cache, torch.add(d_offset[i], out, alpha=d_scale), 0.1, out=dis.grads)
                self._d_opt.step()
                out, d_cache = _forward(dis.layers, fake, 0.1)
                grad_fake = _backward(dis.layers, d_cache, torch.add(g_offset, out, alpha=g_scale), 0.1)
                _backward(gen.layers, g_cache, torch.ops.aten.tanh_backward(grad_fake, fake), 0.0, out=gen.grads)
                self._g_opt.step()

    # ------------------------------------------------------------------ state and logs
    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        n = len(values["_pending"])
        if len(values["_pending_success"]) != n or len(values["_pending_count"]) != n:
            raise ValueError("GoalGANTeacher: state fields '_pending', '_pending_success' and '_pending_count' differ in length")
        if len(values["_labels"]) != len(values["_goals"]):
            raise ValueError("GoalGANTeacher: state fields '_goals' and '_labels' differ in length")

    def internals(self) -> dict[str, Any]:
        """``{"goal_gan": {"trainings", "replay_buffer", "labelled", "goids"}}``: trainings so
        far, buffered goals, goals labelled since the last training and how many are GOIDs."""
        return {
            "goal_gan": {
                "trainings": self.n_trainings,
                "replay_buffer": len(self._buffer),
                "labelled": len(self._goals),
                "goids": int(self._labels.sum()),
            }
        }
