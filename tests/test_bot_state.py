"""The bot's store, one behaviour on both backends (SQLite, and Azure Table Storage on Azurite):
exactly-once claims, personal chats, runs, leases, what one instance writes the other reads — and
all of it after a reopen ("a restart": new connections, same data). The primitive under it has
its own contract tests (tests/test_bot_records.py)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.state import CHAT_MEETING_DAYS, AccountEntry, PersonalChat, RunRecord, SentEmail, open_state
from graph.service import Attendee, MeetingInfo
from mcem.errors import ConfigError
from mcem.model import Side
from tests.support.azurite import azurite_fixture  # noqa: F401 - the fixture
from tests.support.stores import Storage, storage_fixture  # noqa: F401 - the fixture

MINUTE = timedelta(minutes=1)

REFERENCE = {
    "bot": {"id": "28:bot", "name": "MCEM"},
    "user": {"id": "29:alex", "aadObjectId": "u-1"},
    "conversation": {"id": "a:personal", "conversationType": "personal", "tenantId": "t-1"},
    "channelId": "msteams",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
}


def chat(user: str = "u-1", conversation: str = "a:personal") -> PersonalChat:
    reference = REFERENCE | {"conversation": REFERENCE["conversation"] | {"id": conversation}}
    return PersonalChat(user, "t-1", reference, {"aud": "app-id", "tid": "t-1"})


def run(run_id: str = "r-1") -> RunRecord:
    return RunRecord(
        run_id, "m-1", "org-1", "u-1", "item-1", "https://x/doc.docx", datetime(2026, 11, 25, tzinfo=UTC)
    )


async def test_a_transcript_is_claimed_once_even_by_racing_callers(storage: Storage) -> None:
    state = await storage.open_state()
    try:
        claims = await asyncio.gather(*(state.claim_transcript("t-1", "m-1", "org-1") for _ in range(5)))
        assert sorted(claims) == [False, False, False, False, True]
        assert await state.transcript_status("t-1") == "processing"
        await state.set_transcript_status("t-1", "delivered")
        assert await state.transcript_status("t-1") == "delivered"
        assert await state.claim_transcript("t-2", "m-1", "org-1") is True
        assert await state.transcript_status("never") is None
    finally:
        await state.close()


async def test_the_newest_personal_chat_wins(storage: Storage) -> None:
    state = await storage.open_state()
    try:
        assert await state.personal_chat("u-1") is None
        await state.save_personal_chat(chat(conversation="a:old"))
        await state.save_personal_chat(chat(conversation="a:new"))
        found = await state.personal_chat("u-1")
        assert found is not None and found.reference["conversation"]["id"] == "a:new"
        assert found.claims == {"aud": "app-id", "tid": "t-1"}
    finally:
        await state.close()


async def test_everything_survives_closing_and_reopening(storage: Storage) -> None:
    first = await storage.open_state()
    await first.save_personal_chat(chat())
    await first.claim_transcript("t-1", "m-1", "org-1")
    await first.record_run(run())
    await first.mark_meeting_ended("https://teams/join/1", "19:meeting")
    await first.put_setting("subscription", "s-1")
    await first.close()

    second = await storage.open_state()
    try:
        assert await second.personal_chat("u-1") == chat()
        assert await second.claim_transcript("t-1", "m-1", "org-1") is False
        assert await second.run("r-1") == run()
        assert await second.run("r-2") is None
        assert await second.meeting_ended("https://teams/join/1") is not None
        assert await second.get_setting("subscription") == "s-1"
        assert await second.get_setting("other") is None
        assert (await second.latest_run("u-1")) == run()
    finally:
        await second.close()


async def test_latest_run_is_the_users_newest(storage: Storage) -> None:
    state = await storage.open_state()
    try:
        assert await state.latest_run("u-1") is None
        older, newer = run("r-old"), run("r-new")
        newer = RunRecord(**{**newer.__dict__, "created": datetime(2026, 11, 26, tzinfo=UTC)})
        someone_else = RunRecord(
            **{**run("r-other").__dict__, "requester_id": "u-2", "created": datetime(2026, 12, 1, tzinfo=UTC)}
        )
        for record in (newer, older, someone_else):  # inserted out of order
            await state.record_run(record)
        latest = await state.latest_run("u-1")
        assert latest is not None and latest.run_id == "r-new"
        assert (await state.latest_run("u-2")).run_id == "r-other"  # type: ignore[union-attr]
    finally:
        await state.close()


async def test_a_rerecorded_run_moves_to_its_new_time_and_requester(storage: Storage) -> None:
    state = await storage.open_state()
    try:
        await state.record_run(run("r-1"))
        await state.record_run(run("r-2"))
        moved = RunRecord(
            **{**run("r-1").__dict__, "requester_id": "u-9", "created": datetime(2027, 1, 1, tzinfo=UTC)}
        )
        await state.record_run(moved)
        assert await state.run("r-1") == moved
        assert (await state.latest_run("u-9")) == moved
        assert (await state.latest_run("u-1")).run_id == "r-2"  # type: ignore[union-attr]
    finally:
        await state.close()


async def test_a_lapsed_claim_is_retaken_once_and_a_finished_one_never(storage: Storage) -> None:
    state = await storage.open_state()
    lease = timedelta(minutes=15)
    try:
        assert await state.claim_transcript("t-crashed", "m-1", "org-1") is True
        assert await state.claim_transcript("t-done", "m-2", "org-2") is True
        await state.set_transcript_status("t-done", "delivered")
        now = datetime.now(UTC)
        assert await state.unfinished_transcripts(now - lease) == []  # claimed just now: still held
        assert await state.retake_transcript("t-crashed", now - lease, now) is False

        later = now + lease + timedelta(minutes=1)
        assert await state.unfinished_transcripts(later - lease) == [("t-crashed", "m-1", "org-1")]
        takes = await asyncio.gather(
            *(state.retake_transcript("t-crashed", later - lease, later) for _ in range(4))
        )
        assert sorted(takes) == [False, False, False, True]  # one of the racing instances wins
        assert await state.transcript_status("t-crashed") == "processing"
        assert await state.unfinished_transcripts(later - lease) == []  # the retake renewed the lease
        assert await state.retake_transcript("t-done", later - lease, later) is False
        assert await state.retake_transcript("never", later - lease, later) is False
    finally:
        await state.close()


async def test_a_status_is_set_only_on_a_claimed_transcript(storage: Storage) -> None:
    state = await storage.open_state()
    try:
        await state.set_transcript_status("never-claimed", "delivered")
        assert await state.transcript_status("never-claimed") is None
        assert await state.claim_transcript("never-claimed", "m-1", "org-1") is True
    finally:
        await state.close()


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(storage: Storage) -> None:
    state = await storage.open_state()
    minute, instant = timedelta(minutes=1), timedelta(microseconds=1)
    try:
        assert await state.hold_lease("sub", "a", minute) is True
        assert await state.hold_lease("sub", "b", minute) is False
        assert await state.hold_lease("sub", "a", minute) is True  # renewal by the holder
        assert await state.hold_lease("other", "b", minute) is True  # leases are independent

        await state.release_lease("sub", "b")  # not b's: nothing happens
        assert await state.hold_lease("sub", "b", minute) is False
        await state.release_lease("sub", "a")
        assert await state.hold_lease("sub", "b", instant) is True

        await asyncio.sleep(0.01)  # b's lease has run out: anyone may take it
        assert await state.hold_lease("sub", "a", minute) is True
        assert await state.hold_lease("sub", "b", minute) is False
    finally:
        await state.close()


async def test_a_runs_last_email_survives_a_restart_in_its_own_record(storage: Storage) -> None:
    first = await storage.open_state()
    try:
        assert await first.last_email("r-1") is None
        await first.record_email("r-1", SentEmail(["Megan Bowen"], datetime(2026, 11, 25, 9, tzinfo=UTC)))
        later = SentEmail(["Megan Bowen", "Alex Wilber"], datetime(2026, 11, 25, 10, tzinfo=UTC))
        await first.record_email("r-1", later)  # a later send replaces the record
    finally:
        await first.close()
    second = await storage.open_state()
    try:
        assert await second.last_email("r-1") == later
        assert await second.last_email("r-2") is None
        assert await second.get_setting("run_emailed:r-1") is None  # no longer a setting
    finally:
        await second.close()


async def test_racing_instances_take_each_transcript_exactly_once(storage: Storage) -> None:
    first, second = await storage.open_state(), await storage.open_state()
    ids = [f"transcript-{n}" for n in range(10)]
    claims = await asyncio.gather(
        *(state.claim_transcript(tid, "m-1", "org-1") for tid in ids for state in (first, second))
    )
    per_transcript = [claims[i : i + 2] for i in range(0, len(claims), 2)]
    assert all(sorted(pair) == [False, True] for pair in per_transcript), per_transcript
    await first.set_transcript_status("transcript-3", "delivered")
    assert await second.transcript_status("transcript-3") == "delivered"


async def test_what_one_instance_writes_the_other_reads(storage: Storage) -> None:
    first, second = await storage.open_state(), await storage.open_state()
    await first.save_personal_chat(chat())
    await first.record_run(run("r-old"))
    newer = RunRecord(**{**run("r-new").__dict__, "created": datetime(2026, 11, 26, tzinfo=UTC)})
    await second.record_run(newer)
    await second.mark_meeting_ended("https://teams/join/1", "19:m")
    await first.put_setting("graph_transcript_subscription_id:abc", "sub-1")
    await second.save_active_run("r-9", '{"run_id": "r-9"}')

    assert await second.personal_chat("u-1") == chat()
    assert await first.run("r-new") == newer and await first.latest_run("u-1") == newer
    assert await first.meeting_ended("https://teams/join/1") is not None
    assert await second.get_setting("graph_transcript_subscription_id:abc") == "sub-1"
    assert await first.active_runs() == [("r-9", '{"run_id": "r-9"}')]
    await first.drop_active_run("r-9")
    assert await second.active_runs() == []


async def test_only_one_instance_gets_a_free_or_expired_lease_when_both_ask_at_once(storage: Storage) -> None:
    first, second = await storage.open_state(), await storage.open_state()
    for _ in range(3):  # free each time: run out
        got = await asyncio.gather(
            first.hold_lease("sub", "a", MINUTE), second.hold_lease("sub", "b", MINUTE)
        )
        assert sorted(got) == [False, True]
        winner, loser = ("a", "b") if got[0] else ("b", "a")
        assert await second.hold_lease("sub", winner, MINUTE) is True  # the holder, from either instance
        assert await first.hold_lease("sub", loser, MINUTE) is False
        await first.hold_lease("sub", winner, timedelta(microseconds=1))  # let it run out
        await asyncio.sleep(0.01)


async def test_ids_with_characters_table_storage_refuses_still_work(storage: Storage) -> None:
    state = await storage.open_state()
    join_url = (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%7d#top"
    )
    odd = ["a/b", "a%2Fb", "it's", "back\\slash", "q?x", "tab\there", "ü-ñ", join_url, "x" * 2000]
    for n, key in enumerate(odd):
        await state.mark_meeting_ended(key, f"19:{n}")
        await state.put_setting(key, f"value-{n}")
        assert await state.claim_transcript(key, "m", "o") is True
        await state.record_run(RunRecord(**{**run(key).__dict__, "requester_id": key}))
    for n, key in enumerate(odd):  # each its own record: escaping never merges two ids
        assert await state.get_setting(key) == f"value-{n}"
        assert await state.meeting_ended(key) is not None
        assert await state.claim_transcript(key, "m", "o") is False
        assert (await state.latest_run(key)).run_id == key  # type: ignore[union-attr]
    assert await state.get_setting("a") is None


async def test_a_store_that_was_never_started_is_a_programming_error(storage: Storage) -> None:
    with pytest.raises(RuntimeError, match="before start"):
        await storage.state().run("r-1")


# -- SQLite only ---------------------------------------------------------------------------------


async def test_the_sqlite_file_is_plain_sqlite(tmp_path: Path) -> None:
    state = await open_state(tmp_path / "bot.sqlite3")
    await state.record_run(run())
    await state.close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:  # an admin can inspect it
        rows = db.execute("SELECT part, json_extract(value, '$.web_url') FROM records WHERE kind = 'runs'")
        assert rows.fetchall() == [("r-1", "https://x/doc.docx")]


async def test_an_unusable_path_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"MCEM_STATE_PATH=.*writable file"):
        await open_state(blocker / "state.sqlite3")


# The schema before the record primitive, as the bot wrote it (one table per kind).
_OLD_SCHEMA = """
CREATE TABLE personal_chats (user_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, reference TEXT NOT NULL,
    claims TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE transcripts (transcript_id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL,
    organizer_id TEXT NOT NULL, status TEXT NOT NULL, received TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE runs (run_id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL, organizer_id TEXT NOT NULL,
    requester_id TEXT NOT NULL, item_id TEXT NOT NULL, web_url TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE run_emails (run_id TEXT PRIMARY KEY, recipients TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE ended_meetings (meeting_key TEXT PRIMARY KEY, conversation_id TEXT NOT NULL,
    ended TEXT NOT NULL);
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE active_runs (run_id TEXT PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL);
"""


async def test_a_file_from_before_the_record_primitive_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old = "2026-11-20T08:00:00+00:00"
    with sqlite3.connect(path) as db:
        db.executescript(_OLD_SCHEMA)
        db.execute(
            "INSERT INTO personal_chats VALUES (?, ?, ?, ?, ?)",
            ("u-1", "t-1", json.dumps(chat().reference), json.dumps(chat().claims), old),
        )
        db.execute("INSERT INTO transcripts VALUES ('t-done', 'm-1', 'org-1', 'delivered', ?, ?)", (old, old))
        db.execute(
            "INSERT INTO transcripts VALUES ('t-crashed', 'm-2', 'org-1', 'claimed', ?, ?)", (old, old)
        )
        db.execute(
            "INSERT INTO runs VALUES ('r-1', 'm-1', 'org-1', 'u-1', 'item-1', 'https://x/doc.docx', ?)",
            (run().created.isoformat(),),
        )
        db.execute("INSERT INTO run_emails VALUES ('r-1', '[\"Megan Bowen\"]', ?)", (old,))
        db.execute("INSERT INTO ended_meetings VALUES ('https://teams/join/1', '19:m', ?)", (old,))
        db.execute("INSERT INTO settings VALUES ('subscription', 's-1')")
        db.execute("INSERT INTO active_runs VALUES ('r-2', '{}')")
        db.execute("INSERT INTO leases VALUES ('subscription', 'gone', 1e12)")

    state = await open_state(path)
    try:
        assert await state.personal_chat("u-1") == chat()
        assert await state.claim_transcript("t-done", "m-1", "org-1") is False  # never analysed twice
        assert await state.transcript_status("t-done") == "delivered"
        now = datetime.now(UTC)
        assert await state.unfinished_transcripts(now) == [("t-crashed", "m-2", "org-1")]
        assert await state.run("r-1") == run() and await state.latest_run("u-1") == run()
        assert await state.last_email("r-1") == SentEmail(["Megan Bowen"], datetime.fromisoformat(old))
        assert await state.meeting_ended("https://teams/join/1") == datetime.fromisoformat(old)
        assert await state.get_setting("subscription") == "s-1"
        assert await state.active_runs() == [("r-2", "{}")]
        assert await state.hold_lease("subscription", "me", MINUTE) is True  # the old process is gone
    finally:
        await state.close()
    with sqlite3.connect(path) as db:  # moved, and the old tables dropped
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"records"}


def _call(company: str, run_id: str, days: int, attendees: tuple[str, ...] = ("alex",)) -> AccountEntry:
    start = datetime(2026, 10, 20, 15, tzinfo=UTC) + timedelta(days=days)
    return AccountEntry(
        company=company,
        run_id=run_id,
        meeting_id=f"m-{run_id}",
        subject=f"{company} – call {run_id}",
        start=start,
        organizer_id="lynne",
        attendee_ids=attendees,
        draft_item_id=f"d-{run_id}",
        draft_url=f"https://sharepoint.example/{company}/{run_id}.docx",
        sidecar_item_id=f"s-{run_id}",
        created=start + timedelta(hours=1),
    )


async def test_an_accounts_calls_are_read_together_in_date_order(storage: Storage) -> None:
    state = await storage.open_state()
    await state.record_account_entry(_call("Contoso", "r3", 42, ("alex", "isaiah")))
    await state.record_account_entry(_call("Contoso", "r1", 0))
    await state.record_account_entry(_call("Fabrikam", "f1", 5))
    await state.record_account_entry(_call("Contoso", "r2", 21, ()))
    again = await storage.open_state()  # another instance, or after a restart
    assert [e.run_id for e in await again.account_entries("contoso")] == ["r1", "r2", "r3"]
    assert await again.account_entries(" CONTOSO ") == await again.account_entries("contoso")
    assert (await again.account_entries("contoso"))[2] == _call("Contoso", "r3", 42, ("alex", "isaiah"))
    assert await again.account_names() == ["Contoso", "Fabrikam"]
    assert await again.account_entries("litware") == []
    # The same run recorded again (a retried save) stays one call.
    await again.record_account_entry(_call("Contoso", "r1", 0))
    assert len(await state.account_entries("contoso")) == 3
    # A run finds its call (and so its sidecar) whatever the account: what Refresh reads beside the draft.
    assert await again.account_entry_of_run("f1") == _call("Fabrikam", "f1", 5)
    assert await again.account_entry_of_run("r3") == _call("Contoso", "r3", 42, ("alex", "isaiah"))
    assert await again.account_entry_of_run("nobody") is None


async def test_a_meeting_learned_in_its_chat_is_recalled_after_a_restart_for_thirty_days(
    storage: Storage,
) -> None:
    organizer = Attendee(name="Alex Wilber", user_id="org-1", side=Side.internal)
    guest = Attendee(name="Priya Raman", user_id="guest-1", side=Side.customer)
    start = datetime(2026, 11, 30, 15, tzinfo=UTC)
    meeting = MeetingInfo(
        meeting_id="MSo1ZjA=" * 20,  # Graph's meeting ids are long: the row key is hashed
        subject="Contoso – kick-off",
        start=start,
        end=start + timedelta(hours=1),
        join_url="https://teams.microsoft.com/l/meetup-join/19%3ameeting_1",
        organizer=organizer,
        attendees=(guest,),
    )
    first = await storage.open_state()
    assert await first.recall(meeting.meeting_id) is None
    await first.keep(meeting)
    await first.close()

    second = await storage.open_state()
    assert await second.recall(meeting.meeting_id) == meeting
    # Seen last 31 days ago: forgotten, and the record goes.
    stale = (datetime.now(UTC) - timedelta(days=CHAT_MEETING_DAYS + 1)).isoformat()
    old = {
        "meeting_id": "m-old",
        "meeting": meeting.model_copy(update={"meeting_id": "m-old"}).model_dump_json(),
    }
    await second.records.put("chatmeetings", "m-old", old | {"kept": stale})
    assert await second.recall("m-old") is None
    assert await second.records.get("chatmeetings", "m-old") is None
