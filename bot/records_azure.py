"""The record primitive (bot/records.py) on Azure Table Storage, for several bot instances.

One table per record kind, named ``<prefix><kind>`` (prefix ``mcem`` by default); a record is one
entity, PartitionKey = ``table_key(part)``, RowKey = ``table_key(row)``, its value the entity's
properties. The version is the entity's ETag, so:

- ``insert`` is ``create_entity``: the service lets exactly one insert of a key succeed; every
  other caller, on any instance, gets 409 (ResourceExistsError).
- ``replace`` and a versioned ``delete`` send If-Match with the ETag read before: of two instances
  racing, one write succeeds and the other gets 412 (or 404 when the entity went meanwhile).
- ``scan`` is a query on the PartitionKey and the ``where`` fields; the service returns a
  partition's entities in RowKey order.

Auth: ``MCEM_STATE_CONNECTION_STRING`` (an account key or SAS connection string; Azurite's in
tests), or ``MCEM_STATE_TABLE_URL`` (https://<account>.table.core.windows.net) with
the managed identity MCEM_MANAGED_IDENTITY_CLIENT_ID names (as in deploy/main.bicep), else
DefaultAzureCredential (the app registration when AZURE_CLIENT_ID/AZURE_CLIENT_SECRET are set).
That identity needs the role "Storage Table Data Contributor" on the account. Every request is
retried up to 3 times by the client (transient errors, throttling).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from hashlib import sha256
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from bot.records import ONE, Entry, Value, Where, field_name
from bot.settings import TABLE_URL_HINT
from mcem.azure_auth import data_credential
from mcem.config import exactly_one_of
from mcem.errors import ConfigError

__all__ = ["DEFAULT_PREFIX", "AzureRecords", "table_key"]

DEFAULT_PREFIX = "mcem"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]{0,39}")
# Not allowed in PartitionKey/RowKey ('/', '\\', '#', '?', control characters); '%' and "'" are
# escaped too because some service paths mishandle them in the request URL.
_UNSAFE = re.compile(r"[/\\#?%'\x00-\x1f\x7f-\x9f]")
_MAX_KEY = 512  # bytes of UTF-8; the service allows 1 KiB per key
_KEYS = ("PartitionKey", "RowKey")


def table_key(value: str) -> str:
    """``value`` usable as a PartitionKey/RowKey: unsafe characters as %XX, long ones hashed."""
    key = _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", value)
    if len(key.encode()) > _MAX_KEY:
        return "sha256-" + sha256(value.encode()).hexdigest()
    return key


def _entry(entity: Mapping[str, Any]) -> Entry:
    value = {name: item for name, item in entity.items() if name not in _KEYS}
    return Entry(value, str(entity.metadata["etag"]))  # type: ignore[attr-defined]


def _lost_race(err: HttpResponseError) -> bool:
    # Azurite and the service differ in the exception class of a failed If-Match; the status is the same.
    return isinstance(err, ResourceModifiedError | ResourceNotFoundError) or err.status_code == 412


class AzureRecords:
    """Built without I/O; ``start`` connects and creates the tables of ``kinds`` that are missing."""

    def __init__(
        self,
        kinds: Sequence[str],
        *,
        connection_string: str = "",
        table_url: str = "",
        prefix: str = DEFAULT_PREFIX,
        managed_identity_client_id: str = "",
    ) -> None:
        exactly_one_of(
            "MCEM_STATE_BACKEND=azure",
            ("MCEM_STATE_CONNECTION_STRING", connection_string),
            ("MCEM_STATE_TABLE_URL", table_url),
            hint=TABLE_URL_HINT,
        )
        if not _PREFIX.fullmatch(prefix):
            raise ConfigError(
                f"MCEM_STATE_TABLE_PREFIX={prefix!r} is not a table name prefix: use 1 to 40 letters "
                "and digits, starting with a letter."
            )
        self.kinds = tuple(kinds)
        self.prefix = prefix
        self._connection_string = connection_string
        self._table_url = table_url
        self._managed_identity_client_id = managed_identity_client_id
        self._service: TableServiceClient | None = None
        self._credential: Any = None
        self._tables: dict[str, TableClient] = {}

    @property
    def where(self) -> str:
        """The account endpoint, for messages (never the connection string: it holds the key)."""
        if self._table_url:
            return self._table_url
        parts = dict(p.split("=", 1) for p in self._connection_string.split(";") if "=" in p)
        return parts.get("TableEndpoint") or parts.get("AccountName", "the configured storage account")

    async def start(self) -> None:
        if self._service is not None:
            return
        try:
            if self._connection_string:
                service = TableServiceClient.from_connection_string(self._connection_string, retry_total=3)
            else:
                self._credential = data_credential(self._managed_identity_client_id)
                service = TableServiceClient(
                    endpoint=self._table_url, credential=self._credential, retry_total=3
                )
        except ValueError as err:
            raise ConfigError(
                f"the bot's table storage settings are not usable ({err}): check "
                "MCEM_STATE_CONNECTION_STRING or MCEM_STATE_TABLE_URL."
            ) from None
        try:
            for kind in self.kinds:
                self._tables[kind] = await service.create_table_if_not_exists(self.prefix + kind)
        except (AzureError, OSError) as err:
            await self._close(service)
            hint = (
                "give the bot's identity the role Storage Table Data Contributor"
                if isinstance(err, ClientAuthenticationError) and self._table_url
                else "check the account, its key or the network path"
            )
            raise ConfigError(
                f"the bot's table storage at {self.where} cannot be used ({type(err).__name__}): {hint}."
            ) from None
        self._service = service

    async def close(self) -> None:
        service, self._service = self._service, None
        if service is not None:
            await self._close(service)

    async def _close(self, service: TableServiceClient) -> None:
        tables, self._tables = self._tables, {}
        for table in tables.values():
            await table.close()
        await service.close()
        credential, self._credential = self._credential, None
        if credential is not None:
            await credential.close()

    def _table(self, kind: str) -> TableClient:
        if self._service is None:
            raise RuntimeError("AzureRecords used before start()")
        return self._tables[kind]

    @staticmethod
    def _entity(part: str, row: str, value: Value) -> dict[str, Any]:
        return {"PartitionKey": table_key(part), "RowKey": table_key(row), **value}

    async def get(self, kind: str, part: str, row: str = ONE) -> Entry | None:
        try:
            return _entry(await self._table(kind).get_entity(table_key(part), table_key(row)))
        except ResourceNotFoundError:
            return None

    async def insert(self, kind: str, part: str, value: Value, row: str = ONE) -> bool:
        try:
            await self._table(kind).create_entity(self._entity(part, row, value))
        except ResourceExistsError:
            return False
        return True

    async def replace(self, kind: str, part: str, value: Value, version: str, row: str = ONE) -> bool:
        try:
            await self._table(kind).update_entity(
                self._entity(part, row, value),
                mode=UpdateMode.REPLACE,
                etag=version,
                match_condition=MatchConditions.IfNotModified,
            )
        except HttpResponseError as err:
            if _lost_race(err):
                return False
            raise
        return True

    async def put(self, kind: str, part: str, value: Value, row: str = ONE) -> None:
        await self._table(kind).upsert_entity(self._entity(part, row, value), mode=UpdateMode.REPLACE)

    async def delete(self, kind: str, part: str, row: str = ONE, version: str | None = None) -> None:
        table = self._table(kind)
        try:
            if version is None:
                await table.delete_entity(table_key(part), table_key(row))
            else:
                await table.delete_entity(
                    table_key(part),
                    table_key(row),
                    etag=version,
                    match_condition=MatchConditions.IfNotModified,
                )
        except HttpResponseError as err:
            if not _lost_race(err):
                raise

    async def scan(
        self, kind: str, part: str | None = None, *, where: Where | None = None, limit: int | None = None
    ) -> list[Entry]:
        if where and not all(where.values()):
            return []  # a field that may have none of no values: nothing matches
        clauses: list[str] = []
        parameters: dict[str, Any] = {}
        if part is not None:
            clauses.append("PartitionKey eq @part")
            parameters["part"] = table_key(part)
        for n, (name, allowed) in enumerate((where or {}).items()):
            names = [f"w{n}x{i}" for i in range(len(allowed))]
            parameters |= dict(zip(names, allowed, strict=True))
            # Spaces around the brackets: the client finds @names by splitting the filter on spaces.
            clauses.append("( " + " or ".join(f"{field_name(name)} eq @{p}" for p in names) + " )")
        table = self._table(kind)
        entities = (
            table.query_entities(" and ".join(clauses), parameters=parameters, results_per_page=limit)
            if clauses
            else table.list_entities(results_per_page=limit)
        )
        found: list[Entry] = []
        async for entity in entities:
            found.append(_entry(entity))
            if limit is not None and len(found) >= limit:
                break
        return found
