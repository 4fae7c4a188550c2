"""The outside services the bot uses, built once at start-up and handed to ``create_app``.

Graph (the real service with the credential graph/credentials.py picks, or the local emulator when
MCEM_GRAPH_BASE_URL points at it), the analyzer (the language model when configured, the offline
analyzer otherwise), the document store, mail, and the store of finished runs. Tests build
``Services`` directly with their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from msgraph import GraphServiceClient
from msgraph.generated.models.call_transcript import CallTranscript
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.event import Event
from msgraph.generated.models.online_meeting import OnlineMeeting
from msgraph.generated.models.user import User

from bot.crm import Crm, crm_from_env
from bot.state import AccountIndex, CrmLedger, RunStore
from graph.chat_meetings import ChatMeetings
from graph.client import make_graph_client
from graph.credentials import credential_from_env, graph_settings_from_env
from graph.documents import GraphDocuments
from graph.mail import GraphMail
from graph.meetings import GraphMeetings
from graph.service import DocumentStore, MailSender, MeetingSource
from mcem.analyzer import Analyzer
from mcem.engines import analyzer_from_env

__all__ = ["Services", "build_services"]


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Services:
    meetings: MeetingSource
    documents: DocumentStore
    analyzer: Analyzer
    close: Callable[[], Awaitable[None]] = field(default=_nothing)
    # Run once in a worker thread at start-up, so the first user does not wait for it.
    warm_up: Callable[[], None] = field(default=lambda: None)
    # The msgraph GraphServiceClient behind meetings and documents, for the transcript
    # subscription (graph/subscriptions.py); None where tests use fakes.
    graph: GraphServiceClient | None = None
    # Emails the summary (graph/mail.py); None: the deployment cannot send mail.
    mail: MailSender | None = None
    # Finished runs, what the summary card's buttons act on: the bot's state (bot/state.py), which
    # create_app puts here; None where a test runs jobs alone (nothing is recorded then).
    runs: RunStore | None = None
    # Company -> analysed calls, what ``account <company>`` reads (bot/account.py); create_app puts
    # the bot's state here too. None: calls are not recorded for accounts.
    accounts: AccountIndex | None = None
    # Opt-in CRM (bot/crm.py, MCEM_CRM=dynamics): a note and tasks after each analysis; None: off,
    # nothing sent. What each meeting created there is kept in ``crm_records`` (the bot's state,
    # which create_app puts here), so a re-analysis updates rather than adds.
    crm: Crm | None = None
    crm_records: CrmLedger | None = None


def build_services(environ: Mapping[str, str]) -> Services:
    """Build every client once. Raises ConfigError with what to fix when a setting is missing."""
    graph = graph_settings_from_env(environ)
    credential = credential_from_env(environ)
    client = make_graph_client(credential, base_url=graph.base_url or None)
    # rsc: only the meetings of chats that have the app (graph/chat_meetings.py); no calendar search.
    rsc = environ.get("MCEM_TRANSCRIPT_ACCESS", "").strip().lower() == "rsc"
    crm = crm_from_env(environ)

    async def close() -> None:
        if crm is not None:
            await crm.aclose()
        await credential.close()

    return Services(
        meetings=ChatMeetings(client) if rsc else GraphMeetings.from_env(client, environ),
        documents=GraphDocuments.from_env(client, environ),
        analyzer=analyzer_from_env(environ),
        close=close,
        warm_up=_load_graph_models,
        graph=client,
        mail=GraphMail.from_env(client, environ),
        crm=crm,
    )


def _load_graph_models() -> None:
    """msgraph-sdk loads the deserialisers of ~1,700 models on its first reply (seconds); do it first."""
    for model in (Event, OnlineMeeting, CallTranscript, DriveItem, User):
        model().get_field_deserializers()
