"""Any gymnasium env as an env of the contract: :class:`TaskWrapper` and :func:`register_task_env`.

A declaration of the env's parameters (:class:`TaskParameter`: name, bounds, how a value is
applied) and a success rule turn a stock env into a :class:`~envs.base.ParameterizedEnv`::

    import envs
    from envs import TaskParameter

    envs.register_task_env(
        "my/Acrobot-v0", "Acrobot-v1",
        [TaskParameter("link_mass_1", 0.5, 1.5, "LINK_MASS_1"),
         TaskParameter("link_mass_2", 0.5, 1.5, "LINK_MASS_2")],
        success="terminated",
    )

then ``gymnasium.make("my/Acrobot-v0")``, or ``scripts/train.py --env my_module:my/Acrobot-v0``
(the run loop imports ``my_module``, which registers the id, in every worker process).

A parameter applied by attribute name is set on the ``env.unwrapped`` *instance* at every reset.
Where the env keeps the value as a class attribute (Acrobot's ``LINK_MASS_1``), the instance
attribute shadows it for that instance only: the class and every other instance keep theirs.
Nothing is written to module globals or classes, so instances never leak into each other.

Compared with CARL's ``CARLEnv`` (a context dict per env class, contexts written into the env's
attributes) and Syllabus's ``TaskWrapper`` (the user subclasses it and writes ``change_task``),
the declaration here is data: bounds and defaults are validated once, the task space and names
follow from it, and the contract's bookkeeping (pending task, ``info["task"]``,
``info["success"]``) comes from :class:`~envs.base.ParameterizedEnv`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import WrapperSpec, register

from envs.base import ParameterizedEnv, make_task_space

__all__ = ["SuccessRule", "TaskParameter", "TaskWrapper", "register_task_env"]

#: ``success(episode_return, terminated, truncated, info) -> bool``, a return threshold (a
#: number), ``"terminated"`` (the episode ended by termination, not by its time limit) or
#: ``None`` (never a success: only return-based teacher scores then make sense).
SuccessRule = Callable[[float, bool, bool, dict], bool] | float | str | None


@dataclasses.dataclass(frozen=True)
class TaskParameter:
    """One task parameter of a :class:`TaskWrapper`.

    :param name: the parameter's name (its entry of ``task_names``).
    :param low: lower bound (finite).
    :param high: upper bound (finite, above ``low``).
    :param apply: how a value reaches the env: the name of an attribute of ``env.unwrapped``
        (set on the instance at every reset), or a callable ``apply(env.unwrapped, value)``.
    :param default: the value when no task is given; default: the attribute's value on the
        fresh env (required when ``apply`` is a callable).
    :raises ValueError: for an empty name, non-finite or unordered bounds, a default outside
        them, or an ``apply`` that is neither an attribute name nor callable.
    """

    name: str
    low: float
    high: float
    apply: str | Callable[[gym.Env, float], None]
    default: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a task parameter needs a non-empty name, got {self.name!r}")
        low, high = _real(self.low, f"low of {self.name!r}"), _real(self.high, f"high of {self.name!r}")
        if not low < high:
            raise ValueError(f"task parameter {self.name!r} needs low < high, got [{low:g}, {high:g}]")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        if isinstance(self.apply, str):
            if not self.apply.isidentifier():
                raise ValueError(f"apply of {self.name!r} must be an attribute name or callable, got {self.apply!r}")
        elif not callable(self.apply):
            raise ValueError(f"apply of {self.name!r} must be an attribute name or callable, got {self.apply!r}")
        elif self.default is None:
            raise ValueError(f"task parameter {self.name!r} applied by a callable needs a default")
        if self.default is not None:
            object.__setattr__(self, "default", self.check(self.default, "default"))

    def check(self, value: Any, what: str) -> float:
        """``value`` as a float inside the bounds, or a ``ValueError`` naming the parameter."""
        v = _real(value, f"{what} of {self.name!r}")
        if not self.low <= v <= self.high:
            raise ValueError(
                f"{what} of task parameter {self.name!r} = {v!r} is outside its bounds "
                f"[{self.low:g}, {self.high:g}]"
            )
        return v


def _real(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


class _ReturnAtLeast:
    """Success rule: the episode return so far is at least ``threshold``."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, episode_return: float, terminated: bool, truncated: bool, info: dict) -> bool:
        return episode_return >= self.threshold

    def __repr__(self) -> str:
        return f"return >= {self.threshold:g}"


def _terminated(episode_return: float, terminated: bool, truncated: bool, info: dict) -> bool:
    return bool(terminated)


def _never(episode_return: float, terminated: bool, truncated: bool, info: dict) -> bool:
    return False


def _success_rule(success: SuccessRule) -> Callable[[float, bool, bool, dict], bool]:
    if success is None:
        return _never
    if isinstance(success, str) and success == "terminated":
        return _terminated
    if isinstance(success, numbers.Real) and not isinstance(success, bool):
        return _ReturnAtLeast(_real(success, "a success return threshold"))
    if callable(success):
        return success
    raise ValueError(
        f"success must be a callable (return, terminated, truncated, info) -> bool, a return "
        f"threshold, 'terminated' or None; got {success!r}"
    )


class TaskWrapper(ParameterizedEnv, gym.Wrapper, gym.utils.RecordConstructorArgs):
    """A gymnasium env plus a declaration of its parameters: an env of the contract.

    It is a :class:`gymnasium.Wrapper` (``env.unwrapped`` is the stock env, whose attributes
    carry the task) and a :class:`~envs.base.ParameterizedEnv` (``task_space``,
    ``task_names``, ``set_task`` applied at the next reset, ``reset(options={"task": ...})``,
    ``info["task"]``, ``info["success"]``). Observations, actions and rewards are the env's;
    the task is not observed. Under ``gymnasium.make`` reach it through the wrappers with
    ``env.get_wrapper_attr("set_task")`` (SB3's ``env_method`` does).

    The success rule sees the wrapped env's ``terminated``/``truncated``: when ``env`` is an id
    (or the wrapper comes from :func:`register_task_env`), the time limit is inside this
    wrapper, so ``"terminated"`` means "before the time limit". ``gymnasium.make(env.spec)``
    rebuilds the wrapped env (the arguments are recorded in the spec, as gymnasium's wrappers
    do).

    :param env: a gymnasium id (made with ``make_kwargs``) or an env instance (owned by the
        wrapper from then on).
    :param parameters: the task parameters, in task order.
    :param success: the success rule: a callable ``(episode_return, terminated, truncated,
        info) -> bool`` (called after every step, with the episode's return so far and the
        env's info, ``info["task"]`` added), a number (return at least that), ``"terminated"``, or ``None`` (never).
    :param task: the initial task (array-like or dict); default: the parameters' defaults.
    :param make_kwargs: keyword arguments of ``gymnasium.make`` (only with an id), e.g.
        ``render_mode`` or ``max_episode_steps``.
    :raises ValueError: for an unknown attribute, a default outside its bounds, duplicate
        names, a bad success rule, or ``make_kwargs`` with an env instance.
    """

    def __init__(
        self,
        env: str | gym.Env,
        parameters: Sequence[TaskParameter],
        success: SuccessRule = None,
        task: Any = None,
        **make_kwargs: Any,
    ) -> None:
        if isinstance(env, str):
            env = gym.make(env, **make_kwargs)
        elif not isinstance(env, gym.Env):
            raise ValueError(f"env must be a gymnasium id or a gymnasium.Env, got {env!r}")
        elif make_kwargs:
            raise ValueError(f"make kwargs {sorted(make_kwargs)} need an env id, not an env instance")
        gym.Wrapper.__init__(self, env)
        # Recorded for env.spec: gymnasium.make(env.spec) rebuilds the stock env from its own
        # spec (make_kwargs are in it), then this wrapper with these arguments.
        gym.utils.RecordConstructorArgs.__init__(self, parameters=parameters, success=success, task=task)
        self.parameters = _check_parameters(parameters)
        self._success = _success_rule(success)
        base = env.unwrapped
        defaults = []
        for p in self.parameters:
            if p.default is not None:
                defaults.append(p.default)
                continue
            if not hasattr(base, p.apply):
                raise ValueError(
                    f"task parameter {p.name!r}: {type(base).__name__} has no attribute {p.apply!r}"
                )
            defaults.append(p.check(getattr(base, p.apply), f"{type(base).__name__}.{p.apply} (the default)"))
        self.task_names = tuple(p.name for p in self.parameters)
        self.task_space = make_task_space([p.low for p in self.parameters], [p.high for p in self.parameters])
        self.default_task = np.array(defaults, dtype=np.float64)
        self._init_task(task)

    def _apply_task(self, task: np.ndarray) -> None:
        base = self.env.unwrapped
        for p, value in zip(self.parameters, task, strict=True):
            if isinstance(p.apply, str):
                setattr(base, p.apply, float(value))  # on the instance: a class attribute is shadowed
            else:
                p.apply(base, float(value))

    def _reset_episode(self, seed: int | None, options: dict[str, Any] | None):
        return self.env.reset(seed=seed, options=options)

    def _step_episode(self, action: Any):
        return self.env.step(action)

    def _is_success(self, terminated: bool, truncated: bool, info: dict[str, Any]) -> bool:
        return bool(self._success(self._episode_return, bool(terminated), bool(truncated), info))


def _check_parameters(parameters: Sequence[TaskParameter]) -> tuple[TaskParameter, ...]:
    if isinstance(parameters, TaskParameter):
        parameters = [parameters]
    params = tuple(parameters)
    if not params:
        raise ValueError("a TaskWrapper needs at least one TaskParameter")
    for p in params:
        if not isinstance(p, TaskParameter):
            raise ValueError(f"parameters must be TaskParameter objects, got {p!r}")
    names = [p.name for p in params]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate task parameter name(s) {duplicates}")
    return params


def register_task_env(
    id: str,
    env: str,
    parameters: Sequence[TaskParameter],
    success: SuccessRule = None,
    max_episode_steps: int | None = None,
    **kwargs: Any,
) -> None:
    """Register ``id`` with gymnasium: the stock env ``env`` with a :class:`TaskWrapper` on top.

    The new spec is ``env``'s (entry point, kwargs, time limit) with the wrapper as its last
    additional wrapper, so ``gymnasium.make(id)`` builds the stock env, its time limit and
    then ``TaskWrapper(parameters, success)`` (which therefore sees the truncation), and
    ``gymnasium.make(env.spec)`` rebuilds it. Vector envs build their envs from the id, so
    registering at import of a module (``--env my_module:id``) is all ``SubprocVecEnv``
    workers need. Re-registering an id replaces it (gymnasium warns).

    :param id: the new id, e.g. ``"my/Acrobot-v0"``.
    :param env: the stock env's id (registered already).
    :param parameters: the task parameters.
    :param success: the success rule (see :class:`TaskWrapper`).
    :param max_episode_steps: the time limit (default: the stock env's).
    :param kwargs: default keyword arguments of the stock env (``gymnasium.make(id, **more)``
        passes ``more`` to it too).
    :raises ValueError: for a non-string or unknown ``env``, a non-string ``id``, bad
        parameters, success rule or ``max_episode_steps``.
    """
    if not isinstance(id, str) or not isinstance(env, str):
        raise ValueError(f"register_task_env takes ids (strings), got id={id!r}, env={env!r}")
    params = _check_parameters(parameters)
    _success_rule(success)  # validated now, used by each make
    if max_episode_steps is not None and (
        isinstance(max_episode_steps, bool) or not isinstance(max_episode_steps, int) or max_episode_steps < 1
    ):
        raise ValueError(f"max_episode_steps must be a positive int, got {max_episode_steps!r}")
    try:
        stock = gym.spec(env)
    except gym.error.Error as err:
        raise ValueError(f"unknown stock env {env!r}: {err}") from err
    wrapper = WrapperSpec(
        name=TaskWrapper.__name__, entry_point=f"{TaskWrapper.__module__}:{TaskWrapper.__name__}",
        kwargs={"parameters": params, "success": success, "task": None},
    )
    register(
        id=id,
        entry_point=stock.entry_point,
        reward_threshold=stock.reward_threshold,
        nondeterministic=stock.nondeterministic,
        max_episode_steps=stock.max_episode_steps if max_episode_steps is None else max_episode_steps,
        order_enforce=stock.order_enforce,
        disable_env_checker=stock.disable_env_checker,
        additional_wrappers=(*stock.additional_wrappers, wrapper),
        kwargs={**stock.kwargs, **kwargs},
    )
