"""The record primitive (bot/records.py) in one SQLite file, for a single bot instance.

One table holds every kind: ``records(kind, part, row, value, version)``, the value as JSON text,
so a new record kind needs no schema change. An admin inspects it with
``SELECT part, value FROM records WHERE kind = 'runs'``. The file is opened in WAL mode (a reader
never blocks the bot's writes) with SQLite's default ``synchronous=FULL``: every write is
committed, and synced, before the call returns.

Versions are random, never a counter: a record deleted and created again must not get back a
version someone read before the delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import aiosqlite

from bot.records import ONE, Entry, Value, Where, field_name
from mcem.errors import ConfigError

__all__ = ["LEGACY_TABLES", "SqliteRecords"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind    TEXT NOT NULL,
    part    TEXT NOT NULL,
    row     TEXT NOT NULL,
    value   TEXT NOT NULL,   -- JSON object
    version TEXT NOT NULL,
    PRIMARY KEY (kind, part, row)
) WITHOUT ROWID;
"""

# The tables of the schema before the record primitive (one per kind); bot/state.py moves their
# rows into ``records`` at start-up and drops them.
LEGACY_TABLES = (
    "personal_chats",
    "transcripts",
    "runs",
    "run_emails",
    "ended_meetings",
    "settings",
    "active_runs",
    "leases",
)


def _owner_only(path: str) -> None:
    """The database and its -wal/-shm readable by the bot's user only (0600), whatever the umask.

    They hold users' chat references and their claims. SQLite creates -wal/-shm with the database
    file's mode, so creating that file 0600 first covers them; existing files are tightened too.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(name, 0o600)


def _version() -> str:
    return uuid.uuid4().hex


class SqliteRecords:
    """One aiosqlite connection, used from one event loop (the disk never blocks the loop)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None

    async def start(self) -> None:
        if self._conn is not None:
            return
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                _owner_only(self.path)
            db = await aiosqlite.connect(self.path)
            try:
                if self.path != ":memory:":
                    await db.execute("PRAGMA journal_mode=WAL")
                    _owner_only(self.path)
                await db.executescript(_SCHEMA)
                await db.commit()
            except BaseException:
                await db.close()
                raise
        except (OSError, sqlite3.Error) as err:
            raise ConfigError(
                f"MCEM_STATE_PATH={self.path} cannot be used as the bot's SQLite database "
                f"({type(err).__name__}): point it at a writable file."
            ) from None
        self._conn = db

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @property
    def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("SqliteRecords used before start()")
        return self._conn

    async def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        cursor = await self._db.execute(sql, args)
        await self._db.commit()
        return cursor.rowcount

    async def get(self, kind: str, part: str, row: str = ONE) -> Entry | None:
        async with self._db.execute(
            "SELECT value, version FROM records WHERE kind = ? AND part = ? AND row = ?", (kind, part, row)
        ) as cursor:
            found = await cursor.fetchone()
        return Entry(json.loads(found[0]), str(found[1])) if found else None

    async def insert(self, kind: str, part: str, value: Value, row: str = ONE) -> bool:
        added = await self._write(
            "INSERT OR IGNORE INTO records (kind, part, row, value, version) VALUES (?, ?, ?, ?, ?)",
            (kind, part, row, json.dumps(value), _version()),
        )
        return added == 1

    async def replace(self, kind: str, part: str, value: Value, version: str, row: str = ONE) -> bool:
        changed = await self._write(
            "UPDATE records SET value = ?, version = ?"
            " WHERE kind = ? AND part = ? AND row = ? AND version = ?",
            (json.dumps(value), _version(), kind, part, row, version),
        )
        return changed == 1

    async def put(self, kind: str, part: str, value: Value, row: str = ONE) -> None:
        await self._write(
            "INSERT OR REPLACE INTO records (kind, part, row, value, version) VALUES (?, ?, ?, ?, ?)",
            (kind, part, row, json.dumps(value), _version()),
        )

    async def delete(self, kind: str, part: str, row: str = ONE, version: str | None = None) -> None:
        sql = "DELETE FROM records WHERE kind = ? AND part = ? AND row = ?"
        args: tuple[Any, ...] = (kind, part, row)
        if version is not None:
            sql, args = sql + " AND version = ?", (*args, version)
        await self._write(sql, args)

    async def scan(
        self, kind: str, part: str | None = None, *, where: Where | None = None, limit: int | None = None
    ) -> list[Entry]:
        if where and not all(where.values()):
            return []  # a field that may have none of no values: nothing matches
        sql, args = "SELECT value, version FROM records WHERE kind = ?", [kind]
        if part is not None:
            sql, args = sql + " AND part = ?", [*args, part]
        for name, allowed in (where or {}).items():
            marks = ", ".join("?" * len(allowed))
            sql += f" AND json_extract(value, '$.{field_name(name)}') IN ({marks})"
            args += list(allowed)
        sql += " ORDER BY part, row"
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, limit]
        async with self._db.execute(sql, args) as cursor:
            return [Entry(json.loads(value), str(version)) for value, version in await cursor.fetchall()]

    async def legacy_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The rows of each table of the old schema still in the file (``LEGACY_TABLES``)."""
        async with self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
            present = {str(name) for (name,) in await cursor.fetchall()}
        found: dict[str, list[dict[str, Any]]] = {}
        for table in LEGACY_TABLES:
            if table in present:
                async with self._db.execute(f"SELECT * FROM {table}") as cursor:  # a name from the constant
                    names = [column[0] for column in cursor.description]
                    found[table] = [dict(zip(names, line, strict=True)) for line in await cursor.fetchall()]
        return found

    async def drop_legacy(self, tables: list[str]) -> None:
        for table in tables:
            if table in LEGACY_TABLES:  # names from the constant only, never from the caller's data
                await self._db.execute(f"DROP TABLE IF EXISTS {table}")
        await self._db.commit()
