"""The outside services the bot uses, built once at start-up and handed to ``create_app``.

Graph (the real service with an app credential, or the local emulator when MCEM_GRAPH_BASE_URL
points at it), the analyzer (the language model when configured, the offline analyzer otherwise),
and the document store. Tests build ``Services`` directly with their own implementations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bot.settings import BotSettings
from graph.service import DocumentStore, MeetingSource
from mcem.analyzer import Analyzer
from mcem.errors import ConfigError

__all__ = ["Services", "build_services"]


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Services:
    meetings: MeetingSource
    documents: DocumentStore
    analyzer: Analyzer
    close: Callable[[], Awaitable[None]] = field(default=_nothing)


def build_services(settings: BotSettings, environ: Mapping[str, str]) -> Services:
    """Build every client once. Raises ConfigError with what to fix when a setting is missing."""
    from graph.client import graph_client
    from graph.documents import GraphDocuments
    from graph.meetings import GraphMeetings

    if settings.graph_base_url:
        client = graph_client(base_url=settings.graph_base_url)
    else:
        if not (settings.graph_tenant_id and settings.graph_client_id and settings.graph_client_secret):
            raise ConfigError(
                "Microsoft Graph is not configured: set MCEM_GRAPH_BASE_URL to the local emulator, or the "
                "bot's tenant, client id and secret (CONNECTIONS__SERVICE_CONNECTION__SETTINGS__*)."
            )
        from azure.identity.aio import ClientSecretCredential

        credential = ClientSecretCredential(
            settings.graph_tenant_id, settings.graph_client_id, settings.graph_client_secret
        )
        client = graph_client(credential=credential)
    return Services(
        meetings=GraphMeetings(client),
        documents=GraphDocuments.from_env(client, environ),
        analyzer=_analyzer(environ),
    )


def _analyzer(environ: Mapping[str, str]) -> Analyzer:
    from mcem.llm import LLMAnalyzer, llm_settings_from_env
    from mcem.offline import OfflineAnalyzer

    llm = llm_settings_from_env(environ)
    return LLMAnalyzer(llm) if llm is not None else OfflineAnalyzer()
