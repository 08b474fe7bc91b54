"""Setter-Solver: a conditional normalizing-flow goal setter and a success-predicting judge.

Racanière, Lampinen, Santoro, Reichert, Firoiu & Lillicrap, "Automated curricula through
setter-solver interactions", ICLR 2020 (arXiv:1909.12892), as run in TeachMyAgent (Romac et
al., ICML 2021: ``TeachMyAgent/teachers/algos/setter_solver.py`` over
``teachers/utils/setter_solver_utils.py``, the authors' TF1/sonnet building blocks).
Written here in torch; no code copied.

Importing this module imports torch (the registry imports it on first use of
``"setter-solver"``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from teachers.base import Teacher
from teachers.neural import check_device, is_device, linear, to_numpy, to_tensor
from teachers.registry import register
from teachers.state import Array, Int, StateField, TorchState
from teachers.validation import Integral, Interval, Real, Satisfies

__all__ = ["SetterSolverTeacher"]

#: Networks and buffers in float64, as TeachMyAgent's placeholders (``tf.float64``).
DTYPE = torch.float32
#: Smallest scale of an affine coupling (``_MIN_SCALE`` of setter_solver_utils.py).
MIN_SCALE = 1e-2
#: Sampled goals waiting for their episode are forgotten beyond this many (the oldest first).
MAX_PENDING = 1024


def _nice_softplus(x: torch.Tensor) -> torch.Tensor:
    """setter_solver_utils.py's ``_softplus``: ``x (atan(x)/π + 1/2) + 1/π``, monotone, ~x at
    +∞ and ~1/(3πx²) at -∞ (it decays far slower than ``exp``, so scales stay trainable)."""
    scale = 1e6 / (math.pi / 2)
    x = scale * torch.atan(x / scale)  # soft clip to (-1e6, 1e6)
    y = x * (torch.atan(x) / math.pi + 0.5) + 1 / math.pi
    far = torch.minimum(x, torch.full_like(x, -30.0))  # finite in both branches: no NaN gradients
    return torch.where(x < -30.0, 1 / (3 * math.pi * far.square()), y)


def _log_sigmoid_derivative(x: torch.Tensor) -> torch.Tensor:
    """log σ'(x) = log σ(x) + log σ(-x), elementwise."""
    return nn.functional.logsigmoid(x) + nn.functional.logsigmoid(-x)


class _Highway(nn.Module):
    """setter_solver_utils.py's ``Highway``: a linear layer and ``tanh``, ``n_blocks`` highway
    blocks ``y + (tanh(a) - y)·σ(b)`` with ``[a, b] = W y``, and a linear output."""

    def __init__(self, n_in: int, n_out: int, hidden: int, n_blocks: int, rng: np.random.Generator, device: torch.device) -> None:
        super().__init__()
        self.hidden = hidden
        self.inp = linear(n_in, hidden, rng, "truncated_normal", device, DTYPE)
        self.blocks = nn.ModuleList(linear(hidden, 2 * hidden, rng, "truncated_normal", device, DTYPE) for _ in range(n_blocks))
        self.out = linear(hidden, n_out, rng, "truncated_normal", device, DTYPE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.tanh(self.inp(x))
        for block in self.blocks:
            a, b = block(y).split(self.hidden, dim=1)
            y = y + (torch.tanh(a) - y) * torch.sigmoid(b)
        return self.out(y)


class _Coupling(nn.Module):
    """An affine coupling conditioned on the feasibility: the coordinates ``moved`` become
    ``z·(MIN_SCALE + softplus(s)) + t``, with ``s`` and ``t`` highway networks of the
    ``kept`` coordinates and the feasibility."""

    def __init__(self, kept: list[int], moved: list[int], hidden: int, n_blocks: int, rng: np.random.Generator, device: torch.device) -> None:
        super().__init__()
        self.register_buffer("kept", torch.tensor(kept, dtype=torch.long, device=device))
        self.register_buffer("moved", torch.tensor(moved, dtype=torch.long, device=device))
        self.s_net = _Highway(len(kept) + 1, len(moved), hidden, n_blocks, rng, device)
        self.t_net = _Highway(len(kept) + 1, len(moved), hidden, n_blocks, rng, device)

    def _scale_shift(self, z: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([z.index_select(1, self.kept), cond], dim=1)
        return MIN_SCALE + _nice_softplus(self.s_net(x)), self.t_net(x)

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scale, shift = self._scale_shift(z, cond)
        moved = z.index_select(1, self.moved) * scale + shift
        return z.index_copy(1, self.moved, moved), scale.log().sum(dim=1)

    def inverse(self, z: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scale, shift = self._scale_shift(z, cond)
        moved = (z.index_select(1, self.moved) - shift) / scale
        return z.index_copy(1, self.moved, moved), scale.log().sum(dim=1)


class _Setter(nn.Module):
    """setter_solver_utils.py's ``FlatRnvp`` with a sigmoid output: ``n_blocks`` blocks of
    three couplings (first half ← second half... left to right, right to left, then the even
    coordinates moved by the odd ones), conditioned on the feasibility ``f``; a standard
    normal latent; goals ``σ(logit)`` in ``[0, 1]^d``. Couplings that would move no
    coordinate (in one dimension) are left out."""

    def __init__(self, dim: int, hidden: int, n_blocks: int, n_layers: int, rng: np.random.Generator, device: torch.device) -> None:
        super().__init__()
        n1 = dim // 2
        first, second = list(range(n1)), list(range(n1, dim))
        even, odd = list(range(0, dim, 2)), list(range(1, dim, 2))
        plan = [(first, second), (second, first), (odd, even)] * n_blocks
        self.couplings = nn.ModuleList(
            _Coupling(kept, moved, hidden, n_layers, rng, device) for kept, moved in plan if moved
        )

    def forward(self, latent: torch.Tensor, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents and feasibilities → goal logits and the goals' log densities."""
        cond = f[:, None]
        z, log_p = latent, -0.5 * latent.square().sum(dim=1)
        for coupling in self.couplings:
            z, log_scale = coupling(z, cond)
            log_p = log_p - log_scale
        return z, log_p - _log_sigmoid_derivative(z).sum(dim=1)

    def inverse(self, logit: torch.Tensor, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Goal logits and feasibilities → latents and the goals' log densities."""
        cond = f[:, None]
        z, log_p = logit, -_log_sigmoid_derivative(logit).sum(dim=1)
        for coupling in reversed(self.couplings):
            z, log_scale = coupling.inverse(z, cond)
            log_p = log_p - log_scale
        return z, log_p - 0.5 * z.square().sum(dim=1)


def _mlp(sizes: tuple[int, ...], rng: np.random.Generator, device: torch.device) -> nn.Sequential:
    """sonnet's ``MLP``: ReLU between layers, none after the last; truncated-normal weights."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(linear(n_in, n_out, rng, "truncated_normal", device, DTYPE))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


@register("setter-solver")
class SetterSolverTeacher(Teacher):
    """Setter-Solver (Racanière et al., 2020) as in TeachMyAgent.

    Sampling. A feasibility ``f ~ U(1e-8, 1)`` and a latent ``z ~ N(0, I_d)`` go through the
    setter, a conditional RealNVP with a sigmoid output, giving a goal in ``[0, 1]^d`` (unit
    coordinates of the task space).

    Learning. Every ``update_frequency`` episodes, on the episodes since the last training
    (goal, its ``f``, the episode's success): one Adam step of the judge (an MLP predicting
    success from the goal, sigmoid cross-entropy), then one Adam step of the setter on the
    sum of three losses: feasibility, the mean of ``(judge(setter(z, f)) - logit(f))²`` with
    ``z`` each goal's latent under the current setter; validity, ``-log p(g + ε | f)`` over
    the successful goals, ``ε ~ U(0, setter_loss_noise_ub)`` per coordinate and the result
    clipped to ``[1e-4, 1 - 1e-4]``; coverage, the mean log density of the setter's goals.
    Without a success since the last training the validity term is 0 (TeachMyAgent takes the
    mean of nothing). A task given to :meth:`update` that this teacher did not sample gets
    the judge's predicted success as its ``f``.

    Precision and cost: float64, as TeachMyAgent. Goals are drawn ``update_frequency`` at a
    time between trainings (the setter only changes when it trains), so the networks run
    batched.

    Defaults (sources, all in flowersteam/TeachMyAgent): ``update_frequency=100``,
    ``setter_loss_noise_ub=0.01``, ``setter_hidden_size=128``: ``SetterSolver.__init__`` in
    ``teachers/algos/setter_solver.py``; judge hidden sizes ``[64, 64, 64]`` (TeachMyAgent's
    ``Judge`` drops the first entry when it builds its MLP, so it actually runs ``[64, 64]``;
    we build the stated three layers); setter ``num_blocks=3``,
    ``num_layers_per_block=3``, ``f ~ U(1e-8, 1)``: ``setter_solver.py``; highway networks,
    ``MIN_SCALE = 0.01``, the slow softplus, sigmoid output, Adam 3e-4 for both networks,
    truncated-normal initialisation (sonnet's default): ``teachers/utils/setter_solver_utils.py``.
    TeachMyAgent's benchmark runs use ``update_frequency=50``, ``setter_loss_noise_ub=0.1``,
    ``setter_hidden_size=64``.

    :param task_space: a ``Box`` task space.
    :param seed: seed of the teacher's RNG; every weight and noise draw comes from it.
    :param reward_range: optional ``(lo, hi)`` score normalization (Setter-Solver uses only success).
    :param update_frequency: episodes between trainings. Default 100.
    :param setter_loss_noise_ub: upper bound of the uniform noise added to successful goals
        in the validity loss. Default 0.01.
    :param setter_hidden_size: width of the setter's highway networks. Default 128.
    :param setter_blocks: RealNVP blocks (three couplings each). Default 3.
    :param setter_layers_per_block: highway blocks of each coupling's networks. Default 3.
    :param judge_hidden_size: width of the judge's three hidden layers. Default 64.
    :param learning_rate: Adam learning rate of both networks. Default 3e-4.
    :param device: torch device of the networks (``"cpu"``, ``"cuda"``...). Default ``"cpu"``.
    """

    requires: ClassVar[frozenset[str]] = frozenset({"success"})
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "update_frequency": [Interval(Integral, 1, None)],
        "setter_loss_noise_ub": [Interval(Real, 0, None)],
        "setter_hidden_size": [Interval(Integral, 1, None)],
        "setter_blocks": [Interval(Integral, 1, None)],
        "setter_layers_per_block": [Interval(Integral, 0, None)],
        "judge_hidden_size": [Interval(Integral, 1, None)],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "device": [Satisfies(is_device, "a torch device name such as 'cpu' or 'cuda'")],
    }
    state_version: ClassVar[int] = 1
    _state_fields: ClassVar[dict[str, StateField]] = {
        "judge": TorchState(),
        "setter": TorchState(),
        "_judge_opt": TorchState(),
        "_setter_opt": TorchState(),
        # Goals drawn ahead from the current setter: task (raw, as returned), f, goal logit.
        "_ahead_tasks": Array("f", (None, "unit.dim")),
        "_ahead_f": Array("f", (None,)),
        "_ahead_logits": Array("f", (None, "unit.dim")),
        # Goals handed out and not yet updated: task, f, logit.
        "_pending_tasks": Array("f", (None, "unit.dim")),
        "_pending_f": Array("f", (None,)),
        "_pending_logits": Array("f", (None, "unit.dim")),
        # Episodes since the last training: goal logit, f (NaN: not sampled here), success.
        "_logits": Array("f", (None, "unit.dim")),
        "_f": Array("f", (None,)),
        "_success": Array("f", (None,), low=0),
        "n_trainings": Int(low=0),
    }

    def __init__(
        self,
        task_space: spaces.Box,
        seed: int | None = None,
        reward_range: tuple[float, float] | None = None,
        update_frequency: int = 100,
        setter_loss_noise_ub: float = 0.01,
        setter_hidden_size: int = 128,
        setter_blocks: int = 3,
        setter_layers_per_block: int = 3,
        judge_hidden_size: int = 64,
        learning_rate: float = 3e-4,
        device: str = "cpu",
    ) -> None:
        super().__init__(task_space, seed=seed, reward_range=reward_range)
        self.update_frequency = int(update_frequency)
        self.setter_loss_noise_ub = float(setter_loss_noise_ub)
        self.setter_hidden_size = int(setter_hidden_size)
        self.setter_blocks = int(setter_blocks)
        self.setter_layers_per_block = int(setter_layers_per_block)
        self.judge_hidden_size = int(judge_hidden_size)
        self.learning_rate = float(learning_rate)
        self.device = device
        self._device = check_device(device, "SetterSolverTeacher")

        d, h = self.unit.dim, self.judge_hidden_size
        self.judge = _mlp((d, h, h, h, 1), self.rng, self._device)
        self.setter = _Setter(d, self.setter_hidden_size, self.setter_blocks, self.setter_layers_per_block, self.rng, self._device)
        self._judge_opt = torch.optim.Adam(self.judge.parameters(), lr=self.learning_rate, foreach=True)
        self._setter_opt = torch.optim.Adam(self.setter.parameters(), lr=self.learning_rate, foreach=True)
        empty, none = np.zeros((0, d)), np.zeros(0)
        self._ahead_tasks, self._ahead_f, self._ahead_logits = empty.copy(), none.copy(), empty.copy()
        self._pending_tasks, self._pending_f, self._pending_logits = empty.copy(), none.copy(), empty.copy()
        self._logits, self._f, self._success = empty.copy(), none.copy(), none.copy()
        self.n_trainings = 0

    # ------------------------------------------------------------------ sampling
    def _draw(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` feasibilities and the setter's goal logits for them."""
        f = self.rng.uniform(1e-8, 1.0, size=n)
        latent = self.rng.standard_normal((n, self.unit.dim))
        with torch.no_grad():
            logit, _ = self.setter(to_tensor(latent, self._device, DTYPE), to_tensor(f, self._device, DTYPE))
        return f, to_numpy(logit)

    def _sample(self) -> np.ndarray:
        if len(self._ahead_f) == 0:
            f, logits = self._draw(self.update_frequency)
            goals = 1.0 / (1.0 + np.exp(-logits))
            tasks = self.unit.low + np.clip(goals, 0.0, 1.0) * self.unit.range
            self._ahead_tasks = self._finalize_tasks(tasks)
            self._ahead_f, self._ahead_logits = f, logits
        task, f, logit = self._ahead_tasks[0], self._ahead_f[0], self._ahead_logits[0]
        self._ahead_tasks, self._ahead_f, self._ahead_logits = self._ahead_tasks[1:], self._ahead_f[1:], self._ahead_logits[1:]
        self._pending_tasks = np.vstack([self._pending_tasks, task])[-MAX_PENDING:]
        self._pending_f = np.append(self._pending_f, f)[-MAX_PENDING:]
        self._pending_logits = np.vstack([self._pending_logits, logit])[-MAX_PENDING:]
        return task

    def _finalize_tasks(self, tasks: np.ndarray) -> np.ndarray:
        """Raw tasks exactly as :meth:`sample` returns them (the space's dtype), as float64."""
        u = self.unit
        return np.minimum(np.maximum(tasks, u.low), u.high).astype(self.task_space.dtype).astype(np.float64)

    def non_exploratory_sample(self) -> np.ndarray:
        """A goal of the setter for a fresh ``f ~ U(1e-8, 1)`` (TeachMyAgent's
        ``non_exploratory_task_sampling`` samples as usual)."""
        _, logits = self._draw(1)
        return self._finalize_task(self.unit.from_unit(1.0 / (1.0 + np.exp(-logits[0]))))

    # ------------------------------------------------------------------ learning
    def _update(self, task: np.ndarray, score: float, success: bool) -> None:
        hits = np.flatnonzero((self._pending_tasks == task).all(axis=1))
        if hits.size:
            i = hits[0]
            f, logit = self._pending_f[i], self._pending_logits[i]
            keep = np.arange(len(self._pending_f)) != i
            self._pending_tasks, self._pending_f = self._pending_tasks[keep], self._pending_f[keep]
            self._pending_logits = self._pending_logits[keep]
        else:  # a task not sampled here: its feasibility is the judge's, at training time
            u = np.clip(self.unit.to_unit(task), 1e-6, 1 - 1e-6)
            f, logit = np.nan, _logit(u)
        self._logits = np.vstack([self._logits, logit])
        self._f = np.append(self._f, f)
        self._success = np.append(self._success, float(success))
        if len(self._f) >= self.update_frequency:
            self._train()
            d = self.unit.dim
            self._logits, self._f, self._success = np.zeros((0, d)), np.zeros(0), np.zeros(0)

    def _train(self) -> None:
        dev = self._device
        logits = to_tensor(self._logits, dev, DTYPE)
        goals = torch.sigmoid(logits)
        success = to_tensor(self._success, dev, DTYPE)
        f = self._f.copy()
        unknown = np.isnan(f)
        if unknown.any():
            with torch.no_grad():
                judged = to_numpy(torch.sigmoid(self.judge(goals[to_tensor(np.flatnonzero(unknown), dev, torch.long)])))
            f[unknown] = np.clip(judged[:, 0], 1e-8, 1.0 - 1e-8)
        f_t = to_tensor(f, dev, DTYPE)

        # The judge: one step of sigmoid cross-entropy on every goal of the window.
        judge_loss = nn.functional.binary_cross_entropy_with_logits(self.judge(goals)[:, 0], success)
        self._judge_opt.zero_grad(set_to_none=True)
        judge_loss.backward()
        self._judge_opt.step()

        # The setter: feasibility + validity + coverage, one step (the judge is not trained).
        for p in self.judge.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            latent, _ = self.setter.inverse(logits, f_t)
        out_logit, log_p = self.setter(latent, f_t)
        target = to_tensor(_logit(f), dev, DTYPE)
        feasibility = (self.judge(torch.sigmoid(out_logit))[:, 0] - target).square().mean()
        coverage = log_p.mean()
        won = np.flatnonzero(self._success == 1.0)
        validity = torch.zeros((), dtype=DTYPE, device=dev)
        if won.size:
            noisy = self._goals_np()[won] + self.rng.uniform(0.0, self.setter_loss_noise_ub, size=(won.size, self.unit.dim))
            noisy = np.clip(noisy, 1e-4, 1.0 - 1e-4)
            _, log_p_won = self.setter.inverse(to_tensor(_logit(noisy), dev, DTYPE), f_t[to_tensor(won, dev, torch.long)])
            validity = -log_p_won.mean()
        loss = feasibility + validity + coverage
        self._setter_opt.zero_grad(set_to_none=True)
        loss.backward()
        self._setter_opt.step()
        for p in self.judge.parameters():
            p.requires_grad_(True)
        self.n_trainings += 1
        d = self.unit.dim
        self._ahead_tasks, self._ahead_f, self._ahead_logits = np.zeros((0, d)), np.zeros(0), np.zeros((0, d))

    def _goals_np(self) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self._logits))

    # ------------------------------------------------------------------ state and logs
    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        for group in (("_ahead_tasks", "_ahead_f", "_ahead_logits"), ("_pending_tasks", "_pending_f", "_pending_logits"),
                      ("_logits", "_f", "_success")):
            if len({len(values[name]) for name in group}) != 1:
                raise ValueError(f"SetterSolverTeacher: state fields {list(group)} differ in length")

    def internals(self) -> dict[str, Any]:
        """``{"setter_solver": {"trainings", "window", "window_success"}}``: trainings so far,
        episodes since the last training and their success rate (``None`` when none)."""
        n = len(self._success)
        return {
            "setter_solver": {
                "trainings": self.n_trainings,
                "window": n,
                "window_success": float(self._success.mean()) if n else None,
            }
        }
