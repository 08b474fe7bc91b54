"""The command line of a run, generated from :class:`~students.config.RunConfig`.

Every field of ``RunConfig`` is a flag (``steps`` → ``--steps``) whose help is the field's
``:param:`` text in the class docstring, so the CLI cannot drift from the config:

- ``bool`` fields are switches with a negative form (``--normalize`` / ``--no-normalize``);
- mapping fields (``env_kwargs``, ``teacher_params``, ``student_params``) take ``KEY=VALUE``
  items or a YAML mapping, repeatable and merged (``--teacher-params fit_rate=100``);
- ``list[str]`` fields take several words (``--wandb-tags a b``);
- plain ``str`` fields take the text as it is; every other field takes YAML
  (``--steps 1e5`` is a float and is refused by validation; ``--levels "[[0, 1.5], [1, 0.6]]"``,
  ``--torch-threads null``).

Precedence: ``RunConfig`` defaults < ``--config FILE`` < flags. Flags left out are not set
(``argparse.SUPPRESS``), so a flag always wins and an absent one never overrides the file.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import typing
from typing import Any

import yaml

from students.config import RESUME_FIELDS, RunConfig, load_yaml, parse_overrides

__all__ = [
    "ALIASES", "RESUME_FIELDS", "add_config_arguments", "config_from_args", "field_docs", "flag_of",
    "given_fields", "resume_changes",
]

#: Extra option strings of some fields (the singular forms read better when repeated).
ALIASES: dict[str, tuple[str, ...]] = {
    "teacher_params": ("--teacher-param",),
    "student_params": ("--student-param",),
}


def flag_of(name: str) -> str:
    """The flag of field ``name``: ``"n_envs"`` → ``"--n-envs"``."""
    return "--" + name.replace("_", "-")


def field_docs(cls: type = RunConfig) -> dict[str, str]:
    """Each field's ``:param name: text`` from the class docstring, on one line."""
    doc = typing.cast(str, cls.__doc__ or "")
    out = {}
    for match in re.finditer(r":param (\w+):(.*?)(?=\n\s*:param |\Z)", doc, flags=re.S):
        out[match.group(1)] = " ".join(match.group(2).split()).replace("``", "")
    return out


def _kind(hint: Any) -> str:
    """How a field's value is read from the command line."""
    if hint is bool or hint == bool | None:
        return "bool"
    if hint is str or hint == str | None:
        return "str"
    origin = typing.get_origin(hint)
    if origin is dict:
        return "mapping"
    if origin is list and typing.get_args(hint) == (str,):
        return "words"
    return "yaml"


def _yaml_value(text: str) -> Any:
    try:
        return load_yaml(text)
    except yaml.YAMLError as err:
        raise argparse.ArgumentTypeError(f"not valid YAML: {text!r}") from err


def add_config_arguments(parser: argparse.ArgumentParser, cls: type = RunConfig) -> None:
    """Add one flag per field of ``cls`` (a dataclass) to ``parser``."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    defaults = cls()
    group = parser.add_argument_group(f"run configuration (fields of {cls.__module__}.{cls.__name__})")
    for f in dataclasses.fields(cls):
        kind = _kind(hints[f.name])
        if f.name not in docs:
            raise TypeError(f"{cls.__name__}.{f.name} has no ':param {f.name}:' line in the class docstring")
        default = getattr(defaults, f.name)
        text = f"{docs[f.name]} (default: {default!r})".replace("%", "%%")
        names = (flag_of(f.name), *ALIASES.get(f.name, ()))
        common: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": text}
        if kind == "bool":
            group.add_argument(*names, action=argparse.BooleanOptionalAction, **common)
        elif kind == "mapping":
            group.add_argument(*names, action="append", metavar="K=V|{YAML}", **common)
        elif kind == "words":
            group.add_argument(*names, nargs="*", metavar="WORD", **common)
        elif kind == "str":
            group.add_argument(*names, metavar=f.name.upper(), **common)
        else:
            metavar = "N" if hints[f.name] in (int, int | None) else "YAML"
            group.add_argument(*names, type=_yaml_value, metavar=metavar, **common)


def _mapping_items(name: str, items: list[str]) -> dict[str, Any]:
    """Merge ``KEY=VALUE`` items and YAML mappings, in order."""
    out: dict[str, Any] = {}
    for item in items:
        if item.lstrip().startswith("{"):
            try:
                value = load_yaml(item)
            except yaml.YAMLError:
                raise ValueError(f"{flag_of(name)}: not valid YAML: {item!r}") from None
            if not isinstance(value, dict):
                raise ValueError(f"{flag_of(name)} {item!r} is not a YAML mapping")
            out.update(value)
        else:
            try:
                out.update(parse_overrides([item], flag_of(name)))
            except ValueError:
                raise ValueError(
                    f"{flag_of(name)} {item!r} is neither KEY=VALUE (a YAML value) nor a YAML mapping"
                ) from None
    return out


def given_fields(args: argparse.Namespace) -> list[str]:
    """The config fields set on the command line."""
    return [f.name for f in dataclasses.fields(RunConfig) if hasattr(args, f.name)]


def config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The config dict the flags describe: defaults < ``--config`` file < flags.

    :raises ValueError: for a bad ``--config`` file or a bad mapping item.
    """
    data = RunConfig.from_yaml(args.config).to_dict() if getattr(args, "config", None) else RunConfig().to_dict()
    hints = typing.get_type_hints(RunConfig)
    for name in given_fields(args):
        value = getattr(args, name)
        if _kind(hints[name]) == "mapping":
            value = {**(data.get(name) or {}), **_mapping_items(name, value)}
        data[name] = value
    return data


def resume_changes(args: argparse.Namespace) -> dict[str, Any]:
    """What a ``--resume`` may change: :data:`RESUME_FIELDS` given on the command line.

    :raises ValueError: naming the other flags given (the run's ``config.yaml`` rules them).
    """
    given = given_fields(args)
    other = [flag_of(n) for n in given if n not in RESUME_FIELDS]
    if other or getattr(args, "config", None):
        other += ["--config"] if getattr(args, "config", None) else []
        raise ValueError(
            f"with --resume only {', '.join(flag_of(n) for n in RESUME_FIELDS)} may be given "
            f"(the run's config.yaml holds the rest); got {', '.join(other)}"
        )
    return {name: getattr(args, name) for name in given}
