"""The storage primitive under the bot's state: versioned records, one implementation per backend.

A record is addressed by ``(kind, part, row)``: ``kind`` names the record kind (a table), ``part``
groups records that are read together (Table Storage's PartitionKey), ``row`` tells them apart
within it (RowKey; ``ONE`` for a record alone in its partition). Its value is a flat dict of
str/int/float/bool (what a Table Storage entity can hold). Every write gives the record a new
``version``; writes that must not lose a race say which version they read.

Six operations, the same contract on every backend (tests/test_bot_records.py runs it on both):

- ``get``: the record and its version, or None.
- ``insert``: create it if absent; True for exactly one of any number of racing callers.
- ``replace``: overwrite it only if it still has the version read before; False when another
  writer changed, deleted or re-created it since (a version is never reused).
- ``put``: create or overwrite, whatever is there (last writer wins; one round trip).
- ``delete``: remove it (only at ``version`` when one is given); absent is not an error.
- ``scan``: the records of a kind, or of one partition, in row order; ``where`` keeps those
  whose field has one of the given values (filtered by the backend, not after the transfer).

Backends: ``bot/records_sqlite.py`` (one file, WAL) and ``bot/records_azure.py`` (Azure Table
Storage, several instances). What the bot keeps, and how, is written once above this, in
``bot/state.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ONE", "Entry", "Records", "Value", "field_name"]

ONE = "0"  # the row of a record that is alone in its partition (Table Storage data used "0")

Value = dict[str, Any]
Where = Mapping[str, Sequence[str]]

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class Entry:
    """A record as read: its value and the version that ``replace``/``delete`` compare against."""

    value: Value
    version: str


def field_name(name: str) -> str:
    """``name`` if it can stand in a filter (SQLite JSON path, OData): identifiers only."""
    if not _FIELD.fullmatch(name):
        raise ValueError(f"{name!r} is not a record field name")
    return name


class Records(Protocol):
    async def start(self) -> None:
        """Open the storage (create what is missing); idempotent. Raises ConfigError when unusable."""
        ...

    async def close(self) -> None: ...

    async def get(self, kind: str, part: str, row: str = ONE) -> Entry | None: ...

    async def insert(self, kind: str, part: str, value: Value, row: str = ONE) -> bool: ...

    async def replace(self, kind: str, part: str, value: Value, version: str, row: str = ONE) -> bool: ...

    async def put(self, kind: str, part: str, value: Value, row: str = ONE) -> None: ...

    async def delete(self, kind: str, part: str, row: str = ONE, version: str | None = None) -> None: ...

    async def scan(
        self, kind: str, part: str | None = None, *, where: Where | None = None, limit: int | None = None
    ) -> list[Entry]: ...
