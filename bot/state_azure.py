"""BotState on Azure Table Storage, for several bot instances behind one load balancer.

One table per kind, named ``<prefix><kind>`` (prefix ``mcem`` by default): ``chats``,
``transcripts``, ``runs``, ``runindex``, ``emails``, ``meetings``, ``settings`` and ``leases``. Each record is
one entity with PartitionKey = its id (escaped, see ``table_key``) and RowKey ``"0"``, so records
spread over partitions; the original ids are kept as properties.

What makes it safe with several instances:

- A transcript is claimed with ``create_entity``: the service lets exactly one insert of a key
  succeed, every other instance gets ResourceExistsError (409) and leaves it alone.
- ``latest_run`` reads ``runindex``: partition = requester, RowKey = inverted creation time, so the
  service's key order puts a user's newest run first (no ORDER BY in Table Storage).
- ``hold_lease`` is a lease-like entity with a holder and an expiry, changed only with If-Match on
  the ETag read just before (optimistic concurrency): of two instances racing for a free or expired
  lease, one update succeeds and the other gets 412. The Graph subscription's keeper runs only in
  the lease's holder (bot/ownership.py). Expiry compares wall clocks, so the lease time must be
  much longer than the clock skew between instances (minutes against seconds).

Auth: ``MCEM_STATE_CONNECTION_STRING`` (an account key or SAS connection string; Azurite's in
tests), or ``MCEM_STATE_TABLE_URL`` (https://<account>.table.core.windows.net) with
the managed identity MCEM_MANAGED_IDENTITY_CLIENT_ID names (as in deploy/main.bicep), else
DefaultAzureCredential (the app registration when AZURE_CLIENT_ID/AZURE_CLIENT_SECRET are set).
That identity needs the role "Storage Table Data Contributor" on the account.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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

from bot.settings import TABLE_URL_HINT
from bot.state import PersonalChat, RunRecord, SentEmail
from mcem.azure_auth import data_credential
from mcem.config import exactly_one_of
from mcem.errors import ConfigError

__all__ = ["DEFAULT_PREFIX", "AzureTableState", "table_key"]

DEFAULT_PREFIX = "mcem"
_KINDS = ("chats", "transcripts", "runs", "runindex", "emails", "meetings", "settings", "leases", "active")
_ROW = "0"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]{0,39}")
# Not allowed in PartitionKey/RowKey ('/', '\\', '#', '?', control characters); '%' and "'" are
# escaped too because some service paths mishandle them in the request URL.
_UNSAFE = re.compile(r"[/\\#?%'\x00-\x1f\x7f-\x9f]")
_MAX_KEY = 512  # bytes of UTF-8; the service allows 1 KiB per key
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INVERT = 10**17  # microseconds: later than year 5000, so inverted times stay positive


def table_key(value: str) -> str:
    """``value`` usable as a PartitionKey/RowKey: unsafe characters as %XX, long ones hashed."""
    key = _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", value)
    if len(key.encode()) > _MAX_KEY:
        return "sha256-" + sha256(value.encode()).hexdigest()
    return key


def _now() -> datetime:
    return datetime.now(UTC)


def _lapsed(row: Mapping[str, Any], stale_before: datetime) -> bool:
    """A transcript still "processing" whose lease was last renewed before ``stale_before``."""
    if row.get("status") not in ("processing", "claimed"):
        return False
    return datetime.fromisoformat(str(row["updated"])) < stale_before.astimezone(UTC)


def _inverted(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{_INVERT - (aware - _EPOCH) // timedelta(microseconds=1):020d}"


class AzureTableState:
    """BotState in Azure Table Storage. Built without I/O; ``start`` connects and creates the tables."""

    def __init__(
        self,
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
        self._connection_string = connection_string
        self._table_url = table_url
        self._managed_identity_client_id = managed_identity_client_id
        self.prefix = prefix
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
        """Connect and create the tables that are missing; idempotent."""
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
            for kind in _KINDS:
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

    def _table(self, kind: str) -> TableClient:
        if self._service is None:
            raise RuntimeError("AzureTableState used before start()")
        return self._tables[kind]

    async def _get(self, kind: str, key: str, row: str = _ROW) -> Mapping[str, Any] | None:
        try:
            return await self._table(kind).get_entity(table_key(key), row)
        except ResourceNotFoundError:
            return None

    async def _put(self, kind: str, key: str, **props: Any) -> None:
        entity = {"PartitionKey": table_key(key), "RowKey": _ROW, **props}
        await self._table(kind).upsert_entity(entity, mode=UpdateMode.REPLACE)

    async def save_personal_chat(self, chat: PersonalChat) -> None:
        await self._put(
            "chats",
            chat.user_id,
            user_id=chat.user_id,
            tenant_id=chat.tenant_id,
            reference=json.dumps(chat.reference),
            claims=json.dumps(chat.claims),
            updated=_now().isoformat(),
        )

    async def personal_chat(self, user_id: str) -> PersonalChat | None:
        row = await self._get("chats", user_id)
        if row is None:
            return None
        reference, claims = json.loads(row["reference"]), json.loads(row["claims"])
        return PersonalChat(user_id, row["tenant_id"], reference, claims)

    async def claim_transcript(self, transcript_id: str, meeting_id: str, organizer_id: str) -> bool:
        now = _now().isoformat()
        entity = {
            "PartitionKey": table_key(transcript_id),
            "RowKey": _ROW,
            "transcript_id": transcript_id,
            "meeting_id": meeting_id,
            "organizer_id": organizer_id,
            "status": "processing",
            "received": now,
            "updated": now,
        }
        try:
            await self._table("transcripts").create_entity(entity)
        except ResourceExistsError:  # another caller, maybe another instance, took it first
            return False
        return True

    async def retake_transcript(self, transcript_id: str, stale_before: datetime, now: datetime) -> bool:
        row = await self._get("transcripts", transcript_id)
        if row is None or not _lapsed(row, stale_before):
            return False
        entity = {"PartitionKey": table_key(transcript_id), "RowKey": _ROW, "status": "processing"}
        entity["updated"] = now.astimezone(UTC).isoformat()
        try:
            # If-Match on the ETag just read: of two instances retaking at once, one wins.
            await self._table("transcripts").update_entity(
                entity,
                mode=UpdateMode.MERGE,
                etag=row.metadata["etag"],  # type: ignore[attr-defined]
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        except HttpResponseError as err:
            if err.status_code == 412:
                return False
            raise
        return True

    async def unfinished_transcripts(self, stale_before: datetime) -> list[tuple[str, str, str]]:
        rows = self._table("transcripts").query_entities(
            "status eq @processing or status eq @claimed",
            parameters={"processing": "processing", "claimed": "claimed"},
        )
        lapsed = [row async for row in rows if _lapsed(row, stale_before)]
        lapsed.sort(key=lambda row: str(row["received"]))
        return [(str(r["transcript_id"]), str(r["meeting_id"]), str(r["organizer_id"])) for r in lapsed]

    async def set_transcript_status(self, transcript_id: str, status: str) -> None:
        entity = {"PartitionKey": table_key(transcript_id), "RowKey": _ROW, "status": status}
        entity["updated"] = _now().isoformat()
        # MERGE with If-Match *: changes a claimed transcript, never creates one.
        with contextlib.suppress(ResourceNotFoundError):
            await self._table("transcripts").update_entity(entity, mode=UpdateMode.MERGE)

    async def transcript_status(self, transcript_id: str) -> str | None:
        row = await self._get("transcripts", transcript_id)
        return str(row["status"]) if row else None

    async def record_run(self, run: RunRecord) -> None:
        old = await self.run(run.run_id)
        # The record first, the index entry after: an index entry always finds its record.
        await self._put(
            "runs",
            run.run_id,
            run_id=run.run_id,
            meeting_id=run.meeting_id,
            organizer_id=run.organizer_id,
            requester_id=run.requester_id,
            item_id=run.item_id,
            web_url=run.web_url,
            created=run.created.isoformat(),
        )
        index = self._table("runindex")
        if old is not None:  # replaced: its old index entry would point at the wrong time or user
            await index.delete_entity(table_key(old.requester_id), self._index_row(old))
        await index.upsert_entity(
            {
                "PartitionKey": table_key(run.requester_id),
                "RowKey": self._index_row(run),
                "run_id": run.run_id,
            },
            mode=UpdateMode.REPLACE,
        )

    @staticmethod
    def _index_row(run: RunRecord) -> str:
        # Newest first by creation time, then by run id; the service sorts RowKeys as strings.
        return f"{_inverted(run.created)}-{table_key(run.run_id)}"

    async def run(self, run_id: str) -> RunRecord | None:
        row = await self._get("runs", run_id)
        if row is None:
            return None
        return RunRecord(
            run_id,
            row["meeting_id"],
            row["organizer_id"],
            row["requester_id"],
            row["item_id"],
            row["web_url"],
            datetime.fromisoformat(row["created"]),
        )

    async def latest_run(self, requester_id: str) -> RunRecord | None:
        entries = self._table("runindex").query_entities(
            "PartitionKey eq @pk", parameters={"pk": table_key(requester_id)}, results_per_page=1
        )
        async for entry in entries:
            return await self.run(str(entry["run_id"]))
        return None

    async def record_email(self, run_id: str, sent: SentEmail) -> None:
        await self._put(
            "emails", run_id, run_id=run_id, recipients=json.dumps(sent.recipients), at=sent.at.isoformat()
        )

    async def last_email(self, run_id: str) -> SentEmail | None:
        row = await self._get("emails", run_id)
        return SentEmail(json.loads(row["recipients"]), datetime.fromisoformat(row["at"])) if row else None

    async def mark_meeting_ended(self, meeting_key: str, conversation_id: str) -> None:
        await self._put(
            "meetings",
            meeting_key,
            meeting_key=meeting_key,
            conversation_id=conversation_id,
            ended=_now().isoformat(),
        )

    async def meeting_ended(self, meeting_key: str) -> datetime | None:
        row = await self._get("meetings", meeting_key)
        return datetime.fromisoformat(row["ended"]) if row else None

    async def get_setting(self, name: str) -> str | None:
        row = await self._get("settings", name)
        return str(row["value"]) if row else None

    async def put_setting(self, name: str, value: str) -> None:
        await self._put("settings", name, name=name, value=value)

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        leases = self._table("leases")
        now = _now()
        entity = {
            "PartitionKey": table_key(name),
            "RowKey": _ROW,
            "name": name,
            "holder": holder,
            "expires": (now + ttl).isoformat(),
        }
        current = await self._get("leases", name)
        if current is None:
            try:
                await leases.create_entity(entity)
            except ResourceExistsError:
                return False
            return True
        if current["holder"] != holder and datetime.fromisoformat(current["expires"]) > now:
            return False
        try:
            await leases.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],  # type: ignore[attr-defined]
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False  # someone renewed, took or released it since the read
        except HttpResponseError as err:
            if err.status_code == 412:
                return False
            raise
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        current = await self._get("leases", name)
        if current is None or current["holder"] != holder:
            return
        try:
            await self._table("leases").delete_entity(
                table_key(name),
                _ROW,
                etag=current.metadata["etag"],  # type: ignore[attr-defined]
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            pass  # taken over since the read: no longer ours to release
        except HttpResponseError as err:
            if err.status_code != 412:
                raise

    async def save_active_run(self, run_id: str, payload: str) -> None:
        await self._put("active", run_id, run_id=run_id, payload=payload)

    async def active_runs(self) -> list[tuple[str, str]]:
        rows = self._table("active").list_entities(select=["run_id", "payload"])
        return sorted([(str(r["run_id"]), str(r["payload"])) async for r in rows])

    async def drop_active_run(self, run_id: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            await self._table("active").delete_entity(table_key(run_id), _ROW)

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
