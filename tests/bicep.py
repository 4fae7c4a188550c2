"""Bicep templates read with pycep-parser, and a small evaluator for the expressions the tests need.

No Bicep CLI can be installed here, so the tests check the template through the same parser checkov
uses: a syntax error fails with the file and line, and the values the app depends on (its environment,
its port, its network settings) are evaluated from the parsed tree for given parameters.

pycep returns identifiers and string literals alike as Python strings; a string that names a declared
parameter, variable or resource (or a loop variable) is read as a reference, anything else as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

from tests.conftest import ROOT

_SKIPPED_DIRS = {".git", "node_modules", "test-artifacts", "out"}
# Bicep functions and namespaces that a property access may start from.
BUILTIN_ROOTS = {"az", "sys", "environment", "resourceGroup", "subscription", "tenant", "deployment"}


class BicepSyntaxError(AssertionError):
    pass


def bicep_files(root: Path = ROOT) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        # Pruned, not filtered: node_modules and the virtual environments hold thousands of folders.
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".venv")]
        found += [Path(folder) / f for f in files if f.endswith(".bicep")]
    return sorted(found)


@cache
def _parser() -> BicepParser:
    return BicepParser()


def parse_text(text: str, name: str = "<text>") -> dict[str, Any]:
    try:
        return _parser().parse(text=text)
    except Exception as error:  # lark's errors carry line and column
        line, column = getattr(error, "line", "?"), getattr(error, "column", "?")
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BicepSyntaxError(f"{name}:{line}:{column}: not valid Bicep: {reason}") from None


@cache
def parse(path: Path) -> dict[str, Any]:
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return parse_text(path.read_text(encoding="utf-8"), str(shown))


@cache
def _expression(text: str) -> Any:
    return parse_text(f"var x = {text}\n", f"${{{text}}}")["variables"]["x"]["value"]


def _operands(node: Mapping[str, Any]) -> list[Any]:
    """An operator's operands or a function's arguments (pycep fills omitted optional ones with None)."""
    if "operands" in node:
        return list(node["operands"].values())
    return [v for v in (node.get("parameters") or {}).values() if v is not None]


def render(node: Any) -> str:
    """Bicep-like text of an expression, for messages and for looking up fakes."""
    if isinstance(node, dict) and "operator" in node:
        op = node["operator"]
        if op["type"] == "property_accessor":
            first, rest = _operands(op)
            return f"{render(first)}.{render(rest)}"
        if op["type"] == "index_accessor":
            first, index = _operands(op)
            return f"{render(first)}[{render(index)}]"
        return f"{op['type']}({', '.join(render(o) for o in _operands(op))})"
    if isinstance(node, dict) and "function" in node:
        fn = node["function"]
        return f"{fn['type']}({', '.join(render(a) for a in _operands(fn))})"
    return str(node)


@dataclass
class Template:
    path: Path
    tree: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.tree = parse(self.path)
        self._symbols = set(self.params) | set(self.variables) | set(self.resources) | self.loop_names()

    @property
    def params(self) -> dict[str, Any]:
        return self.tree["parameters"]

    @property
    def variables(self) -> dict[str, Any]:
        return self.tree["variables"]

    @property
    def resources(self) -> dict[str, Any]:
        return self.tree["resources"]

    def body(self, resource: str) -> dict[str, Any]:
        """A resource's body, inside its condition and loop if it has them."""
        config = self.resources[resource]["config"]
        while "config" in config and ("condition" in config or "loop_type" in config):
            config = config["config"]
        return config

    def loop_names(self) -> set[str]:
        names: set[str] = set()
        for node in walk(self.tree):
            if isinstance(node, dict) and isinstance(node.get("loop_type"), dict):
                detail = node["loop_type"].get("detail", {})
                names |= {detail[k] for k in ("item_name", "index_name") if detail.get(k)}
        return names

    def symbols(self) -> set[str]:
        return set(self._symbols)

    def references(self, node: Any) -> set[str]:
        """Declared symbols an expression uses (through variables, not into them)."""
        found: set[str] = set()
        for item in walk(node, skip_property_names=True):
            if isinstance(item, str):
                found |= {item} & self._symbols
                for inner in re.findall(r"\$\{(.+?)\}", item):
                    found |= self.references(_expression(inner))
        return found

    def evaluator(self, params: Mapping[str, Any], fakes: Mapping[str, Any]) -> Evaluator:
        return Evaluator(self, dict(params), dict(fakes))


def walk(node: Any, *, skip_property_names: bool = False) -> Iterator[Any]:
    """Every node of a parsed tree; with skip_property_names, the ``.name`` after a dot is left out."""
    yield node
    if isinstance(node, dict):
        op = node.get("operator")
        if skip_property_names and isinstance(op, dict) and op.get("type") == "property_accessor":
            first, _rest = _operands(op)
            yield from walk(first, skip_property_names=True)
            return
        for value in node.values():
            yield from walk(value, skip_property_names=skip_property_names)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, skip_property_names=skip_property_names)


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _date_add(base: str, duration: str) -> str:
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)D)?", duration)
    assert m, f"dateTimeAdd duration {duration!r}: extend tests/bicep.py"
    days = 365 * int(m[1] or 0) + int(m[2] or 0)
    return (_date(base) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _resource_id(resource_type: str, *names: str) -> str:
    namespace, *types = resource_type.split("/")
    return f"/providers/{namespace}/" + "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))


_FUNCTIONS: dict[str, Any] = {
    "concat": lambda *parts: (
        [x for p in parts for x in p] if isinstance(parts[0], list) else "".join(map(str, parts))
    ),
    "string": str,
    "to_lower": str.lower,
    "take": lambda value, n: value[:n],
    "replace": lambda value, old, new: value.replace(old, new),
    "empty": lambda value: not value,
    "json": lambda value: value,
    "utc_now": lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "date_time_add": _date_add,
    "date_time_to_epoch": lambda text: int(_date(text).timestamp()),
    "resource_id": _resource_id,
}
_OPERATORS: dict[str, Any] = {
    "equals": lambda a, b: a == b,
    "not_equals": lambda a, b: a != b,
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "not": lambda a: not a,
}


@dataclass
class Evaluator:
    """Evaluates expressions the way ARM would for one deployment.

    ``params`` are the deployment's parameter values (defaults fill the rest); ``fakes`` stand for what
    only Azure knows, keyed by the expression's text: ``tenant().tenantId``, ``storage.properties...``.
    """

    template: Template
    params: dict[str, Any]
    fakes: dict[str, Any]

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if isinstance(node, str):
            return self._string(node)
        if not isinstance(node, dict):
            return node
        if render(node) in self.fakes:
            return self.fakes[render(node)]
        if "operator" in node:
            return self._operator(node["operator"])
        if "function" in node:
            fn = node["function"]
            if fn["type"] not in _FUNCTIONS:
                raise AssertionError(f"no value for {render(node)}: add it to the test's fakes")
            return _FUNCTIONS[fn["type"]](*(self.value(a) for a in _operands(fn)))
        return {key: self.value(value) for key, value in node.items()}

    def resource_id(self, resource: str) -> str:
        """Like ARM's, without subscription and resource group: /providers/<namespace>/<type>/<name>/..."""
        body = self.template.body(resource)
        kind = self.template.resources[resource]["type"]
        name = self.value(body["name"])
        if isinstance(body.get("parent"), str):
            return f"{self.resource_id(body['parent'])}/{kind.rsplit('/', 1)[1]}/{name}"
        return _resource_id(kind, *name.split("/"))

    def variable(self, name: str) -> Any:
        return self.value(self.template.variables[name]["value"])

    def _string(self, text: str) -> Any:
        if text in self.fakes:
            return self.fakes[text]
        if text in self.template.params:
            if text in self.params:
                return self.params[text]
            default = self.template.params[text].get("default")
            if default is None:
                raise AssertionError(f"parameter {text} has no default: pass it to the evaluator")
            return self.value(default)
        if text in self.template.variables:
            return self.variable(text)
        if "${" in text:
            return re.sub(r"\$\{(.+?)\}", lambda m: str(self.value(_expression(m[1]))), text)
        return text

    def _operator(self, op: dict[str, Any]) -> Any:
        kind = op["type"]
        if kind == "conditional":
            condition, when_true, when_false = _operands(op)
            return self.value(when_true) if self.value(condition) else self.value(when_false)
        if kind == "property_accessor":
            first, rest = _operands(op)
            if isinstance(first, str) and first in self.template.resources:
                if rest in ("id", "name"):
                    return (
                        self.resource_id(first)
                        if rest == "id"
                        else self.value(self.template.body(first)["name"])
                    )
                raise AssertionError(f"no value for {render({'operator': op})}: add it to the test's fakes")
            target = self.value(first)
            while True:  # the accessor chain is nested to the right: a.(b.(c))
                if isinstance(rest, dict) and rest.get("operator", {}).get("type") == "property_accessor":
                    key, rest = _operands(rest["operator"])
                    target = target[key]
                else:
                    return target[rest]
        if kind in _OPERATORS:
            return _OPERATORS[kind](*(self.value(o) for o in _operands(op)))
        raise AssertionError(f"cannot evaluate the Bicep operator {kind}: extend tests/bicep.py")
