"""What the bot must remember across restarts: users' personal chats, transcripts already handled,
finished analyses, ended meetings and the Graph subscription's id.

``BotState`` is the interface; ``SqliteState`` keeps it in one SQLite file (aiosqlite, so the event
loop never waits on the disk). ``open_state(":memory:")`` gives a throw-away store for tests.
Nothing here holds a transcript or a token: a conversation reference is where to post, and the
claims kept with it are the SDK's public routing claims (audience, app id, tenant), never a token.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from mcem.errors import ConfigError

__all__ = ["BotState", "PersonalChat", "RunRecord", "RunStore", "SentEmail", "SqliteState", "open_state"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS personal_chats (
    user_id    TEXT PRIMARY KEY,   -- Entra object id of the user
    tenant_id  TEXT NOT NULL,
    reference  TEXT NOT NULL,      -- ConversationReference as JSON (by alias)
    claims     TEXT NOT NULL,      -- routing claims for a proactive turn, JSON
    updated    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transcripts (
    transcript_id TEXT PRIMARY KEY,
    meeting_id    TEXT NOT NULL,
    organizer_id  TEXT NOT NULL,
    status        TEXT NOT NULL,   -- processing (or older "claimed"), delivered, no_personal_chat, ...
    received      TEXT NOT NULL,
    updated       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id       TEXT PRIMARY KEY,
    meeting_id   TEXT NOT NULL,
    organizer_id TEXT NOT NULL,
    requester_id TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    web_url      TEXT NOT NULL,
    created      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_emails (
    run_id     TEXT PRIMARY KEY,
    recipients TEXT NOT NULL,      -- JSON list of the names the chat note showed
    at         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ended_meetings (
    meeting_key     TEXT PRIMARY KEY,  -- the join URL Teams sent with meetingEnd
    conversation_id TEXT NOT NULL,
    ended           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS active_runs (
    run_id  TEXT PRIMARY KEY,      -- an analysis started from Teams that has not ended yet
    payload TEXT NOT NULL          -- JSON: who asked, for what, and the card to end (bot/resume.py)
);
CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires REAL NOT NULL          -- seconds since the epoch
);
"""


@dataclass(frozen=True)
class PersonalChat:
    """Where to reach a user proactively: the reference of their 1:1 chat with the bot."""

    user_id: str
    tenant_id: str
    reference: dict[str, Any]
    claims: dict[str, str]


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    meeting_id: str
    organizer_id: str
    requester_id: str
    item_id: str
    web_url: str
    created: datetime


@dataclass(frozen=True)
class SentEmail:
    """A run's last email: the recipients' names as the chat note showed them, and when."""

    recipients: list[str]
    at: datetime


class RunStore(Protocol):
    """Finished analyses, what the summary card's buttons act on (``Services.runs``)."""

    async def record_run(self, run: RunRecord) -> None: ...

    async def run(self, run_id: str) -> RunRecord | None: ...

    async def latest_run(self, requester_id: str) -> RunRecord | None:
        """The newest finished run this user asked for (what a typed ``refresh`` acts on)."""
        ...

    async def record_email(self, run_id: str, sent: SentEmail) -> None:
        """Remember the run's last email (a later one replaces it)."""
        ...

    async def last_email(self, run_id: str) -> SentEmail | None: ...


class BotState(RunStore, Protocol):
    async def save_personal_chat(self, chat: PersonalChat) -> None: ...

    async def personal_chat(self, user_id: str) -> PersonalChat | None: ...

    async def claim_transcript(self, transcript_id: str, meeting_id: str, organizer_id: str) -> bool:
        """True for the first caller with this transcript id, False for every later one.

        The claim is a lease: status "processing" with ``updated`` as its time (kept fresh by
        ``set_transcript_status``), until the handler sets a final status.
        """
        ...

    async def retake_transcript(self, transcript_id: str, stale_before: datetime, now: datetime) -> bool:
        """True for the one caller that takes over a transcript still "processing" whose lease was
        last renewed before ``stale_before`` (its handler crashed); False otherwise, and always for
        a transcript with a final status."""
        ...

    async def unfinished_transcripts(self, stale_before: datetime) -> list[tuple[str, str, str]]:
        """(transcript id, meeting id, organizer id) of every lapsed "processing" claim, oldest first."""
        ...

    async def set_transcript_status(self, transcript_id: str, status: str) -> None: ...

    async def transcript_status(self, transcript_id: str) -> str | None: ...

    async def mark_meeting_ended(self, meeting_key: str, conversation_id: str) -> None: ...

    async def meeting_ended(self, meeting_key: str) -> datetime | None: ...

    async def get_setting(self, name: str) -> str | None: ...

    async def put_setting(self, name: str, value: str) -> None: ...

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease ``name`` for ``ttl``: True while ``holder`` holds it, False
        while another holder's lease has not expired (what makes one instance of several the owner)."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give up the lease if ``holder`` still holds it, so another instance need not wait out its ttl."""
        ...

    async def save_active_run(self, run_id: str, payload: str) -> None:
        """Record an analysis started from Teams until it ends (its lease is ``hold_lease("run:<id>")``)."""
        ...

    async def active_runs(self) -> list[tuple[str, str]]:
        """(run id, payload) of every recorded analysis that has not ended."""
        ...

    async def drop_active_run(self, run_id: str) -> None: ...

    async def close(self) -> None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _iso(moment: datetime) -> str:
    """As ``_now`` writes it (UTC, +00:00), so SQLite can compare the text."""
    return moment.astimezone(UTC).isoformat()


_UNFINISHED = "('processing', 'claimed')"


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


class SqliteState:
    """BotState in SQLite. One connection, used from one event loop; writes commit at once.

    Built without I/O (``create_app`` is synchronous); ``start`` opens it at application start-up.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None

    async def start(self) -> None:
        """Open (and create) the database; idempotent."""
        if self._conn is not None:
            return
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                _owner_only(self.path)
            db = await aiosqlite.connect(self.path)
            try:
                # WAL: a reader (an admin's sqlite3 shell) never blocks the bot's writes.
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

    @property
    def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("SqliteState used before start()")
        return self._conn

    async def save_personal_chat(self, chat: PersonalChat) -> None:
        await self._db.execute(
            "INSERT INTO personal_chats (user_id, tenant_id, reference, claims, updated)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET tenant_id=excluded.tenant_id,"
            " reference=excluded.reference, claims=excluded.claims, updated=excluded.updated",
            (chat.user_id, chat.tenant_id, json.dumps(chat.reference), json.dumps(chat.claims), _now()),
        )
        await self._db.commit()

    async def personal_chat(self, user_id: str) -> PersonalChat | None:
        async with self._db.execute(
            "SELECT tenant_id, reference, claims FROM personal_chats WHERE user_id = ?", (user_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return PersonalChat(user_id, row[0], json.loads(row[1]), json.loads(row[2]))

    async def claim_transcript(self, transcript_id: str, meeting_id: str, organizer_id: str) -> bool:
        now = _now()
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO transcripts"
            " (transcript_id, meeting_id, organizer_id, status, received, updated)"
            " VALUES (?, ?, ?, 'processing', ?, ?)",
            (transcript_id, meeting_id, organizer_id, now, now),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def retake_transcript(self, transcript_id: str, stale_before: datetime, now: datetime) -> bool:
        cursor = await self._db.execute(
            "UPDATE transcripts SET status = 'processing', updated = ?"
            " WHERE transcript_id = ? AND status IN " + _UNFINISHED + " AND updated < ?",
            (_iso(now), transcript_id, _iso(stale_before)),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def unfinished_transcripts(self, stale_before: datetime) -> list[tuple[str, str, str]]:
        async with self._db.execute(
            "SELECT transcript_id, meeting_id, organizer_id FROM transcripts"
            " WHERE status IN " + _UNFINISHED + " AND updated < ? ORDER BY received",
            (_iso(stale_before),),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def set_transcript_status(self, transcript_id: str, status: str) -> None:
        await self._db.execute(
            "UPDATE transcripts SET status = ?, updated = ? WHERE transcript_id = ?",
            (status, _now(), transcript_id),
        )
        await self._db.commit()

    async def transcript_status(self, transcript_id: str) -> str | None:
        async with self._db.execute(
            "SELECT status FROM transcripts WHERE transcript_id = ?", (transcript_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def record_run(self, run: RunRecord) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO runs"
            " (run_id, meeting_id, organizer_id, requester_id, item_id, web_url, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                run.run_id,
                run.meeting_id,
                run.organizer_id,
                run.requester_id,
                run.item_id,
                run.web_url,
                run.created.isoformat(),
            ),
        )
        await self._db.commit()

    async def run(self, run_id: str) -> RunRecord | None:
        async with self._db.execute(
            "SELECT meeting_id, organizer_id, requester_id, item_id, web_url, created FROM runs"
            " WHERE run_id = ?",
            (run_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return RunRecord(run_id, row[0], row[1], row[2], row[3], row[4], datetime.fromisoformat(row[5]))

    async def latest_run(self, requester_id: str) -> RunRecord | None:
        async with self._db.execute(
            "SELECT run_id FROM runs WHERE requester_id = ? ORDER BY created DESC, rowid DESC LIMIT 1",
            (requester_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return await self.run(row[0]) if row else None

    async def record_email(self, run_id: str, sent: SentEmail) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO run_emails (run_id, recipients, at) VALUES (?, ?, ?)",
            (run_id, json.dumps(sent.recipients), sent.at.isoformat()),
        )
        await self._db.commit()

    async def last_email(self, run_id: str) -> SentEmail | None:
        async with self._db.execute(
            "SELECT recipients, at FROM run_emails WHERE run_id = ?", (run_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return SentEmail(json.loads(row[0]), datetime.fromisoformat(row[1])) if row else None

    async def mark_meeting_ended(self, meeting_key: str, conversation_id: str) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO ended_meetings (meeting_key, conversation_id, ended) VALUES (?, ?, ?)",
            (meeting_key, conversation_id, _now()),
        )
        await self._db.commit()

    async def meeting_ended(self, meeting_key: str) -> datetime | None:
        async with self._db.execute(
            "SELECT ended FROM ended_meetings WHERE meeting_key = ?", (meeting_key,)
        ) as cursor:
            row = await cursor.fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    async def get_setting(self, name: str) -> str | None:
        async with self._db.execute("SELECT value FROM settings WHERE name = ?", (name,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def put_setting(self, name: str, value: str) -> None:
        await self._db.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, value))
        await self._db.commit()

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = datetime.now(UTC).timestamp()
        cursor = await self._db.execute(
            "INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, expires=excluded.expires"
            " WHERE leases.holder = excluded.holder OR leases.expires <= ?",
            (name, holder, now + ttl.total_seconds(), now),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def release_lease(self, name: str, holder: str) -> None:
        await self._db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
        await self._db.commit()

    async def save_active_run(self, run_id: str, payload: str) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO active_runs (run_id, payload) VALUES (?, ?)", (run_id, payload)
        )
        await self._db.commit()

    async def active_runs(self) -> list[tuple[str, str]]:
        async with self._db.execute("SELECT run_id, payload FROM active_runs ORDER BY run_id") as cursor:
            return [(str(r[0]), str(r[1])) for r in await cursor.fetchall()]

    async def drop_active_run(self, run_id: str) -> None:
        await self._db.execute("DELETE FROM active_runs WHERE run_id = ?", (run_id,))
        await self._db.commit()

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()


async def open_state(path: str | Path) -> SqliteState:
    """The store at ``path`` (created with its folder when missing); ``":memory:"`` for tests."""
    state = SqliteState(path)
    await state.start()
    return state
