"""Explicit, checked state of teachers and trackers.

A class lists the attributes that make up its state, each with a :class:`StateField` saying
what a valid value is, and numbers its state format::

    class MyTeacher(Teacher):
        state_version = 1
        _state_fields = {
            "counts": Array("i", ("n_arms",), low=0),  # shape fixed by the parameters
            "clock": Int(low=0),
        }

Fields are inherited and merged over the MRO (``Teacher`` declares ``rng``, ``n_samples``
and ``n_updates``). :meth:`Stateful.state_dict` returns a plain, picklable dict::

    {"teacher": "MyTeacher",            # "tracker" for trackers: the class name
     "version": 1,                      # the class's state_version
     "params": {...},                   # get_params(), seed included
     "task_space": {...},               # teachers only: describe_space(task_space)
     "state": {"rng": {...}, "counts": array([...]), "clock": 3, ...}}

The RNG is stored as its bit generator's state dict, nested trackers as their own state
dicts. :meth:`Stateful.load_state_dict` checks the class, the version, every parameter,
the task space, that exactly the declared fields are present, and each field's type (for
arrays dtype kind, ndim and shape where the parameters fix it); any mismatch is a
``ValueError`` naming the key, parameter or field, raised before anything is assigned.
Values are deep-copied both ways: a teacher and its state share nothing.
"""

from __future__ import annotations

import abc
import copy
import numbers
import operator
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from teachers.validation import short_repr

__all__ = [
    "Array",
    "DictOf",
    "Float",
    "Int",
    "ListOf",
    "Nested",
    "Optional",
    "RNG",
    "Record",
    "StateField",
    "Stateful",
    "TorchState",
    "TupleOf",
    "Via",
    "same_value",
]

#: A size: a fixed int, ``None`` (free), an attribute path of the owner (``"unit.dim"``) or
#: a callable of the owner.
Size = int | str | None | Callable[[Any], int]


def _resolve(size: Size, owner: Any) -> int | None:
    if size is None or isinstance(size, int):
        return size
    if isinstance(size, str):
        return int(operator.attrgetter(size)(owner))
    return int(size(owner))


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__} {short_repr(value)}"


class StateField(abc.ABC):
    """What a valid value of one state field is, and how it is stored.

    :meth:`problem` returns ``None`` for a valid stored value, else what is wrong, in words.
    """

    @abc.abstractmethod
    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        """Why ``value`` is not a valid stored value for ``owner`` (``None`` if it is).

        :param value: the stored value.
        :param owner: the object loading it (sizes are read from it).
        :param current: the attribute's current value (top-level fields only).
        """

    def dump(self, value: Any) -> Any:
        """The stored form of an attribute value (a deep copy)."""
        return copy.deepcopy(value)

    def load(self, value: Any, current: Any) -> Any:
        """The attribute value for a valid stored ``value`` (a deep copy)."""
        return copy.deepcopy(value)


class Int(StateField):
    """An integer (not a bool) in ``[low, high]`` and below ``below`` (each optional).

    :param low: smallest value.
    :param high: largest value (a size: int, attribute path or callable).
    :param below: the value must be smaller than this size.
    """

    def __init__(self, low: int | None = None, high: Size = None, below: Size = None) -> None:
        self.low, self.high, self.below = low, high, below

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
            return f"must be an int, got {_kind(value)}"
        high, below = _resolve(self.high, owner), _resolve(self.below, owner)
        if (self.low is not None and value < self.low) or (high is not None and value > high) or (
            below is not None and value >= below
        ):
            lo = "-inf" if self.low is None else self.low
            hi = f"{high}]" if high is not None else (f"{below})" if below is not None else "inf)")
            return f"must be in [{lo}, {hi}, got {value!r}"
        return None


class Float(StateField):
    """A real number (a float or an int, not a bool)."""

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            return f"must be a real number, got {_kind(value)}"
        return None


class Array(StateField):
    """A numpy array of a dtype kind and a shape.

    :param kind: accepted dtype kinds: ``"f"`` (floats), ``"i"`` (signed ints), ``"b"``...
    :param shape: one size per axis (int, ``None`` for free, attribute path or callable).
    :param low: if given, every element must be ``>= low``.
    """

    def __init__(self, kind: str, shape: tuple[Size, ...], low: float | None = None) -> None:
        self.kind, self.shape, self.low = kind, tuple(shape), low

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if not isinstance(value, np.ndarray):
            return f"must be a numpy array, got {_kind(value)}"
        if value.dtype.kind not in self.kind:
            return f"must be an array of dtype kind {self.kind!r}, got {_kind(value)}"
        if value.ndim != len(self.shape):
            return f"must be a {len(self.shape)}-D array, got {_kind(value)}"
        want = tuple(_resolve(s, owner) for s in self.shape)
        if any(w is not None and w != n for w, n in zip(want, value.shape, strict=True)):
            shown = tuple("*" if w is None else w for w in want)
            return f"must have shape {shown}, got {_kind(value)}"
        if self.low is not None and value.size and not (value >= self.low).all():
            return f"must have every element >= {self.low}, got {short_repr(value)}"
        return None


class RNG(StateField):
    """A ``np.random.Generator``, stored as its bit generator's state dict."""

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if not isinstance(value, dict):
            return f"must be a bit-generator state dict, got {_kind(value)}"
        kind = type(current.bit_generator) if current is not None else np.random.PCG64
        if value.get("bit_generator") != kind.__name__:
            return f"must be the state of a {kind.__name__} bit generator, got {short_repr(value)}"
        try:
            np.random.Generator(kind(0)).bit_generator.state = value
        except Exception as err:  # noqa: BLE001 (numpy raises several types)
            return f"is not a valid {kind.__name__} state ({err}): {short_repr(value)}"
        return None

    def dump(self, value: np.random.Generator) -> dict[str, Any]:
        return copy.deepcopy(value.bit_generator.state)

    def load(self, value: dict[str, Any], current: np.random.Generator) -> np.random.Generator:
        rng = np.random.Generator(type(current.bit_generator)(0))
        rng.bit_generator.state = copy.deepcopy(value)
        return rng


class Optional(StateField):
    """``None`` or a value of ``inner``."""

    def __init__(self, inner: StateField) -> None:
        self.inner = inner

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        return None if value is None else self.inner.problem(value, owner)


class Record(StateField):
    """A dict with exactly the given keys, each holding a value of its field."""

    def __init__(self, fields: Mapping[str, StateField]) -> None:
        self.fields = dict(fields)

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if not isinstance(value, dict):
            return f"must be a dict with keys {sorted(self.fields)}, got {_kind(value)}"
        if set(value) != set(self.fields):
            return f"must have keys {sorted(self.fields)}, got keys {sorted(map(str, value))}"
        for key, field in self.fields.items():
            why = field.problem(value[key], owner)
            if why is not None:
                return f"key {key!r} {why}"
        return None


class ListOf(StateField):
    """A list whose items are values of ``item``."""

    def __init__(self, item: StateField) -> None:
        self.item = item

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if not isinstance(value, list):
            return f"must be a list, got {_kind(value)}"
        for i, v in enumerate(value):
            why = self.item.problem(v, owner)
            if why is not None:
                return f"item {i} {why}"
        return None


class TupleOf(StateField):
    """A tuple (or list) with one value per given field."""

    def __init__(self, *items: StateField) -> None:
        self.items = items

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if not isinstance(value, tuple | list) or len(value) != len(self.items):
            return f"must be a tuple of {len(self.items)} items, got {_kind(value)}"
        for i, (v, field) in enumerate(zip(value, self.items, strict=True)):
            why = field.problem(v, owner)
            if why is not None:
                return f"item {i} {why}"
        return None

    def load(self, value: Any, current: Any) -> Any:
        return tuple(copy.deepcopy(value))


class DictOf(StateField):
    """A dict whose keys are values of ``key`` and values of ``value``."""

    def __init__(self, key: StateField, value: StateField) -> None:
        self.key, self.value = key, value

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if not isinstance(value, dict):
            return f"must be a dict, got {_kind(value)}"
        for k, v in value.items():
            why = self.key.problem(k, owner)
            if why is not None:
                return f"key {short_repr(k)} {why}"
            why = self.value.problem(v, owner)
            if why is not None:
                return f"value of key {short_repr(k)} {why}"
        return None


class Nested(StateField):
    """An attribute that is itself :class:`Stateful` (a tracker), stored as its state dict."""

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        try:
            current.check_state_dict(value)
        except ValueError as err:
            return f"is not a valid state: {err}"
        return None

    def dump(self, value: Stateful) -> dict[str, Any]:
        return value.state_dict()

    def load(self, value: dict[str, Any], current: Stateful) -> Stateful:
        fresh = copy.copy(current)
        fresh.load_state_dict(value)
        return fresh


class Via(StateField):
    """An attribute stored in another form: ``to_state(attr)`` / ``from_state(owner, stored)``.

    :param inner: the field of the stored form.
    :param to_state: attribute value -> stored value.
    :param from_state: (owner, valid stored value) -> attribute value.
    """

    def __init__(
        self,
        inner: StateField,
        to_state: Callable[[Any], Any],
        from_state: Callable[[Any, Any], Any],
    ) -> None:
        self.inner, self.to_state, self.from_state = inner, to_state, from_state

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        return self.inner.problem(value, owner)

    def dump(self, value: Any) -> Any:
        return self.to_state(value)


def _to_numpy_tree(obj: Any) -> Any:
    """A torch ``state_dict()`` with every tensor replaced by a numpy copy (CPU)."""
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # a tensor; torch itself is not imported here
        return obj.detach().cpu().numpy().copy()
    if isinstance(obj, dict):
        return {k: _to_numpy_tree(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_numpy_tree(v) for v in obj)
    return copy.deepcopy(obj)


def _to_torch_tree(obj: Any) -> Any:
    """The inverse of :func:`_to_numpy_tree`: numpy arrays become (CPU) tensors."""
    import torch  # only reached by owners of torch objects, which imported it already

    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, dict):
        return {k: _to_torch_tree(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_to_torch_tree(v) for v in obj)
    return copy.deepcopy(obj)


def _tree_problem(value: Any, like: Any, where: str) -> str | None:
    """Why ``value`` does not have the structure of ``like`` (same keys, types, array dtypes
    and shapes, equal plain values), or ``None``."""
    if isinstance(like, np.ndarray):
        if not isinstance(value, np.ndarray):
            return f"{where} must be a numpy array, got {_kind(value)}"
        if value.dtype != like.dtype or value.shape != like.shape:
            return f"{where} must be a {like.dtype} array of shape {like.shape}, got {_kind(value)}"
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            return f"{where} has non-finite values"
        return None
    if isinstance(like, dict):
        if not isinstance(value, dict) or list(value) != list(like):
            got = list(value) if isinstance(value, dict) else _kind(value)
            return f"{where} must be a dict with keys {short_repr(list(like))}, got {short_repr(got)}"
        for key in like:
            why = _tree_problem(value[key], like[key], f"{where}[{key!r}]")
            if why is not None:
                return why
        return None
    if isinstance(like, list | tuple):
        if type(value) is not type(like) or len(value) != len(like):
            return f"{where} must be a {type(like).__name__} of {len(like)} items, got {_kind(value)}"
        for i, (v, w) in enumerate(zip(value, like, strict=True)):
            why = _tree_problem(v, w, f"{where}[{i}]")
            if why is not None:
                return why
        return None
    if not same_value(value, like):
        return f"{where} must be {short_repr(like)}, got {short_repr(value)}"
    return None


class TorchState(StateField):
    """A torch object with ``state_dict()`` / ``load_state_dict()`` (an ``nn.Module``, an
    optimizer), stored as its state dict with every tensor as a numpy array.

    The stored form is plain numpy and Python, so a state pickles and compares without torch
    and loads on any device (tensors are moved to the owner's, as ``load_state_dict`` does).
    A stored value must have the structure of the current object's state dict: the same keys,
    dtypes and shapes, and equal plain values (an optimizer's hyperparameters). An optimizer's
    per-parameter ``"state"`` is checked entry by entry against its parameters instead, since
    it is empty before the first step. Loading is in place: the modules and optimizers the
    owner holds stay the same objects (an optimizer keeps pointing at its module's parameters).
    This module never imports torch itself; the owner did.
    """

    def problem(self, value: Any, owner: Any, current: Any = None) -> str | None:
        if current is None:
            return "has no torch object to load into"
        like = _to_numpy_tree(current.state_dict())
        if not (isinstance(like, dict) and set(like) == {"state", "param_groups"} and hasattr(current, "param_groups")):
            return _tree_problem(value, like, "state dict")
        if not isinstance(value, dict) or list(value) != list(like):
            return f"must be an optimizer state dict with keys {list(like)}, got {short_repr(value)}"
        why = _tree_problem(value["param_groups"], like["param_groups"], "param_groups")
        if why is not None:
            return why
        params = [p for group in current.param_groups for p in group["params"]]
        entries = value["state"]
        if not isinstance(entries, dict):
            return f"optimizer 'state' must be a dict, got {_kind(entries)}"
        for index, entry in entries.items():
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(params):
                return f"optimizer 'state' has key {short_repr(index)}, not a parameter index below {len(params)}"
            if not isinstance(entry, dict):
                return f"optimizer 'state'[{index}] must be a dict, got {_kind(entry)}"
            shape = tuple(params[index].shape)
            for name, arr in entry.items():
                if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f" or arr.shape not in (shape, ()):
                    return f"optimizer 'state'[{index}][{name!r}] must be a float array of shape {shape} or (), got {_kind(arr)}"
                if not np.all(np.isfinite(arr)):
                    return f"optimizer 'state'[{index}][{name!r}] has non-finite values"
        return None

    def dump(self, value: Any) -> Any:
        return _to_numpy_tree(value.state_dict())

    def load(self, value: Any, current: Any) -> Any:
        current.load_state_dict(_to_torch_tree(value))
        return current


def same_value(a: Any, b: Any) -> bool:
    """Whether two parameter values are equal (lists and tuples alike, bools apart from ints)."""
    if isinstance(a, bool | np.bool_) != isinstance(b, bool | np.bool_):
        return False
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
            and all(same_value(a[k], b[k]) for k in a)
        )
    if isinstance(a, list | tuple | np.ndarray) or isinstance(b, list | tuple | np.ndarray):
        if not (isinstance(a, list | tuple | np.ndarray) and isinstance(b, list | tuple | np.ndarray)):
            return False
        a, b = list(a), list(b)
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(type(a) is type(b) or isinstance(a, numbers.Number) and isinstance(b, numbers.Number)) and bool(
            a == b
        )
    except Exception:  # noqa: BLE001 (exotic == may raise)
        return False


class Stateful:
    """Mixin: an explicit, versioned, checked ``state_dict`` / ``load_state_dict``.

    Subclasses declare ``state_version`` and ``_state_fields`` (see the module docstring)
    and provide ``get_params()``; fields are merged over the MRO.
    """

    #: Version of the class's state format; bump it when the fields change.
    state_version: ClassVar[int] = 1
    #: Field name -> what a stored value must be.
    _state_fields: ClassVar[dict[str, StateField]] = {}
    #: Key naming the class in the state dict (``"teacher"``, ``"tracker"``).
    _state_kind: ClassVar[str] = "object"

    @classmethod
    def state_fields(cls) -> dict[str, StateField]:
        """The declared state fields of the class, merged over the MRO."""
        merged: dict[str, StateField] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("_state_fields", {}))
        return merged

    def get_params(self) -> dict[str, Any]:  # pragma: no cover (provided by subclasses)
        raise NotImplementedError

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Stateful:
        """An object built with the parameters of ``state``, then loaded with it."""
        if not isinstance(state, dict) or state.get(cls._state_kind) != cls.__name__ or not isinstance(
            state.get("params"), dict
        ):
            got = state.get(cls._state_kind) if isinstance(state, dict) else state
            raise ValueError(f"{cls.__name__}.from_state_dict: not a {cls.__name__} state: {short_repr(got)}")
        obj = cls(**copy.deepcopy(state["params"]))
        obj.load_state_dict(state)
        return obj

    def _state_context(self) -> dict[str, Any]:
        """Extra header entries that must match on load (a teacher's task space)."""
        return {}

    def _check_state_consistency(self, values: dict[str, Any]) -> None:
        """Cross-field checks of valid fields; raise a ``ValueError`` naming the field."""

    def state_dict(self) -> dict[str, Any]:
        """The state as a plain, picklable dict that shares nothing with the object."""
        return {
            self._state_kind: type(self).__name__,
            "version": type(self).state_version,
            "params": self.get_params(),
            **self._state_context(),
            "state": self._state_values(),
        }

    def _state_values(self) -> dict[str, Any]:
        """The stored value of every field (default: each attribute of the field's name)."""
        return {name: field.dump(getattr(self, name)) for name, field in type(self).state_fields().items()}

    def _assign_state(self, values: dict[str, Any]) -> None:
        """Set the attributes from checked, deep-copied stored values (default: each field
        through its :meth:`StateField.load`). Must not fail: everything was checked."""
        new = {}
        for name, field in type(self).state_fields().items():
            if isinstance(field, Via):
                new[name] = field.from_state(self, values[name])
            else:
                new[name] = field.load(values[name], getattr(self, name, None))
        for name, value in new.items():
            setattr(self, name, value)

    def check_state_dict(self, state: Any) -> None:
        """Raise a ``ValueError`` naming the first key, parameter or field of ``state`` that
        this object cannot load (see the module docstring); do nothing if it can."""
        owner = type(self).__name__
        context = self._state_context()
        keys = {self._state_kind, "version", "params", *context, "state"}
        if not isinstance(state, dict):
            raise ValueError(f"{owner}: a state must be a dict with keys {sorted(keys)}, got {_kind(state)}")
        if state.get(self._state_kind) != owner:
            raise ValueError(
                f"{owner}: state of {self._state_kind} {short_repr(state.get(self._state_kind))} "
                f"cannot be loaded into {owner}"
            )
        if set(state) != keys:
            missing, extra = sorted(keys - set(state)), sorted(map(str, set(state) - keys))
            raise ValueError(f"{owner}: state keys must be {sorted(keys)}; missing {missing}, unexpected {extra}")
        if not same_value(state["version"], type(self).state_version):
            raise ValueError(
                f"{owner}: state version {short_repr(state['version'])} is not this class's "
                f"state_version {type(self).state_version}"
            )
        params, mine = state["params"], self.get_params()
        if not isinstance(params, dict) or set(params) != set(mine):
            raise ValueError(f"{owner}: state params must have keys {sorted(mine)}, got {short_repr(params)}")
        for name, value in mine.items():
            if not same_value(params[name], value):
                raise ValueError(
                    f"{owner}: parameter {name!r} differs: the state has {short_repr(params[name])}, this "
                    f"{owner} has {short_repr(value)}; build the object from the state "
                    "(from_state_dict) to take its parameters"
                )
        for key, value in context.items():
            if not same_value(state[key], value):
                raise ValueError(f"{owner}: state {key} {short_repr(state[key])} differs from this {owner}'s {short_repr(value)}")
        values, fields = state["state"], type(self).state_fields()
        if not isinstance(values, dict):
            raise ValueError(f"{owner}: state['state'] must be a dict of fields, got {_kind(values)}")
        for name in fields:
            if name not in values:
                raise ValueError(f"{owner}: state field {name!r} is missing")
        for name in values:
            if name not in fields:
                raise ValueError(f"{owner}: state field {short_repr(name)} is not a field of {owner} ({sorted(fields)})")
        for name, field in fields.items():
            why = field.problem(values[name], self, getattr(self, name, None))
            if why is not None:
                raise ValueError(f"{owner}: state field {name!r} {why}")
        self._check_state_consistency(values)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`: all checked first, then all assigned (deep copies).

        :raises ValueError: naming the key, parameter or field that does not fit; the object
            is then unchanged.
        """
        self.check_state_dict(state)
        self._assign_state(copy.deepcopy(state["state"]))
