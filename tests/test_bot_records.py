"""The record primitive's contract (bot/records.py), on SQLite and on Azure Table Storage (Azurite):
an insert of a key wins exactly once, a write against a version that has changed fails, and a
scan reads a partition in row order. bot/state.py's every record kind relies on nothing more."""

from __future__ import annotations

import asyncio

import pytest

from bot.records import ONE, field_name
from bot.records_azure import AzureRecords
from bot.records_sqlite import SqliteRecords
from bot.state import KINDS
from tests.support.azurite import Azurite, azurite_fixture  # noqa: F401 - the fixture
from tests.support.stores import Storage, storage_fixture  # noqa: F401 - the fixture

ODD_KEYS = ["a/b", "a%2Fb", "it's", "back\\slash", "q?x#y", "tab\there", "ü-ñ", "x" * 2000, "x" * 2001]


async def test_racing_inserts_of_one_key_make_exactly_one_winner(storage: Storage) -> None:
    first, second = await storage.open_records(), await storage.open_records()  # two instances
    keys = [f"t-{n}" for n in range(8)]
    attempts = [(records, key, f"by-{i}") for key in keys for i, records in enumerate((first, second, first))]
    won = await asyncio.gather(*(r.insert("transcripts", key, {"by": by}) for r, key, by in attempts))
    for n, key in enumerate(keys):
        outcome = won[3 * n : 3 * n + 3]
        assert sorted(outcome) == [False, False, True], (key, outcome)
        winner = attempts[3 * n + outcome.index(True)][2]
        stored = await second.get("transcripts", key)
        assert stored is not None and stored.value == {"by": winner}  # the losers wrote nothing
    assert await first.insert("transcripts", "t-0", {"by": "late"}) is False


async def test_a_replace_against_a_stale_version_fails_and_changes_nothing(storage: Storage) -> None:
    records = await storage.open_records()
    assert await records.insert("leases", "sub", {"holder": "a"}) is True
    read = await records.get("leases", "sub")
    assert read is not None
    assert await records.replace("leases", "sub", {"holder": "b"}, read.version) is True
    newer = await records.get("leases", "sub")
    assert newer is not None and newer.value == {"holder": "b"} and newer.version != read.version

    assert await records.replace("leases", "sub", {"holder": "c"}, read.version) is False  # stale
    assert (await records.get("leases", "sub")).value == {"holder": "b"}  # type: ignore[union-attr]
    assert await records.replace("leases", "absent", {"holder": "c"}, read.version) is False
    assert await records.get("leases", "absent") is None  # a replace never creates


async def test_a_version_read_before_a_delete_never_matches_the_record_created_after(
    storage: Storage,
) -> None:
    records = await storage.open_records()
    await records.insert("leases", "sub", {"holder": "a"})
    before = await records.get("leases", "sub")
    assert before is not None
    await records.delete("leases", "sub")
    await records.insert("leases", "sub", {"holder": "b"})
    assert await records.replace("leases", "sub", {"holder": "a"}, before.version) is False
    await records.delete("leases", "sub", version=before.version)  # stale: leaves it
    assert (await records.get("leases", "sub")).value == {"holder": "b"}  # type: ignore[union-attr]


async def test_racing_replaces_of_one_version_make_exactly_one_winner(storage: Storage) -> None:
    first, second = await storage.open_records(), await storage.open_records()
    await first.insert("leases", "sub", {"holder": "nobody"})
    read = await second.get("leases", "sub")
    assert read is not None
    won = await asyncio.gather(
        *(
            r.replace("leases", "sub", {"holder": f"h{i}"}, read.version)
            for i, r in enumerate([first, second] * 3)
        )
    )
    assert sorted(won) == [False] * 5 + [True]
    assert (await first.get("leases", "sub")).value == {"holder": f"h{won.index(True)}"}  # type: ignore[union-attr]


async def test_put_creates_or_overwrites_and_delete_removes(storage: Storage) -> None:
    records = await storage.open_records()
    await records.delete("settings", "never")  # absent: not an error
    await records.put("settings", "s", {"value": "1"})
    first = await records.get("settings", "s")
    await records.put("settings", "s", {"value": "2"})
    second = await records.get("settings", "s")
    assert first is not None and second is not None
    assert second.value == {"value": "2"} and second.version != first.version
    await records.delete("settings", "s")
    assert await records.get("settings", "s") is None


async def test_values_keep_their_types_and_kinds_their_own_keys(storage: Storage) -> None:
    records = await storage.open_records()
    value = {"text": 'ü "quoted" \n', "count": 42, "ratio": 0.25, "flag": True, "empty": ""}
    await records.put("runs", "k", value)
    await records.put("emails", "k", {"other": "kind"})
    assert (await records.get("runs", "k")).value == value  # type: ignore[union-attr]
    assert (await records.get("emails", "k")).value == {"other": "kind"}  # type: ignore[union-attr]
    assert await records.get("meetings", "k") is None


async def test_keys_with_characters_table_storage_refuses_stay_apart(storage: Storage) -> None:
    records = await storage.open_records()
    for n, key in enumerate(ODD_KEYS):
        assert await records.insert("meetings", key, {"n": n}) is True
        await records.put("runindex", "owner", {"n": n}, row=key)
    for n, key in enumerate(ODD_KEYS):
        assert (await records.get("meetings", key)).value == {"n": n}  # type: ignore[union-attr]
        assert (await records.get("runindex", "owner", key)).value == {"n": n}  # type: ignore[union-attr]
    assert len(await records.scan("runindex", "owner")) == len(ODD_KEYS)


async def test_a_scan_reads_a_partition_in_row_order_filtered_by_the_backend(storage: Storage) -> None:
    records = await storage.open_records()
    for row, status in [
        ("0003", "done"),
        ("0001", "processing"),
        ("0002", "claimed"),
        ("0004", "processing"),
    ]:
        await records.put("runindex", "u-1", {"row": row, "status": status}, row=row)
    await records.put("runindex", "u-2", {"row": "0000", "status": "processing"}, row="0000")

    mine = await records.scan("runindex", "u-1")
    assert [e.value["row"] for e in mine] == ["0001", "0002", "0003", "0004"]
    assert [e.value["row"] for e in await records.scan("runindex", "u-1", limit=1)] == ["0001"]
    open_ones = await records.scan("runindex", where={"status": ["processing", "claimed"]})
    assert sorted(e.value["row"] for e in open_ones) == ["0000", "0001", "0002", "0004"]
    assert await records.scan("runindex", "u-1", where={"status": []}) == []
    assert await records.scan("runindex", "nobody") == []
    read = await records.get("runindex", "u-1", "0001")
    assert read is not None and read.version == mine[0].version  # a scan gives versions to write against


def test_only_plain_field_names_reach_a_filter() -> None:
    assert field_name("status") == "status"
    for bad in ["", "1st", "a b", "x') OR 1=1 --", "a.b"]:
        with pytest.raises(ValueError, match="not a record field name"):
            field_name(bad)


async def test_use_before_start_is_a_programming_error(azurite: Azurite) -> None:
    for records in (
        SqliteRecords(":memory:"),
        AzureRecords(KINDS, connection_string=azurite.connection_string),
    ):
        with pytest.raises(RuntimeError, match="before start"):
            await records.get("runs", "r-1", ONE)
