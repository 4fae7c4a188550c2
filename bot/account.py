"""The account use case: ``account <company>`` -> the account card, and ``Account brief.docx`` in SharePoint.

Every analysis leaves two things behind: its ``analysis.json`` sidecar beside the draft in the
company's folder, and an ``AccountEntry`` in the bot's state (company -> analyses, with who organised
and attended each call). The account command reads the entries, keeps the calls the user may see, reads
their sidecars from SharePoint and the next steps people marked done on those calls' summary emails
(bot/step_marks.py), builds the AccountHistory (mcem/account) and posts its card.

The Word brief in the company folder is the account's, not one person's: everyone who can read the
folder reads it. So it is saved (replacing the last) only for a requester who sees every call of the
account; it then holds what the folder's drafts hold, and a requester who sees fewer calls can never
shrink it to their share. Such a requester gets the card alone, built from their calls, with no link
to the brief (it holds calls the bot would not show them). A per-person file would sit in the same
folder (the app may write nowhere else), readable by the same people, and go stale.

Who sees what (the same rules as a single analysis): a user sees the calls they organised or attended
as an internal attendee; a member of the account's team (``MCEM_ACCOUNT_TEAMS``, set by the admin)
sees every call. Nobody else gets more than the no-access card. Conversations with guests or people
from another tenant get no account data at all (bot/teams.py ``refuse_outsiders``, in the handler).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.state import AccountEntry, AccountIndex, account_key
from bot.step_marks import history_marks
from cards import error_card
from graph.service import DocumentStore, GraphError
from mcem.account.history import AccountHistory, CallSource, account_history
from mcem.account.sidecars import BRIEF_NAME, AccountFolderError, read_sidecar
from mcem.render.account_docx import account_docx
from mcem.render.card.account import account_card

__all__ = [
    "AccountEntry",
    "AccountIndex",
    "account_key",
    "account_reply",
    "visible_accounts",
    "visible_entries",
    "which_account_card",
]

log = logging.getLogger(__name__)

# Sidecars read from SharePoint at once: an account of 20 calls is 4 rounds, not 20 in a row.
PARALLEL_READS = 5


def visible_entries(
    entries: Sequence[AccountEntry], user_id: str, team: frozenset[str]
) -> list[AccountEntry]:
    """The calls this user may see: all for the account's team, else those they organised or attended."""
    user = user_id.lower()
    if user in team:
        return list(entries)
    return [
        e for e in entries if user == e.organizer_id.lower() or user in (a.lower() for a in e.attendee_ids)
    ]


def no_access_card(company: str) -> dict[str, Any]:
    return error_card(
        "No access to this account",
        f"You neither organised nor attended any analysed call with {company}, and you are not in its "
        "account team.",
        "Ask someone on the account team, or your Microsoft 365 admin to add you to it (MCEM_ACCOUNT_TEAMS).",
    )


def no_calls_card(company: str, known: Sequence[str]) -> dict[str, Any]:
    hint = f" Accounts with analysed calls: {', '.join(sorted(known)[:10])}." if known else ""
    return error_card(
        "No analysed calls for this account",
        f"I have no analysed call with “{company}”.{hint}",
        "Analyse a call with the customer first (`analyze <subject words or a date>`), then ask again.",
    )


async def visible_accounts(
    index: AccountIndex, user_id: str, teams: Mapping[str, frozenset[str]], names: Sequence[str] | None = None
) -> list[str]:
    """The accounts (of ``names``, default all) with at least one call this user may see."""
    out = []
    for name in names if names is not None else await index.account_names():
        key = account_key(name)
        if visible_entries(await index.account_entries(key), user_id, teams.get(key, frozenset())):
            out.append(name)
    return out


def which_account_card(known: Sequence[str]) -> dict[str, Any]:
    names = ", ".join(sorted(known)[:10]) if known else "none yet"
    return error_card(
        "Which account?",
        f"Name the customer: `account <company>`. Accounts with analysed calls: {names}.",
        "For example: account Contoso.",
    )


def _resolve(words: str, names: Sequence[str]) -> str | list[str]:
    """The account the words name: the exact name, else the one name starting with them; else the
    candidates (several, or none)."""
    key = account_key(words)
    exact = [n for n in names if account_key(n) == key]
    if exact:
        return exact[0]
    starting = sorted({n for n in names if account_key(n).startswith(key)})
    return starting[0] if len(starting) == 1 else starting


async def account_reply(
    words: str,
    user_id: str,
    index: AccountIndex,
    documents: DocumentStore,
    teams: Mapping[str, frozenset[str]],
) -> dict[str, Any]:
    """The card to answer ``account <words>`` with; saves the Word brief on the way."""
    names = await index.account_names()
    found = _resolve(words, names)
    if isinstance(found, list):
        # Name only accounts this user may see: a customer's name is account data too.
        return no_calls_card(words, await visible_accounts(index, user_id, teams, found or names))
    key = account_key(found)
    every = await index.account_entries(key)
    entries = visible_entries(every, user_id, teams.get(key, frozenset()))
    if not entries:
        log.info("account: no visible calls for the requester")
        return no_access_card(found)
    history = await _history(found, entries, index, documents)
    if len(entries) < len(every):
        log.info("account brief not saved: the requester sees %d of %d calls", len(entries), len(every))
        return await asyncio.to_thread(account_card, history, None, partial=True)
    brief = await asyncio.to_thread(account_docx, history)
    # The brief is the bot's own output, rebuilt on every ask: it replaces the last one, unlike drafts.
    stored = await documents.upload(found, BRIEF_NAME, brief, replace=True)
    log.info("account brief saved: %d calls", len(history.calls))
    return await asyncio.to_thread(account_card, history, stored.web_url or None)


async def _history(
    company: str, entries: Sequence[AccountEntry], index: AccountIndex, documents: DocumentStore
) -> AccountHistory:
    gate = asyncio.Semaphore(PARALLEL_READS)

    async def read(entry: AccountEntry) -> CallSource | None:
        async with gate:
            try:
                data = await documents.download(entry.sidecar_item_id)
            except GraphError as err:  # moved or deleted in SharePoint: the other calls still count
                log.warning("account: a sidecar could not be read (%s)", type(err).__name__)
                return None
        try:
            analysis = await asyncio.to_thread(read_sidecar, data, entry.subject)
        except AccountFolderError:
            log.warning("account: a sidecar is not an analysis any more; left out")
            return None
        # Only the marks of this call: a call the requester may not see brings none of its own.
        marks = history_marks(await index.steps_done(entry.run_id))
        return CallSource(analysis, entry.draft_url, marks, entry.meeting_id)

    sources = [s for s in await asyncio.gather(*(read(e) for e in entries)) if s is not None]
    if not sources:
        raise GraphError(
            f"The analyses of the calls with {company} are no longer in SharePoint: analyse a call again."
        )
    return await asyncio.to_thread(account_history, company, sources)
