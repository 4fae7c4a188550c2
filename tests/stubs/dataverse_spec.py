"""The published Dataverse Web API metadata the stand-in checks every request against.

tests/specs/dataverse-webapi-v9.2-subset.json (its source in SOURCES.tsv) lists, per table, the entity
set, the primary key, the writable columns with their types and limits, the read-only columns a query
may name, and the single-valued navigation properties a body may bind. ``body_errors`` says what in a
create or update body Dataverse would refuse; ``column_errors`` does the same for ``$select``/``$filter``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["Table", "body_errors", "column_errors", "table_of_set", "tables"]

SPEC_NAME = "dataverse-webapi-v9.2-subset.json"
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_BIND = re.compile(r"^/?(?P<set>[a-z_]+)\((?P<id>[0-9a-fA-F-]{36})\)$")
# Types a body cannot set as plain values: lookups are bound through their navigation property,
# and the type-code columns are written by the platform.
_NOT_PLAIN = frozenset({"Lookup", "Owner", "Customer", "EntityName"})


@dataclass(frozen=True)
class Table:
    logical_name: str
    entity_set: str
    key: str
    writable: dict[str, dict[str, Any]]
    readonly: dict[str, dict[str, Any]]
    navigation: dict[str, tuple[str, ...]]  # navigation property -> the tables it may point to

    def column(self, name: str) -> dict[str, Any] | None:
        return self.writable.get(name) or self.readonly.get(name)


@cache
def tables() -> dict[str, Table]:
    path = Path(__file__).resolve().parents[1] / "specs" / SPEC_NAME
    raw = json.loads(path.read_text("utf-8"))["entities"]
    out = {}
    for name, t in raw.items():
        nav = {k: tuple(v) if isinstance(v, list) else (v,) for k, v in t["navigation"].items()}
        out[name] = Table(
            name, t["EntitySetName"], t["PrimaryIdAttribute"], t["writable"], t["readonly"], nav
        )
    return out


def table_of_set(entity_set: str) -> Table | None:
    return next((t for t in tables().values() if t.entity_set == entity_set), None)


def column_errors(table: Table, names: list[str]) -> list[str]:
    """Columns a query names that the table does not have (``_x_value`` lookups count as theirs)."""
    errors = []
    for name in names:
        lookup = re.fullmatch(r"_(\w+)_value", name)
        if lookup and table.column(lookup.group(1)):
            continue
        if table.column(name) is None:
            errors.append(
                f"Could not find a property named '{name}' on type "
                f"'Microsoft.Dynamics.CRM.{table.logical_name}'."
            )
    return errors


def body_errors(table: Table, body: object) -> list[str]:
    """What Dataverse would refuse in a POST/PATCH body for ``table`` (empty: a valid body)."""
    if not isinstance(body, dict):
        return ["The request body must be a JSON object."]
    errors = []
    for name, value in body.items():
        if name.endswith("@odata.bind"):
            errors += _bind_errors(table, name.removesuffix("@odata.bind"), value)
            continue
        column = table.writable.get(name)
        if column is None:
            kind = "read-only" if name in table.readonly else "undeclared"
            errors.append(
                f"An {kind} property '{name}' was found in the payload for "
                f"'Microsoft.Dynamics.CRM.{table.logical_name}'."
            )
            continue
        errors += _value_errors(name, column, value)
    return errors


def _bind_errors(table: Table, nav: str, value: object) -> list[str]:
    targets = table.navigation.get(nav)
    if targets is None:
        return [
            f"An undeclared navigation property '{nav}' was found on "
            f"'Microsoft.Dynamics.CRM.{table.logical_name}'."
        ]
    m = _BIND.match(value) if isinstance(value, str) else None
    if m is None:
        return [f"'{nav}@odata.bind' must be an entity reference such as /accounts(<guid>), got {value!r}."]
    bound = table_of_set(m["set"])
    if bound is None or bound.logical_name not in targets:
        return [f"'{nav}' cannot point to the entity set '{m['set']}' (it takes {', '.join(targets)})."]
    return []


def _value_errors(name: str, column: dict[str, Any], value: object) -> list[str]:
    kind = column["Type"]
    bad = f"The value of '{name}' ({kind}) is not valid: {str(value)[:60]!r}."
    if kind in _NOT_PLAIN:
        return [f"'{name}' is a {kind} column: set it through its navigation property with @odata.bind."]
    if value is None:
        return []
    if kind in ("String", "Memo"):
        if not isinstance(value, str):
            return [bad]
        limit = column.get("MaxLength")
        return [f"'{name}' is longer than its MaxLength {limit}."] if limit and len(value) > limit else []
    if kind == "Integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [bad]
        low, high = column.get("MinValue", -(2**31)), column.get("MaxValue", 2**31 - 1)
        return [] if low <= value <= high else [bad]
    if kind == "Boolean":
        return [] if isinstance(value, bool) else [bad]
    if kind in ("Picklist", "State", "Status"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value in column.get("Options", [])
        return [] if ok else [bad]
    if kind == "Uniqueidentifier":
        return [] if isinstance(value, str) and GUID.match(value) else [bad]
    if kind == "DateTime":
        if not isinstance(value, str):
            return [bad]
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return [bad]
        # Edm.DateTimeOffset: a date-only string is accepted only for DateOnly columns.
        return [] if "T" in value and parsed.tzinfo is not None else [bad]
    return [bad]
