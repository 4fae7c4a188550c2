"""Opt-in CRM: after an analysis, a note on the customer's Dynamics 365 account and a task per next step.

Off unless ``MCEM_CRM=dynamics`` (with ``MCEM_DATAVERSE_URL``): then nothing is loaded and nothing
is sent. ``Crm`` is the seam: ``DynamicsCrm`` is the real one (the Dataverse Web API through
bot/dataverse.py); the tests' stand-in speaks the same wire protocol (tests/stubs/dataverse_stub.py).

What goes: the note (the executive summary, the current MCEM stage, the draft's link) regarding the
account found by its exact name, and one task per next step (the action; owner, due date as said and
the verified quote in the description; ``scheduledend`` when the words name a date; owned by the
Dynamics user whose primary email is the Microsoft owner's, when there is one). What never goes: the
confidential asides, or anything that repeats one (mcem/crm.py builds the update, and ``push``
refuses an update that still holds one), the transcript, the rest of the analysis.

Idempotent per meeting: what was created is kept in the bot's state (``CrmRecord``), so a Regenerate
or a re-run updates that note and those tasks, adds tasks for new steps and deletes those of steps the
new analysis no longer has. A CRM failure never fails the analysis: the summary card says in one line
that Dynamics was not updated, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from azure.core.credentials_async import AsyncTokenCredential

from bot.dataverse import DataverseClient, DataverseError
from bot.state import CrmRecord
from mcem.crm import CrmTask, CrmUpdate, private_texts
from mcem.errors import ConfigError
from mcem.loopback import is_loopback_host

__all__ = ["Crm", "CrmOutcome", "DynamicsCrm", "crm_from_env", "failure_line"]

log = logging.getLogger(__name__)

PRODUCT = "Dynamics 365"


@dataclass(frozen=True)
class CrmOutcome:
    line: str  # one short line for the summary card
    record: CrmRecord | None = None  # what exists in the CRM now (also after a failure part-way)
    ok: bool = False


class Crm(Protocol):
    async def push(self, update: CrmUpdate, previous: CrmRecord | None, run_id: str) -> CrmOutcome:
        """Send the note and tasks (updating ``previous``'s); never raises for the CRM's own failures."""
        ...

    async def aclose(self) -> None: ...


def failure_line(why: str) -> str:
    return f"{PRODUCT} was not updated: {why}"


def _why(err: DataverseError) -> str:
    if err.status == 0:
        return "Dataverse could not be reached; try Regenerate later."
    if err.status == 401:
        return "the app could not sign in to Dataverse (ask the admin to check its application user)."
    if err.status == 403:
        return "the app's Dataverse user lacks a security role that may write notes and tasks."
    if err.status == 404:
        return "a record it needed is gone from Dataverse."
    if err.status in (429, 503):
        return "Dataverse is busy (throttled); Regenerate later to send it."
    if err.status == 400:
        return "Dataverse refused the data (the app may be out of date)."
    return f"Dataverse answered {err.status}."


@dataclass
class _Progress:
    account_id: str
    note_id: str = ""
    tasks: dict[str, str] = field(default_factory=dict)


class DynamicsCrm:
    """The real CRM: Dynamics 365 through the Dataverse Web API."""

    def __init__(self, client: DataverseClient) -> None:
        self.client = client

    async def aclose(self) -> None:
        await self.client.aclose()

    async def push(self, update: CrmUpdate, previous: CrmRecord | None, run_id: str) -> CrmOutcome:
        if not update.engagement:
            return CrmOutcome(
                f"{PRODUCT}: not a customer engagement, so no note or tasks were added.", previous
            )
        if private_texts(update):
            # mcem/crm.py already leaves such text out; reaching here means a bug, never a send.
            log.error("crm: update of run %s still repeats a confidential aside; nothing sent", run_id)
            return CrmOutcome(failure_line("it would have carried something said in confidence."))
        try:
            accounts = await self.client.query(
                "accounts", select=["accountid", "name"], where={"name": update.company}, top=2
            )
        except DataverseError as err:
            return CrmOutcome(failure_line(_why(err)), previous)
        if not accounts:
            return CrmOutcome(
                f"{PRODUCT}: no account named “{update.company}”, so no note or tasks were added."
            )
        if len(accounts) > 1:
            return CrmOutcome(
                f"{PRODUCT}: more than one account is named “{update.company}”, "
                "so no note or tasks were added."
            )
        account_id = str(accounts[0]["accountid"])
        # A meeting re-analysed for another account: its old rows are that account's, left alone.
        same = previous if previous is not None and previous.account_id == account_id else None
        done = _Progress(account_id)
        try:
            await self._note(update, same, done)
            await self._tasks(update, same, done)
        except DataverseError as err:
            kept = dict(same.tasks) if same else {}
            kept.update(done.tasks)
            record = CrmRecord(account_id, done.note_id or (same.note_id if same else ""), kept, run_id)
            return CrmOutcome(failure_line(_why(err)), record)
        record = CrmRecord(account_id, done.note_id, done.tasks, run_id)
        n = len(update.tasks)
        tasks = f"{n} task{'' if n == 1 else 's'}" if n else "no tasks (no next steps)"
        verb = "updated" if same is not None else "added"
        name = accounts[0].get("name") or update.company
        return CrmOutcome(
            f"{PRODUCT}: note and {tasks} {verb} on the account “{name}”.",
            record,
            ok=True,
        )

    async def _note(self, update: CrmUpdate, previous: CrmRecord | None, done: _Progress) -> None:
        body = {
            "subject": update.note.subject,
            "notetext": update.note.text,
            "objectid_account@odata.bind": f"/accounts({done.account_id})",
        }
        if (
            previous is not None
            and previous.note_id
            and await self.client.update("annotations", previous.note_id, body)
        ):
            done.note_id = previous.note_id
            return
        done.note_id = await self.client.create("annotations", body)

    async def _tasks(self, update: CrmUpdate, previous: CrmRecord | None, done: _Progress) -> None:
        owners = await self._owners({t.owner_email for t in update.tasks if t.owner_email})
        earlier = dict(previous.tasks) if previous is not None else {}
        for task in update.tasks:
            if task.key in done.tasks:
                continue  # the same step twice in one analysis: one task
            body = _task_body(task, done.account_id, owners.get(task.owner_email.casefold()))
            old = earlier.pop(task.key, None)
            if old is not None and await self.client.update("tasks", old, body):
                done.tasks[task.key] = old
            else:
                done.tasks[task.key] = await self.client.create("tasks", body)
        for task_id in earlier.values():  # steps the new analysis no longer has
            await self.client.delete("tasks", task_id)

    async def _owners(self, emails: set[str]) -> dict[str, str]:
        """Microsoft owner's address (folded) -> their Dynamics user id, for those who have one."""
        found: dict[str, str] = {}
        for email in sorted(emails):
            rows = await self.client.query(
                "systemusers", select=["systemuserid"], where={"internalemailaddress": email}, top=2
            )
            if len(rows) == 1:
                found[email.casefold()] = str(rows[0]["systemuserid"])
        return found


def _task_body(task: CrmTask, account_id: str, owner_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": task.subject,
        "description": task.description,
        "regardingobjectid_account_task@odata.bind": f"/accounts({account_id})",
    }
    if task.due is not None:
        # Midday UTC: the due date shows as the same day in every time zone from UTC-11 to UTC+11.
        body["scheduledend"] = f"{task.due.isoformat()}T12:00:00Z"
    if owner_id:
        body["ownerid_task@odata.bind"] = f"/systemusers({owner_id})"
    return body


def crm_from_env(environ: Mapping[str, str]) -> Crm | None:
    """The CRM the settings ask for, or None (``MCEM_CRM`` unset or off: nothing is loaded).

    The app signs in to Dataverse as it signs in to Graph (graph/credentials.py: client secret,
    certificate or managed identity; the same app registration, which the admin adds to Dataverse as
    an application user), asking for ``<MCEM_DATAVERSE_URL>/.default``. ``MCEM_DATAVERSE_TOKEN``: a
    fixed token for the local stand-in (loopback URLs only). Raises ConfigError with what to fix.
    """
    choice = environ.get("MCEM_CRM", "").strip().lower()
    if choice in ("", "off", "none"):
        return None
    if choice != "dynamics":
        raise ConfigError(
            f"MCEM_CRM={choice!r} is not a CRM this app knows: set it to dynamics, or leave it empty."
        )
    url = environ.get("MCEM_DATAVERSE_URL", "").strip().rstrip("/")
    parts = urlsplit(url)
    loopback = is_loopback_host(parts.hostname)
    if not url or parts.scheme not in ("https", "http") or not parts.hostname or parts.path or parts.query:
        raise ConfigError(
            "MCEM_CRM=dynamics needs MCEM_DATAVERSE_URL, your Dynamics 365 organisation's address "
            f"(https://<org>.crm.dynamics.com){f', not {url[:80]!r}' if url else ''}."
        )
    if parts.scheme == "http" and not loopback:
        raise ConfigError(f"MCEM_DATAVERSE_URL={url} uses http: Dataverse is reached over https only.")
    token = environ.get("MCEM_DATAVERSE_TOKEN", "").strip()
    if token and not loopback:
        raise ConfigError(
            "MCEM_DATAVERSE_TOKEN is for the local Dataverse stand-in only: remove it; the app signs in "
            "to Dataverse with its own credential."
        )
    from graph.credentials import StaticTokenCredential, credential_from_env

    if token:
        credential: AsyncTokenCredential = StaticTokenCredential(token)
    else:
        # Graph's emulator setting must not turn the Dataverse credential into the emulator's token.
        credential = credential_from_env({k: v for k, v in environ.items() if k != "MCEM_GRAPH_BASE_URL"})
    return DynamicsCrm(DataverseClient(url, credential))
