"""BotState on Azure Table Storage, for several bot instances behind one load balancer.

The records are bot/state.py's, written once for every backend; the primitive under them is
bot/records_azure.py (one table per kind, ``<prefix><kind>``; If-Match on ETags for the writes
that must not lose a race). The tables and entities are those the bot wrote before the primitive,
so an existing account keeps its data.
"""

from __future__ import annotations

from bot.records_azure import DEFAULT_PREFIX, AzureRecords
from bot.state import KINDS, State

__all__ = ["AzureTableState"]


class AzureTableState(State):
    """Built without I/O; ``start`` connects and creates the tables that are missing."""

    def __init__(
        self,
        *,
        connection_string: str = "",
        table_url: str = "",
        prefix: str = DEFAULT_PREFIX,
        managed_identity_client_id: str = "",
    ) -> None:
        self._azure = AzureRecords(
            KINDS,
            connection_string=connection_string,
            table_url=table_url,
            prefix=prefix,
            managed_identity_client_id=managed_identity_client_id,
        )
        super().__init__(self._azure)
        self.prefix = prefix

    @property
    def where(self) -> str:
        """The account endpoint, for messages (never the connection string: it holds the key)."""
        return self._azure.where
