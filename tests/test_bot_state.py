"""The bot's store, SQLite and Azure Table Storage (Azurite) alike: exactly-once claims, personal
chats, runs, leases — and all of it after a reopen ("a restart": new connections, same data)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.state import BotState, PersonalChat, RunRecord, SentEmail, SqliteState, open_state
from mcem.errors import ConfigError
from tests.support.azurite import OpenAzure, azurite_fixture, new_prefix, open_azure_fixture  # noqa: F401

Reopen = Callable[[], Awaitable[BotState]]

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


@pytest.fixture(params=["sqlite", "azure"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Reopen:
    """Opens the same store again on every call, with new connections; the test closes what it opens."""
    if request.param == "sqlite":
        path = tmp_path / "nested" / "bot.sqlite3"  # the folder is created
        return lambda: open_state(path)
    open_one: OpenAzure = request.getfixturevalue("open_azure")
    prefix = new_prefix()
    return lambda: open_one(prefix)


async def test_a_transcript_is_claimed_once_even_by_racing_callers(reopen: Reopen) -> None:
    state = await reopen()
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


async def test_the_newest_personal_chat_wins(reopen: Reopen) -> None:
    state = await reopen()
    try:
        assert await state.personal_chat("u-1") is None
        await state.save_personal_chat(chat(conversation="a:old"))
        await state.save_personal_chat(chat(conversation="a:new"))
        found = await state.personal_chat("u-1")
        assert found is not None and found.reference["conversation"]["id"] == "a:new"
        assert found.claims == {"aud": "app-id", "tid": "t-1"}
    finally:
        await state.close()


async def test_everything_survives_closing_and_reopening(reopen: Reopen) -> None:
    first = await reopen()
    await first.save_personal_chat(chat())
    await first.claim_transcript("t-1", "m-1", "org-1")
    await first.record_run(run())
    await first.mark_meeting_ended("https://teams/join/1", "19:meeting")
    await first.put_setting("subscription", "s-1")
    await first.close()

    second = await reopen()
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


async def test_the_sqlite_file_is_plain_sqlite(tmp_path: Path) -> None:
    state = await open_state(tmp_path / "bot.sqlite3")
    await state.record_run(run())
    await state.close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:  # an admin can inspect it
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)


async def test_an_unusable_path_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"MCEM_STATE_PATH=.*writable file"):
        await open_state(blocker / "state.sqlite3")


async def test_use_before_start_is_a_programming_error() -> None:
    with pytest.raises(RuntimeError, match="before start"):
        await SqliteState(":memory:").run("r-1")


async def test_latest_run_is_the_users_newest(reopen: Reopen) -> None:
    state = await reopen()
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


async def test_a_rerecorded_run_moves_to_its_new_time_and_requester(reopen: Reopen) -> None:
    state = await reopen()
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


async def test_a_lapsed_claim_is_retaken_once_and_a_finished_one_never(reopen: Reopen) -> None:
    state = await reopen()
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


async def test_a_status_is_set_only_on_a_claimed_transcript(reopen: Reopen) -> None:
    state = await reopen()
    try:
        await state.set_transcript_status("never-claimed", "delivered")
        assert await state.transcript_status("never-claimed") is None
        assert await state.claim_transcript("never-claimed", "m-1", "org-1") is True
    finally:
        await state.close()


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(reopen: Reopen) -> None:
    state = await reopen()
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


async def test_a_runs_last_email_survives_a_restart_in_its_own_record(reopen: Reopen) -> None:
    first = await reopen()
    try:
        assert await first.last_email("r-1") is None
        await first.record_email("r-1", SentEmail(["Megan Bowen"], datetime(2026, 11, 25, 9, tzinfo=UTC)))
        later = SentEmail(["Megan Bowen", "Alex Wilber"], datetime(2026, 11, 25, 10, tzinfo=UTC))
        await first.record_email("r-1", later)  # a later send replaces the record
    finally:
        await first.close()
    second = await reopen()
    try:
        assert await second.last_email("r-1") == later
        assert await second.last_email("r-2") is None
        assert await second.get_setting("run_emailed:r-1") is None  # no longer a setting
    finally:
        await second.close()
