"""What the bot must remember across restarts, written once for every backend.

``BotState`` is the interface the rest of bot/ uses; ``State`` implements it above the record
primitive of bot/records.py (get, insert-if-absent, replace-if-unchanged, put, delete, scan), so
each record kind below is written once: ``SqliteState`` is ``State`` on one SQLite file
(bot/records_sqlite.py), ``AzureTableState`` (bot/state_azure.py) on Azure Table Storage.
``open_state(":memory:")`` gives a throw-away store for tests.

The records, as ``kind``: part / row -> value fields (row ``ONE`` unless named):

- ``chats``: user id -> user_id, tenant_id, reference (JSON), claims (JSON), updated
- ``transcripts``: transcript id -> transcript_id, meeting_id, organizer_id, status, received,
  updated. Claimed with insert-if-absent (one caller wins); status "processing" (or the older
  "claimed") is a lease renewed through ``updated``; a lapsed one is retaken with replace-if-unchanged.
- ``runs``: run id -> run_id, meeting_id, organizer_id, requester_id, item_id, web_url, created
- ``runindex``: requester id / inverted creation time + run id -> run_id. Rows sort newest first,
  so ``latest_run`` is the partition's first row (Table Storage has no ORDER BY).
- ``emails``: run id -> run_id, recipients (JSON), at (a run's last email)
- ``meetings``: meeting join URL -> meeting_key, conversation_id, ended
- ``settings``: name -> name, value
- ``leases``: lease name -> name, holder, expires. Taken with insert-if-absent, renewed or taken
  over with replace-if-unchanged, so of two instances racing exactly one holds it. Expiry compares
  wall clocks: the lease time must be much longer than the clock skew between instances.
- ``active``: run id -> run_id, payload (an analysis started from Teams, bot/resume.py)
- ``stepsdone``: run id / step index (zero-padded) -> run_id, index, by, at, via: a next step someone
  marked done on the summary email's card in Outlook (bot/outlook.py; ``via`` "outlook", absent in
  records written before it was kept). Insert-if-absent: of two people ticking the same step, the
  first stays; ticking different steps never collides. The account history shows them (bot/account.py).
- ``accounts``: account key / run id -> company, run_id, meeting_id, subject, start, organizer_id,
  attendee_ids (JSON), draft_item_id, draft_url, sidecar_item_id, created: the analysed calls of one
  customer, read together for ``account <company>`` (bot/account.py)
- ``accountnames``: account key -> key, company (the accounts there are, without reading every call)
- ``chatmeetings``: Graph meeting id -> meeting_id, meeting (JSON of graph.service.MeetingInfo:
  subject, times, join URL, organizer and attendees with their ids), kept: a meeting the bot learned
  in its own chat (rsc mode, graph/chat_meetings.py), so a Regenerate or Try again after a restart
  still finds it. Read back for ``CHAT_MEETING_DAYS`` days after it was last seen, then dropped.
- ``crm``: organizer id + meeting id -> meeting_key, run_id, account_id, note_id, tasks (JSON: step
  key -> task id), updated: what the last analysis of a meeting created in Dynamics 365 (bot/crm.py),
  so a Regenerate updates that note and those tasks instead of adding new ones. Ids only, no text.

Times are ISO 8601 in UTC. A value keeps every id a scan must give back (Table Storage keys are
escaped, long ones hashed). A new record kind: add it to ``KINDS`` and write its methods on ``State``.
Nothing here holds a transcript or a token: a conversation reference is where to post, and the
claims kept with it are the SDK's public routing claims (audience, app id, tenant), never a token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.records import Entry, Records, Value
from bot.records_sqlite import SqliteRecords
from bot.transcript_records import KINDS as TRANSCRIPT_KINDS
from bot.transcript_records import TranscriptRecords
from graph.service import MeetingInfo

__all__ = [
    "AccountEntry",
    "AccountIndex",
    "BotState",
    "CrmLedger",
    "CrmRecord",
    "PersonalChat",
    "RunRecord",
    "RunStore",
    "SentEmail",
    "SqliteState",
    "State",
    "StateConflict",
    "StepDone",
    "account_key",
    "open_state",
]


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


def account_key(company: str) -> str:
    """How accounts are looked up: case and spacing do not matter ("contoso " is "Contoso")."""
    return " ".join(company.casefold().split())


@dataclass(frozen=True)
class AccountEntry:
    """One analysed call of an account: where its draft and sidecar are, and who took part (no content)."""

    company: str  # the company folder's name, as shown ("Contoso")
    run_id: str
    meeting_id: str
    subject: str
    start: datetime
    organizer_id: str
    attendee_ids: tuple[str, ...]  # Entra object ids of the internal attendees
    draft_item_id: str
    draft_url: str
    sidecar_item_id: str
    created: datetime

    @property
    def key(self) -> str:
        return account_key(self.company)


@dataclass(frozen=True)
class CrmRecord:
    """The rows the last analysis of one meeting created in Dynamics 365: ids only."""

    account_id: str
    note_id: str = ""
    tasks: dict[str, str] = field(default_factory=dict)  # next step key (mcem/crm.py step_key) -> task id
    run_id: str = ""


@dataclass(frozen=True)
class StepDone:
    """A next step of a run marked done on the email card: which, by whom (their name), when, where."""

    index: int
    by: str
    at: datetime
    via: str = "outlook"  # the card it was marked on: "outlook" (the only one with the button) or "teams"


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


class AccountIndex(Protocol):
    """Company -> analysed calls (``Services.accounts``), what ``account <company>`` reads."""

    async def record_account_entry(self, entry: AccountEntry) -> None: ...

    async def account_entries(self, key: str) -> list[AccountEntry]:
        """Every analysed call of the account ``key`` (``account_key``), oldest first."""
        ...

    async def account_names(self) -> list[str]:
        """The companies with at least one analysed call, as shown, sorted."""
        ...

    async def account_entry_of_run(self, run_id: str) -> AccountEntry | None:
        """The analysed call a run made (where its sidecar is), or None."""
        ...

    async def steps_done(self, run_id: str) -> list[StepDone]:
        """The run's next steps people marked done (the account history shows them), in step order."""
        ...


class CrmLedger(Protocol):
    """Per meeting, what was created in the CRM (``Services.crm_records``), and a lease so that two
    analyses of one meeting (a double click, two instances) update the CRM one after the other."""

    async def crm_record(self, meeting_key: str) -> CrmRecord | None: ...

    async def save_crm_record(self, meeting_key: str, record: CrmRecord) -> None: ...

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> bool: ...

    async def release_lease(self, name: str, holder: str) -> None: ...


class BotState(RunStore, AccountIndex, CrmLedger, Protocol):
    async def mark_step_done(
        self, run_id: str, index: int, by: str, at: datetime, via: str = "outlook"
    ) -> bool:
        """Record a next step marked done on the email card; False when it was marked before."""
        ...

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


# The last ones are bot/transcript_records.py's: delta links, transcript content, minutes downloaded.
KINDS = (
    "chats",
    "transcripts",
    "runs",
    "runindex",
    "emails",
    "meetings",
    "settings",
    "leases",
    "active",
    "stepsdone",
    *TRANSCRIPT_KINDS,
    "accounts",
    "accountnames",
    "crm",
    "chatmeetings",
)
# A meeting learned in its chat stays known this long after it was last seen there (rsc mode).
CHAT_MEETING_DAYS = 30

_UNFINISHED = ("processing", "claimed")  # "claimed": what older versions wrote for "processing"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INVERT = 10**17  # microseconds: later than year 5000, so inverted times stay positive
_ATTEMPTS = 16  # read-change-write rounds before a record that never stops changing is an error


class StateConflict(RuntimeError):
    """A record kept changing under a read-change-write (a writer that never stops)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _inverted(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{_INVERT - (aware - _EPOCH) // timedelta(microseconds=1):020d}"


def _lapsed(value: Value, stale_before: datetime) -> bool:
    """A transcript still "processing" whose lease was last renewed before ``stale_before``."""
    if value.get("status") not in _UNFINISHED:
        return False
    return datetime.fromisoformat(str(value["updated"])) < stale_before.astimezone(UTC)


def _run_value(run: RunRecord) -> Value:
    return {
        "run_id": run.run_id,
        "meeting_id": run.meeting_id,
        "organizer_id": run.organizer_id,
        "requester_id": run.requester_id,
        "item_id": run.item_id,
        "web_url": run.web_url,
        "created": run.created.isoformat(),
    }


def _index_row(run_id: str, created: datetime) -> str:
    # Newest first by creation time, then by run id: both backends sort rows as strings.
    return f"{_inverted(created)}-{run_id}"


class State:
    """BotState above a record primitive. Built without I/O; ``start`` opens the storage."""

    def __init__(self, records: Records) -> None:
        self.records = records
        # Catch-up links, the transcript content cache and the minutes downloaded: their own module.
        self.transcripts = TranscriptRecords(records)

    async def start(self) -> None:
        await self.records.start()

    async def close(self) -> None:
        await self.records.close()

    async def _change(self, kind: str, part: str, change: Callable[[Value], Value]) -> bool:
        """Read, change and write back one record, again if another writer came between;
        False when it does not exist (a change never creates a record)."""
        for _ in range(_ATTEMPTS):
            entry = await self.records.get(kind, part)
            if entry is None:
                return False
            if await self.records.replace(kind, part, change(entry.value), entry.version):
                return True
        raise StateConflict(f"a {kind} record kept changing while it was being updated")

    # -- personal chats -------------------------------------------------------------------------

    async def save_personal_chat(self, chat: PersonalChat) -> None:
        value = {
            "user_id": chat.user_id,
            "tenant_id": chat.tenant_id,
            "reference": json.dumps(chat.reference),
            "claims": json.dumps(chat.claims),
            "updated": _iso(_now()),
        }
        await self.records.put("chats", chat.user_id, value)

    async def personal_chat(self, user_id: str) -> PersonalChat | None:
        entry = await self.records.get("chats", user_id)
        if entry is None:
            return None
        row = entry.value
        return PersonalChat(
            user_id, str(row["tenant_id"]), json.loads(row["reference"]), json.loads(row["claims"])
        )

    # -- transcripts: claims with expiry --------------------------------------------------------

    async def claim_transcript(self, transcript_id: str, meeting_id: str, organizer_id: str) -> bool:
        now = _iso(_now())
        value = {
            "transcript_id": transcript_id,
            "meeting_id": meeting_id,
            "organizer_id": organizer_id,
            "status": "processing",
            "received": now,
            "updated": now,
        }
        return await self.records.insert("transcripts", transcript_id, value)

    async def retake_transcript(self, transcript_id: str, stale_before: datetime, now: datetime) -> bool:
        entry = await self.records.get("transcripts", transcript_id)
        if entry is None or not _lapsed(entry.value, stale_before):
            return False
        value = entry.value | {"status": "processing", "updated": _iso(now)}
        # Against the version just read: of several instances retaking at once, one wins.
        return await self.records.replace("transcripts", transcript_id, value, entry.version)

    async def unfinished_transcripts(self, stale_before: datetime) -> list[tuple[str, str, str]]:
        entries = await self.records.scan("transcripts", where={"status": _UNFINISHED})
        lapsed = sorted(
            (e.value for e in entries if _lapsed(e.value, stale_before)), key=lambda v: str(v["received"])
        )
        return [(str(v["transcript_id"]), str(v["meeting_id"]), str(v["organizer_id"])) for v in lapsed]

    async def set_transcript_status(self, transcript_id: str, status: str) -> None:
        # Changes a claimed transcript, never creates one.
        await self._change(
            "transcripts", transcript_id, lambda v: v | {"status": status, "updated": _iso(_now())}
        )

    async def transcript_status(self, transcript_id: str) -> str | None:
        entry = await self.records.get("transcripts", transcript_id)
        return str(entry.value["status"]) if entry else None

    # -- runs and the run index -----------------------------------------------------------------

    async def record_run(self, run: RunRecord) -> None:
        old = await self.run(run.run_id)
        # The record first, the index entry after: an index entry always finds its record.
        await self.records.put("runs", run.run_id, _run_value(run))
        if old is not None:  # replaced: its old index entry would point at the wrong time or user
            await self.records.delete("runindex", old.requester_id, _index_row(old.run_id, old.created))
        row = _index_row(run.run_id, run.created)
        await self.records.put("runindex", run.requester_id, {"run_id": run.run_id}, row=row)

    async def run(self, run_id: str) -> RunRecord | None:
        entry = await self.records.get("runs", run_id)
        if entry is None:
            return None
        v = entry.value
        return RunRecord(
            run_id,
            str(v["meeting_id"]),
            str(v["organizer_id"]),
            str(v["requester_id"]),
            str(v["item_id"]),
            str(v["web_url"]),
            datetime.fromisoformat(str(v["created"])),
        )

    async def latest_run(self, requester_id: str) -> RunRecord | None:
        newest = await self.records.scan("runindex", requester_id, limit=1)
        return await self.run(str(newest[0].value["run_id"])) if newest else None

    async def record_email(self, run_id: str, sent: SentEmail) -> None:
        value = {"run_id": run_id, "recipients": json.dumps(sent.recipients), "at": sent.at.isoformat()}
        await self.records.put("emails", run_id, value)

    async def last_email(self, run_id: str) -> SentEmail | None:
        entry = await self.records.get("emails", run_id)
        if entry is None:
            return None
        return SentEmail(
            json.loads(entry.value["recipients"]), datetime.fromisoformat(str(entry.value["at"]))
        )

    # -- next steps marked done (the email card in Outlook) -------------------------------------

    async def mark_step_done(
        self, run_id: str, index: int, by: str, at: datetime, via: str = "outlook"
    ) -> bool:
        """Record step ``index`` of ``run_id`` as done; False when someone marked it before."""
        value = {"run_id": run_id, "index": index, "by": by, "at": _iso(at), "via": via}
        return await self.records.insert("stepsdone", run_id, value, row=f"{index:04d}")

    async def steps_done(self, run_id: str) -> list[StepDone]:
        """The run's steps marked done, in step order."""
        return [
            StepDone(
                int(e.value["index"]),
                str(e.value["by"]),
                datetime.fromisoformat(str(e.value["at"])),
                str(e.value.get("via") or "outlook"),
            )
            for e in await self.records.scan("stepsdone", run_id)
        ]

    # -- meetings and settings ------------------------------------------------------------------

    async def mark_meeting_ended(self, meeting_key: str, conversation_id: str) -> None:
        value = {"meeting_key": meeting_key, "conversation_id": conversation_id, "ended": _iso(_now())}
        await self.records.put("meetings", meeting_key, value)

    async def meeting_ended(self, meeting_key: str) -> datetime | None:
        entry = await self.records.get("meetings", meeting_key)
        return datetime.fromisoformat(str(entry.value["ended"])) if entry else None

    async def get_setting(self, name: str) -> str | None:
        entry = await self.records.get("settings", name)
        return str(entry.value["value"]) if entry else None

    async def put_setting(self, name: str, value: str) -> None:
        await self.records.put("settings", name, {"name": name, "value": value})

    # -- leases ---------------------------------------------------------------------------------

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = _now()
        value = {"name": name, "holder": holder, "expires": _iso(now + ttl)}
        current = await self.records.get("leases", name)
        if current is None:
            return await self.records.insert("leases", name, value)
        if current.value["holder"] != holder and not _expired(current, now):
            return False
        # Against the version just read: someone who renewed, took or released it since wins.
        return await self.records.replace("leases", name, value, current.version)

    async def release_lease(self, name: str, holder: str) -> None:
        current = await self.records.get("leases", name)
        if current is not None and current.value["holder"] == holder:
            # Taken over since the read: no longer ours, and the versioned delete leaves it.
            await self.records.delete("leases", name, version=current.version)

    # -- interactive analyses not yet ended (bot/resume.py) -------------------------------------

    async def save_active_run(self, run_id: str, payload: str) -> None:
        await self.records.put("active", run_id, {"run_id": run_id, "payload": payload})

    async def active_runs(self) -> list[tuple[str, str]]:
        return sorted(
            (str(e.value["run_id"]), str(e.value["payload"])) for e in await self.records.scan("active")
        )

    async def drop_active_run(self, run_id: str) -> None:
        await self.records.delete("active", run_id)

    # -- accounts: company -> analysed calls (bot/account.py) -----------------------------------

    async def record_account_entry(self, entry: AccountEntry) -> None:
        # The call first, the name after: a listed account always has a call to read.
        await self.records.put("accounts", entry.key, _account_value(entry), row=entry.run_id)
        await self.records.put("accountnames", entry.key, {"key": entry.key, "company": entry.company})

    async def account_entries(self, key: str) -> list[AccountEntry]:
        entries = [_account_entry(e.value) for e in await self.records.scan("accounts", account_key(key))]
        return sorted(entries, key=lambda e: (e.start, e.run_id))

    async def account_names(self) -> list[str]:
        return sorted(str(e.value["company"]) for e in await self.records.scan("accountnames"))

    async def account_entry_of_run(self, run_id: str) -> AccountEntry | None:
        found = await self.records.scan("accounts", where={"run_id": [run_id]}, limit=1)
        return _account_entry(found[0].value) if found else None

    # -- what an analysis created in the CRM, per meeting (bot/crm.py) ----------------------------

    async def crm_record(self, meeting_key: str) -> CrmRecord | None:
        entry = await self.records.get("crm", meeting_key)
        if entry is None:
            return None
        v = entry.value
        return CrmRecord(
            account_id=str(v["account_id"]),
            note_id=str(v.get("note_id") or ""),
            tasks={str(k): str(i) for k, i in json.loads(str(v.get("tasks") or "{}")).items()},
            run_id=str(v.get("run_id") or ""),
        )

    async def save_crm_record(self, meeting_key: str, record: CrmRecord) -> None:
        value = {
            "meeting_key": meeting_key,
            "run_id": record.run_id,
            "account_id": record.account_id,
            "note_id": record.note_id,
            "tasks": json.dumps(record.tasks, sort_keys=True),
            "updated": _iso(_now()),
        }
        await self.records.put("crm", meeting_key, value)

    # -- meetings learned in their own chats (rsc mode, graph/chat_meetings.py) ---------------------

    async def keep(self, meeting: MeetingInfo) -> None:
        value = {"meeting_id": meeting.meeting_id, "meeting": meeting.model_dump_json(), "kept": _iso(_now())}
        await self.records.put("chatmeetings", meeting.meeting_id, value)

    async def recall(self, meeting_id: str) -> MeetingInfo | None:
        entry = await self.records.get("chatmeetings", meeting_id)
        if entry is None:
            return None
        if datetime.fromisoformat(str(entry.value["kept"])) < _now() - timedelta(days=CHAT_MEETING_DAYS):
            await self.records.delete("chatmeetings", meeting_id, version=entry.version)
            return None
        return MeetingInfo.model_validate_json(str(entry.value["meeting"]))


def _account_value(entry: AccountEntry) -> Value:
    return {
        "company": entry.company,
        "run_id": entry.run_id,
        "meeting_id": entry.meeting_id,
        "subject": entry.subject,
        "start": _iso(entry.start),
        "organizer_id": entry.organizer_id,
        "attendee_ids": json.dumps(list(entry.attendee_ids)),
        "draft_item_id": entry.draft_item_id,
        "draft_url": entry.draft_url,
        "sidecar_item_id": entry.sidecar_item_id,
        "created": _iso(entry.created),
    }


def _account_entry(v: Value) -> AccountEntry:
    return AccountEntry(
        company=str(v["company"]),
        run_id=str(v["run_id"]),
        meeting_id=str(v["meeting_id"]),
        subject=str(v["subject"]),
        start=datetime.fromisoformat(str(v["start"])),
        organizer_id=str(v["organizer_id"]),
        attendee_ids=tuple(str(i) for i in json.loads(str(v["attendee_ids"]))),
        draft_item_id=str(v["draft_item_id"]),
        draft_url=str(v["draft_url"]),
        sidecar_item_id=str(v["sidecar_item_id"]),
        created=datetime.fromisoformat(str(v["created"])),
    )


def _expired(lease: Entry, now: datetime) -> bool:
    return datetime.fromisoformat(str(lease.value["expires"])) <= now


# The old SQLite schema's tables (one per kind), by the kind and the id column their rows move to.
# Leases are left behind: with one instance, none outlives the process that is starting now.
_LEGACY = {
    "personal_chats": ("chats", "user_id"),
    "transcripts": ("transcripts", "transcript_id"),
    "runs": ("runs", "run_id"),
    "run_emails": ("emails", "run_id"),
    "ended_meetings": ("meetings", "meeting_key"),
    "settings": ("settings", "name"),
    "active_runs": ("active", "run_id"),
}


class SqliteState(State):
    """BotState in one SQLite file (or ``":memory:"``), for a single bot instance."""

    def __init__(self, path: str | Path) -> None:
        self._sqlite = SqliteRecords(path)
        super().__init__(self._sqlite)
        self.path = self._sqlite.path

    async def start(self) -> None:
        await super().start()
        await self._adopt_legacy()

    async def _adopt_legacy(self) -> None:
        """Move a file's rows from the schema before the record primitive, then drop its tables.

        Their columns are the value fields of today's records. Interrupted, it runs again at the
        next start (the writes are puts, so running twice changes nothing).
        """
        legacy = await self._sqlite.legacy_rows()
        for table, rows in legacy.items():
            if table not in _LEGACY:
                continue
            kind, key = _LEGACY[table]
            for row in rows:
                value: dict[str, Any] = {name: item for name, item in row.items() if item is not None}
                await self.records.put(kind, str(row[key]), value)
                if kind == "runs":
                    index_row = _index_row(str(row["run_id"]), datetime.fromisoformat(str(row["created"])))
                    await self.records.put(
                        "runindex", str(row["requester_id"]), {"run_id": row["run_id"]}, row=index_row
                    )
        if legacy:
            await self._sqlite.drop_legacy(list(legacy))


async def open_state(path: str | Path) -> SqliteState:
    """The store at ``path`` (created with its folder when missing); ``":memory:"`` for tests."""
    state = SqliteState(path)
    await state.start()
    return state
