"""Strategies by name (built-ins and user plugins): the CLI lists and builds strategies by name; users add their own."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from strategies.base import Strategy
from strategies.plugin_errors import PluginError, located, mark_plugin_file

__all__ = [
    "ParamInfo",
    "PluginError",
    "UnknownStrategyError",
    "create",
    "get",
    "load_module",
    "names",
    "param_table",
    "register",
]

_REGISTRY: dict[str, type[Strategy[Any]]] = {}

S = TypeVar("S", bound=type[Strategy[Any]])


class UnknownStrategyError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ParamInfo:
    name: str
    type: str
    default: Any
    description: str


def register(cls: S) -> S:
    """Class decorator: make a strategy available by its `name`."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} must set a non-empty class attribute `name`")
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls:
        existing_path = f"{existing.__module__}.{existing.__qualname__}"
        if existing_path != f"{cls.__module__}.{cls.__qualname__}":
            raise ValueError(f"strategy name {name!r} is already registered by {existing_path}")
    _REGISTRY[name] = cls
    return cls


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> type[Strategy[Any]]:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(names())
        raise UnknownStrategyError(f"unknown strategy {name!r} (known: {known})") from None


def create(name: str, **params: Any) -> Strategy[Any]:
    return get(name)(**params)


def param_table(name: str) -> list[ParamInfo]:
    cls = get(name)
    rows = []
    for field, info in cls.Params.model_fields.items():
        ann = info.annotation
        type_name = getattr(ann, "__name__", str(ann))
        rows.append(ParamInfo(field, type_name, info.default, info.description or ""))
    return rows


def load_module(spec: str) -> None:
    """Import a module (dotted name or .py path) whose strategies register themselves.

    Whatever goes wrong in the user's module (it is missing, does not parse, raises, registers
    a name already taken) is one PluginError naming the module, the line and the problem."""
    if spec.endswith(".py"):
        _load_file(spec)
        return
    if spec in sys.modules:
        return
    try:
        found = importlib.util.find_spec(spec)
    except (ImportError, ValueError) as exc:  # a parent package is missing, or a bad name
        raise PluginError(f"cannot import strategy module {spec!r}: {exc}") from None
    if found is None:
        raise PluginError(f"cannot import strategy module {spec!r}: no module of that name")
    mark_plugin_file(found.origin)
    try:
        importlib.import_module(spec)
    except Exception as exc:  # the user's code: any exception at import is bad input
        mark_plugin_file(found.origin, loaded=False)
        raise located(spec, found.origin, exc) from None


def _load_file(spec: str) -> None:
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"strategy module file not found: {spec}")
    mod_name = f"gauntlet_user_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:
        raise PluginError(f"cannot import strategy module {spec}: not a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    mark_plugin_file(module_spec.origin)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: any exception at import is bad input
        del sys.modules[mod_name]
        mark_plugin_file(module_spec.origin, loaded=False)
        raise located(spec, module_spec.origin, exc) from None
