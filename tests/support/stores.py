"""One empty store of each backend, for the tests that must hold on both (the ``storage`` fixture).

``storage.open_state()`` and ``storage.open_records()`` give a started store over the same data
with new connections each time: a second instance, or the same one after a restart. Whatever a
test opens is closed at its end. The Azure side needs Azurite: import ``azurite_fixture`` from
tests/support/azurite.py beside ``storage_fixture``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.records import Records
from bot.records_azure import AzureRecords
from bot.records_sqlite import SqliteRecords
from bot.state import KINDS, SqliteState, State
from bot.state_azure import AzureTableState
from tests.support.azurite import Azurite, new_prefix

BACKENDS = ("sqlite", "azure")


@dataclass
class Storage:
    backend: str
    path: Path  # the SQLite file (unused by the Azure side)
    connection_string: str = ""
    prefix: str = field(default_factory=new_prefix)
    opened: list[Records | State] = field(default_factory=list)

    def state(self) -> State:
        """A store over this storage, not started (as ``create_app`` builds it)."""
        if self.backend == "sqlite":
            return SqliteState(self.path)
        return AzureTableState(connection_string=self.connection_string, prefix=self.prefix)

    async def open_state(self) -> State:
        state = self.state()
        await state.start()
        self.opened.append(state)
        return state

    async def open_records(self) -> Records:
        records: Records
        if self.backend == "sqlite":
            records = SqliteRecords(self.path)
        else:
            records = AzureRecords(KINDS, connection_string=self.connection_string, prefix=self.prefix)
        await records.start()
        self.opened.append(records)
        return records


@pytest.fixture(params=BACKENDS, name="storage")
async def storage_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    path = tmp_path / "nested" / "bot.sqlite3"  # the folder is created
    if request.param == "sqlite":
        storage = Storage("sqlite", path)
    else:
        azurite: Azurite = request.getfixturevalue("azurite")
        storage = Storage("azure", path, azurite.connection_string)
    yield storage
    for opened in storage.opened:
        await opened.close()
