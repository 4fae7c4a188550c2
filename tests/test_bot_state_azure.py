"""What only the Azure Table Storage state has, against Azurite: table prefixes, escaped keys, the
entities an account already holds, its settings and start-up errors, and the live bot recording
its runs there. The behaviour it shares with SQLite is tested on both in tests/test_bot_state.py."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from azure.data.tables.aio import TableServiceClient

from bot.app import STATE
from bot.records_azure import table_key
from bot.state import RunRecord
from bot.state_azure import AzureTableState
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


def run(run_id: str, requester: str = "u-1", day: int = 25) -> RunRecord:
    created = datetime(2026, 11, day, 9, 30, tzinfo=UTC)
    return RunRecord(run_id, "m-1", "org-1", requester, f"item-{run_id}", f"https://x/{run_id}.docx", created)


async def test_a_store_from_another_prefix_sees_nothing(open_azure: OpenAzure) -> None:
    mine, other = await open_azure(new_prefix()), await open_azure(new_prefix())
    await mine.record_run(run("r-1"))
    assert await other.run("r-1") is None and await other.latest_run("u-1") is None


async def test_entities_written_before_the_record_primitive_are_read(
    azurite: Azurite, open_azure: OpenAzure
) -> None:
    # The layout the bot wrote with its own Azure code: one table per kind, RowKey "0", and the
    # run index by requester with inverted creation times. An existing account keeps its data.
    prefix = new_prefix()
    service = TableServiceClient.from_connection_string(azurite.connection_string)
    async with service:
        for kind in ("runs", "runindex", "transcripts"):
            await service.create_table_if_not_exists(prefix + kind)
        created = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
        old = run("r/1")
        await service.get_table_client(prefix + "runs").create_entity(
            {"PartitionKey": "r%2F1", "RowKey": "0", "run_id": "r/1", "meeting_id": "m-1",
             "organizer_id": "org-1", "requester_id": "u-1", "item_id": "item-r/1",
             "web_url": "https://x/r/1.docx", "created": created.isoformat()}
        )  # fmt: skip
        inverted = 10**17 - int((created - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
        await service.get_table_client(prefix + "runindex").create_entity(
            {"PartitionKey": "u-1", "RowKey": f"{inverted:020d}-r%2F1", "run_id": "r/1"}
        )
        await service.get_table_client(prefix + "transcripts").create_entity(
            {"PartitionKey": "t-1", "RowKey": "0", "transcript_id": "t-1", "meeting_id": "m-1",
             "organizer_id": "org-1", "status": "delivered", "received": created.isoformat(),
             "updated": created.isoformat()}
        )  # fmt: skip
    state = await open_azure(prefix)
    assert await state.run("r/1") == old and await state.latest_run("u-1") == old
    newer = RunRecord(**{**run("r-2").__dict__, "created": datetime(2026, 11, 26, tzinfo=UTC)})
    await state.record_run(newer)  # sorts among the old index entries
    assert await state.latest_run("u-1") == newer
    assert await state.claim_transcript("t-1", "m-1", "org-1") is False
    assert await state.transcript_status("t-1") == "delivered"


def test_table_keys_escape_only_what_they_must() -> None:
    assert table_key("29:user-0") == "29:user-0"
    assert table_key("a/b?c#d\\e'f%g") == "a%2Fb%3Fc%23d%5Ce%27f%25g"
    assert table_key("\x00\x1f\x7f") == "%00%1F%7F"
    long = table_key("y" * 600)
    assert long.startswith("sha256-") and len(long) == 7 + 64 and long != table_key("y" * 601)


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
