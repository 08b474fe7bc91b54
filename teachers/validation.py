"""Declarative validation of parameters and inputs, in the spirit of scikit-learn's
``_param_validation``.

A class lists, for each constructor parameter, the constraints one of which its value must
satisfy; the value is checked once, on construction, and a bad one is a ``ValueError`` that
names the owner, the parameter, what was expected and the value::

    class MyTeacher(Teacher):
        _parameter_constraints = {
            "fit_rate": [Interval(Integral, 1, None)],
            "criterion": [Options({"aic", "bic"})],
            "initial_dist": [None, dict],
        }

Constraints: :class:`Interval` (real or integral numbers in a range; never ``bool``, never
NaN), :class:`Options` (one of a set of values), :class:`SequenceOf` (a list or tuple of
values satisfying a constraint), :class:`Boolean`, :class:`InstanceOf` (or just a type),
:class:`Satisfies` (a predicate with a description), and ``None`` (the value ``None``).

Classes inherit from :class:`ParamValidated`: the constraints of every class of the MRO are
merged, and each ``__init__`` a class defines validates its own arguments before it runs.
:func:`validate_params` does the same for a plain mapping (``RunConfig`` uses it) and
:func:`invalid_values` gives values that break a parameter's constraints (the conformance
checks feed them to constructors).

:func:`check_real` is the one reader of a real-number input (a score, a reward): it refuses
strings, bools, sequences and numbers that do not fit a float64.
"""

from __future__ import annotations

import abc
import copy
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Boolean",
    "Constraint",
    "InstanceOf",
    "Integral",
    "Interval",
    "Options",
    "ParamValidated",
    "Real",
    "Satisfies",
    "SequenceOf",
    "check_real",
    "describe",
    "invalid_values",
    "make_constraint",
    "short_repr",
    "validate_params",
]

Integral = numbers.Integral
Real = numbers.Real

_MAX_REPR = 120


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to about 120 characters (error messages name huge values too)."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 5] + "...)"


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


class Constraint(abc.ABC):
    """One acceptable kind of value for a parameter."""

    @abc.abstractmethod
    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` satisfies the constraint (never raises)."""

    @abc.abstractmethod
    def __str__(self) -> str:
        """What the constraint expects, in words (used in error messages)."""


class _NoneConstraint(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


class InstanceOf(Constraint):
    """An instance of ``kind`` (``bool`` is not accepted as a number).

    :param kind: a type or a tuple of types.
    """

    def __init__(self, kind: type | tuple[type, ...]) -> None:
        self.kind = kind

    def is_satisfied_by(self, value: Any) -> bool:
        if _is_bool(value) and not (isinstance(self.kind, type) and issubclass(self.kind, bool)):
            return False
        return isinstance(value, self.kind)

    def __str__(self) -> str:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        return " or ".join(f"an instance of {k.__name__!r}" for k in kinds)


class Boolean(Constraint):
    """``True`` or ``False`` (Python or numpy bools; not 0 and 1)."""

    def is_satisfied_by(self, value: Any) -> bool:
        return _is_bool(value)

    def __str__(self) -> str:
        return "a bool"


class Interval(Constraint):
    """A number of type ``kind`` (:data:`Integral` or :data:`Real`) between two bounds.

    Reals must be finite unless a bound is infinite and closed on that side; NaN and bools
    never satisfy an interval.

    :param kind: :data:`Integral` (``int``, numpy integers) or :data:`Real` (also ints).
    :param left: lower bound, or ``None`` for none.
    :param right: upper bound, or ``None`` for none.
    :param closed: which bounds belong to the interval: ``"both"`` (default), ``"left"``,
        ``"right"`` or ``"neither"``.
    """

    def __init__(
        self,
        kind: type,
        left: float | None,
        right: float | None,
        closed: str = "both",
    ) -> None:
        if kind not in (Integral, Real):
            raise TypeError(f"Interval kind must be numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither', got {closed!r}")
        if left is not None and right is not None and left > right:
            raise ValueError(f"Interval left bound {left!r} is above its right bound {right!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        if _is_bool(value) or not isinstance(value, self.kind):
            return False
        if self.kind is Real:
            try:
                x = float(value)
            except (OverflowError, TypeError, ValueError):
                return False
            if math.isnan(x) or (math.isinf(x) and not self._allows_inf(x)):
                return False
        else:
            x = value
        if self.left is not None:
            if x < self.left or (x == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if x > self.right or (x == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def _allows_inf(self, x: float) -> bool:
        bound = self.right if x > 0 else self.left
        closed = self.closed in (("both", "right") if x > 0 else ("both", "left"))
        return bound is not None and math.isinf(bound) and closed

    def __str__(self) -> str:
        kind = "an int" if self.kind is Integral else "a real number"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        lb = "[" if self.left is not None and self.closed in ("both", "left") else "("
        rb = "]" if self.right is not None and self.closed in ("both", "right") else ")"
        return f"{kind} in {lb}{lo}, {hi}{rb}"


class Options(Constraint):
    """One of a fixed set of values (compared by equality, of the same type).

    :param options: the accepted values.
    """

    def __init__(self, options: Collection[Any]) -> None:
        self.options = tuple(options)

    def is_satisfied_by(self, value: Any) -> bool:
        if _is_bool(value):  # True == 1: a bool is only one of bool options
            return any(_is_bool(o) and o == value for o in self.options)
        try:
            return any(type(o) is type(value) and o == value for o in self.options)
        except Exception:  # noqa: BLE001 (== of exotic objects may raise)
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)


class SequenceOf(Constraint):
    """A list or tuple (or 1-D numpy array) whose items all satisfy ``item``.

    :param item: the constraint of every item (a constraint, a type or ``None``).
    :param min_len: fewest items (default 1: empty sequences are refused).
    :param max_len: most items, or ``None``.
    """

    def __init__(self, item: Any, min_len: int = 1, max_len: int | None = None) -> None:
        self.item = make_constraint(item)
        self.min_len, self.max_len = min_len, max_len

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                return False
            value = value.tolist()
        if not isinstance(value, list | tuple):
            return False
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            return False
        return all(self.item.is_satisfied_by(v) for v in value)

    def __str__(self) -> str:
        size = f"at least {self.min_len}" if self.max_len is None else f"{self.min_len} to {self.max_len}"
        return f"a list of {size} items, each {self.item}"


class Satisfies(Constraint):
    """Any value for which ``predicate(value)`` is true (exceptions count as false).

    :param predicate: the test.
    :param description: what it expects, in words (e.g. ``"a mapping with 'mean' and 'std'"``).
    """

    def __init__(self, predicate: Callable[[Any], bool], description: str) -> None:
        self.predicate, self.description = predicate, description

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:  # noqa: BLE001 (a predicate failing on odd input means "no")
            return False

    def __str__(self) -> str:
        return self.description


def make_constraint(constraint: Any) -> Constraint:
    """A :class:`Constraint` from its short form: ``None`` or a type (or a constraint)."""
    if isinstance(constraint, Constraint):
        return constraint
    if constraint is None:
        return _NoneConstraint()
    if isinstance(constraint, type) or (
        isinstance(constraint, tuple) and all(isinstance(k, type) for k in constraint)
    ):
        return InstanceOf(constraint)
    raise TypeError(f"not a constraint: {constraint!r}")


def describe(constraints: Iterable[Any]) -> str:
    """The constraints of one parameter in words: ``"an int in [1, inf) or None"``."""
    texts = [str(make_constraint(c)) for c in constraints]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def validate_params(
    params: Mapping[str, Any],
    constraints: Mapping[str, Sequence[Any]],
    owner: str,
) -> None:
    """Check every parameter of ``params`` that has constraints.

    :param params: name -> value.
    :param constraints: name -> list of acceptable constraints (the value must satisfy one).
    :param owner: who takes the parameters (a class name, ``"RunConfig"``), named in errors.
    :raises ValueError: ``"<owner>: <name> must be <expected>, got <value>"`` for the first
        value that satisfies none of its constraints.
    """
    for name, value in params.items():
        options = constraints.get(name)
        if options is None:
            continue
        if not any(make_constraint(c).is_satisfied_by(value) for c in options):
            raise ValueError(f"{owner}: {name} must be {describe(options)}, got {short_repr(value)}")


# Values tried by invalid_values(): one of each kind a user (or a YAML file) can produce.
_PROBES: tuple[Any, ...] = (
    "abc", True, None, -1, 0, 1, 2, 3, 0.5, 2.9, -0.5, 1.5, 1e9, -1e9,
    float("nan"), float("inf"), -float("inf"), [], [1, 2], ["a"], {"x": 1}, (), object(),
)


def invalid_values(constraints: Sequence[Any]) -> list[Any]:
    """Values from a fixed probe set that satisfy none of ``constraints``.

    Used by the conformance checks: each of them must be refused with a ``ValueError``.
    """
    made = [make_constraint(c) for c in constraints]
    return [v for v in _PROBES if not any(c.is_satisfied_by(v) for c in made)]


class ParamValidated:
    """Mixin: constructor arguments are validated against ``_parameter_constraints``.

    Each class may declare ``_parameter_constraints`` (name -> list of constraints); those
    of its bases are inherited and may be overridden by name. Every ``__init__`` defined in
    a subclass is wrapped so that its arguments (defaults included) are validated before its
    body runs; its signature is unchanged (``inspect.signature`` follows the wrapper).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}
    #: Constructor arguments that are not parameters (e.g. a teacher's ``task_space``).
    _non_params: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _param_names(cls) -> list[str]:
        """Names of the constructor parameters (``self``, ``*args``, ``**kwargs`` and
        :attr:`_non_params` excluded)."""
        sig = inspect.signature(cls.__init__)
        return [
            name
            for name, p in sig.parameters.items()
            if name != "self" and name not in cls._non_params and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as scikit-learn's ``get_params`` (deep copies).

        Every parameter must be stored under an attribute of the same name.
        """
        return {name: copy.deepcopy(getattr(self, name)) for name in self._param_names()}

    @classmethod
    def parameter_constraints(cls) -> dict[str, list[Any]]:
        """The constraints of every constructor parameter, merged over the MRO."""
        merged: dict[str, list[Any]] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("_parameter_constraints", {}))
        return merged

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_validates_params", False):
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            try:
                bound = signature.bind(self, *args, **kw)
            except TypeError as err:
                raise TypeError(f"{type(self).__name__}: {err}") from None
            bound.apply_defaults()  # defaults are validated too (a required value may default to None)
            values: dict[str, Any] = {}
            for name, value in list(bound.arguments.items())[1:]:
                kind = signature.parameters[name].kind
                if kind is inspect.Parameter.VAR_KEYWORD:
                    values.update(value)
                elif kind is not inspect.Parameter.VAR_POSITIONAL:
                    values[name] = value
            validate_params(values, type(self).parameter_constraints(), type(self).__name__)
            init(self, *args, **kw)

        __init__._validates_params = True  # type: ignore[attr-defined]
        cls.__init__ = __init__  # type: ignore[method-assign]


def check_real(value: Any, what: str = "value") -> float:
    """Read one real-number input (a score, a reward) as a finite float.

    Accepted: Python and numpy reals (ints included) and 0-d numeric arrays. Refused with a
    ``ValueError`` naming ``what`` and the value: strings, bools, ``None``, sequences and
    arrays of other shapes, complex numbers, NaN, infinities and integers beyond float range
    (``10**400``).
    """
    original = value
    if isinstance(value, np.ndarray) and value.shape == ():
        if value.dtype.kind not in "iuf":
            raise ValueError(f"{what} {short_repr(original)} is not a real number")
        value = value[()]
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} {short_repr(original)} is not a real number")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{what} {short_repr(original)} is too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} {short_repr(original)} is not finite")
    return x
