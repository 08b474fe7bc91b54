"""Teachers by name: ``make``, ``register``, ``available`` and the entry-point group.

A teacher is named in one of three ways:

- a registered name (``"alp-gmm"``; :func:`register` adds one);
- ``"module:Class"``, a module path and a class name, imported on use without registering
  or packaging anything (``"my_teachers:BestNeighbour"``), as env ids take ``module:Id``;
- a lazily imported built-in (:data:`LAZY`): the neural teachers live in modules that
  import torch, so ``import teachers`` lists them without importing them;
- an entry point: third-party packages register teachers without importing teachrl at
  install time by declaring one in the ``teachrl.teachers`` group::

    [options.entry_points]
    teachrl.teachers =
        my-teacher = my_pkg.teacher:MyTeacher
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from gymnasium import spaces

from teachers.base import Teacher

__all__ = ["ENTRY_POINT_GROUP", "LAZY", "available", "make", "register"]

ENTRY_POINT_GROUP = "teachrl.teachers"
_REGISTRY: dict[str, type[Teacher]] = {}
#: Built-in teachers whose module is imported on first use (it imports torch): name ->
#: ``"module:Class"``. The module registers the class under the name when imported.
LAZY: dict[str, str] = {
    "goal-gan": "teachers.goal_gan:GoalGANTeacher",
    "setter-solver": "teachers.setter_solver:SetterSolverTeacher",
}


def _canonical(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"teacher name must be a non-empty string, got {name!r}")
    return name.strip().lower().replace("_", "-")


def register(name: str, cls: type[Teacher] | None = None) -> Any:
    """Register ``cls`` under ``name`` (case-insensitive, ``_`` and ``-`` equivalent).

    Usable directly, ``register("mine", Mine)``, or as a class decorator,
    ``@register("mine")``.

    :raises ValueError: if ``name`` is taken by another class, or ``cls`` is no Teacher.
    """
    key = _canonical(name)

    def _add(klass: type[Teacher]) -> type[Teacher]:
        if not (isinstance(klass, type) and issubclass(klass, Teacher)):
            raise ValueError(f"{klass!r} registered as {name!r} is not a Teacher subclass")
        if key in _REGISTRY and _REGISTRY[key] is not klass:
            raise ValueError(f"teacher name {name!r} is already registered to {_REGISTRY[key].__name__}")
        _REGISTRY[key] = klass
        return klass

    return _add if cls is None else _add(cls)


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        key = _canonical(ep.name)
        if key not in _REGISTRY:
            register(key, ep.load())


def available() -> list[str]:
    """Sorted names of all registered teachers, entry points included."""
    _load_entry_points()
    return sorted(set(_REGISTRY) | set(LAZY))


def _import_class(name: str) -> type[Teacher]:
    module_name, _, class_name = name.partition(":")
    if not module_name or not class_name.isidentifier():
        raise ValueError(f"teacher {name!r} is not 'module:Class' (e.g. 'my_teachers:BestNeighbour')")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"teacher {name!r}: cannot import module {module_name!r} ({err})") from err
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Teacher)):
        found = "nothing" if cls is None else repr(cls)
        raise ValueError(f"teacher {name!r}: {module_name}.{class_name} is {found}, not a Teacher subclass")
    return cls


def get_class(name: str) -> type[Teacher]:
    """The class of teacher ``name``: a registered name, or ``"module:Class"`` (imported).

    :raises ValueError: for an unknown name (listing the known ones), or a ``module:Class``
        that cannot be imported or is no :class:`Teacher` subclass.
    """
    if isinstance(name, str) and ":" in name:
        return _import_class(name.strip())
    key = _canonical(name)
    if key not in _REGISTRY and key in LAZY:
        cls = _import_class(LAZY[key])
        return _REGISTRY.setdefault(key, cls)
    if key not in _REGISTRY:
        _load_entry_points()
    if key not in _REGISTRY:
        raise ValueError(f"unknown teacher {name!r}; available: {', '.join(available())}")
    return _REGISTRY[key]


def make(name: str, task_space: spaces.Space, seed: int | None = None, **params: Any) -> Teacher:
    """Build the teacher registered under ``name``.

    :param name: e.g. ``"alp-gmm"`` (see :func:`available`) or ``"module:Class"``.
    :param task_space: the task space the teacher samples from.
    :param seed: seed of the teacher's own RNG (0 is a valid seed).
    :param params: the teacher's hyperparameters.
    :raises ValueError: for an unknown name or an unknown hyperparameter.
    """
    cls = get_class(name)
    unknown = sorted(set(params) - set(cls._param_names()))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for teacher {name!r}; accepted: {cls._param_names()}"
        )
    return cls(task_space, seed=seed, **params)


TeacherFactory = Callable[..., Teacher]
