"""Azure Table Storage state with several instances, against Azurite: one transcript is taken by one
instance even when both try at once, one instance holds a lease, each reads what the other wrote,
keys with characters Table Storage refuses still work, and the live bot records its runs there."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import STATE
from bot.state import PersonalChat, RunRecord
from bot.state_azure import AzureTableState, table_key
from mcem.errors import ConfigError
from tests.fixtures.bot.fakes import USER_ID
from tests.support.azurite import (  # noqa: F401 - the fixtures
    ACCOUNT_KEY,
    Azurite,
    OpenAzure,
    azurite_fixture,
    new_prefix,
    open_azure_fixture,
)
from tests.support.bot import start_bot
from tests.support.connector import message
from tests.support.processes import run_bot

MINUTE = timedelta(minutes=1)


def run(run_id: str, requester: str = "u-1", day: int = 25) -> RunRecord:
    created = datetime(2026, 11, day, 9, 30, tzinfo=UTC)
    return RunRecord(run_id, "m-1", "org-1", requester, f"item-{run_id}", f"https://x/{run_id}.docx", created)


async def test_racing_instances_take_each_transcript_exactly_once(open_azure: OpenAzure) -> None:
    prefix = new_prefix()
    first, second = await open_azure(prefix), await open_azure(prefix)
    ids = [f"transcript-{n}" for n in range(10)]
    claims = await asyncio.gather(
        *(state.claim_transcript(tid, "m-1", "org-1") for tid in ids for state in (first, second))
    )
    per_transcript = [claims[i : i + 2] for i in range(0, len(claims), 2)]
    assert all(sorted(pair) == [False, True] for pair in per_transcript), per_transcript
    await first.set_transcript_status("transcript-3", "delivered")
    assert await second.transcript_status("transcript-3") == "delivered"


async def test_what_one_instance_writes_the_other_reads(open_azure: OpenAzure) -> None:
    prefix = new_prefix()
    first, second = await open_azure(prefix), await open_azure(prefix)
    reference = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/emea/"}
    await first.save_personal_chat(PersonalChat("u-1", "t-1", reference, {"aud": "app"}))
    await first.record_run(run("r-old", day=24))
    await second.record_run(run("r-new", day=26))
    await second.mark_meeting_ended("https://teams/join/1", "19:m")
    await first.put_setting("graph_transcript_subscription_id:abc", "sub-1")

    chat = await second.personal_chat("u-1")
    assert chat is not None and chat.reference == reference and chat.claims == {"aud": "app"}
    assert await first.run("r-new") == run("r-new", day=26)
    assert (await first.latest_run("u-1")) == run("r-new", day=26)
    assert await first.meeting_ended("https://teams/join/1") is not None
    assert await second.get_setting("graph_transcript_subscription_id:abc") == "sub-1"


async def test_a_store_from_another_prefix_sees_nothing(open_azure: OpenAzure) -> None:
    mine, other = await open_azure(new_prefix()), await open_azure(new_prefix())
    await mine.record_run(run("r-1"))
    assert await other.run("r-1") is None and await other.latest_run("u-1") is None


async def test_only_one_instance_gets_a_free_or_expired_lease_when_both_ask_at_once(
    open_azure: OpenAzure,
) -> None:
    prefix = new_prefix()
    first, second = await open_azure(prefix), await open_azure(prefix)
    for _ in range(3):  # free each time: released, or run out
        got = await asyncio.gather(
            first.hold_lease("sub", "a", MINUTE), second.hold_lease("sub", "b", MINUTE)
        )
        assert sorted(got) == [False, True]
        winner = "a" if got[0] else "b"
        assert await second.hold_lease("sub", winner, MINUTE) is True  # the holder, from either client
        loser = "b" if winner == "a" else "a"
        assert await first.hold_lease("sub", loser, MINUTE) is False
        await first.hold_lease("sub", winner, timedelta(microseconds=1))  # let it run out
        await asyncio.sleep(0.01)


async def test_ids_with_characters_table_storage_refuses_still_work(open_azure: OpenAzure) -> None:
    state = await open_azure(new_prefix())
    join_url = (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%22Tid%22%7d#top"
    )
    odd = ["a/b", "a%2Fb", "it's", "back\\slash", "q?x", "tab\there", "ü-ñ", join_url, "x" * 2000]
    for n, key in enumerate(odd):
        await state.mark_meeting_ended(key, f"19:{n}")
        await state.put_setting(key, f"value-{n}")
        assert await state.claim_transcript(key, "m", "o") is True
    for n, key in enumerate(odd):  # each its own record: escaping never merges two ids
        assert await state.get_setting(key) == f"value-{n}"
        assert await state.meeting_ended(key) is not None
        assert await state.claim_transcript(key, "m", "o") is False
    assert await state.get_setting("a") is None


def test_table_keys_escape_only_what_they_must() -> None:
    assert table_key("29:user-0") == "29:user-0"
    assert table_key("a/b?c#d\\e'f%g") == "a%2Fb%3Fc%23d%5Ce%27f%25g"
    assert table_key("\x00\x1f\x7f") == "%00%1F%7F"
    long = table_key("y" * 600)
    assert long.startswith("sha256-") and len(long) == 7 + 64 and long != table_key("y" * 601)


async def test_use_before_start_is_a_programming_error(azurite: Azurite) -> None:
    with pytest.raises(RuntimeError, match="before start"):
        await AzureTableState(connection_string=azurite.connection_string).run("r-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of MCEM_STATE_CONNECTION_STRING or MCEM_STATE_TABLE_URL"),
        (
            {"connection_string": "x", "table_url": "https://a.table.core.windows.net"},
            "exactly one of",
        ),
        ({"connection_string": "x", "prefix": "9bad"}, "MCEM_STATE_TABLE_PREFIX='9bad'"),
        ({"connection_string": "x", "prefix": "with-dash"}, "letters and digits"),
    ],
)
def test_wrong_settings_are_config_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AzureTableState(**kwargs)


async def test_a_malformed_connection_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="MCEM_STATE_CONNECTION_STRING"):
        await AzureTableState(connection_string="not a connection string").start()


async def test_an_unreachable_account_is_one_message_without_the_key(azurite: Azurite) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = azurite.connection_string.replace(f":{azurite.port}/", f":{port}/")
    with pytest.raises(ConfigError) as caught:
        await AzureTableState(connection_string=closed).start()
    text = str(caught.value)
    assert f"http://127.0.0.1:{port}/devstoreaccount1" in text and "ServiceRequestError" in text
    assert ACCOUNT_KEY not in text and "AccountKey" not in text


async def test_the_live_bot_records_its_runs_in_table_storage(
    azurite: Azurite, open_azure: OpenAzure
) -> None:
    prefix = new_prefix()
    env = {
        "MCEM_STATE_BACKEND": "azure",
        "MCEM_STATE_CONNECTION_STRING": azurite.connection_string,
        "MCEM_STATE_TABLE_PREFIX": prefix,
    }
    async for bot in start_bot(env):
        assert isinstance(bot.app[STATE], AzureTableState)
        status, _ = await bot.send(message("analyze last meeting", bot.connector))
        assert status == 202
        await bot.settle()
    other_instance = await open_azure(prefix)
    latest = await other_instance.latest_run(USER_ID)
    assert latest is not None and latest.requester_id == USER_ID and latest.web_url.startswith("https://")
    chat = await other_instance.personal_chat(USER_ID)  # the personal chat was remembered too
    assert chat is not None and chat.reference["conversation"]["id"] == "personal-1"


def test_python_m_bot_with_unreachable_table_storage_exits_with_one_line(azurite: Azurite) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = azurite.connection_string.replace(f":{azurite.port}/", f":{port}/")
    result = run_bot(
        MCEM_STATE_BACKEND="azure",
        MCEM_STATE_CONNECTION_STRING=closed,
        MCEM_GRAPH_BASE_URL="http://127.0.0.1:9/v1.0",
        MCEM_SHAREPOINT_DRIVE_ID="b!drive",
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"mcem bot: the bot's table storage at http://127.0.0.1:{port}/devstoreaccount1")
    assert "Traceback" not in result.stderr and ACCOUNT_KEY not in result.stderr + result.stdout
