"""The one place a GraphServiceClient is built (once, at start-up; never per request)."""

from __future__ import annotations

from urllib.parse import urlparse

from azure.core.credentials import TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from msgraph import GraphServiceClient
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

from graph.credentials import StaticTokenCredential
from mcem.errors import ConfigError
from mcem.loopback import is_loopback_host

__all__ = ["GRAPH_SCOPES", "graph_client", "make_graph_client"]

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]


def make_graph_client(
    credential: TokenCredential | AsyncTokenCredential, *, base_url: str | None = None
) -> GraphServiceClient:
    """A Graph client for the real service, or for the emulator at ``base_url`` (``.../v1.0``).

    The SDK only sends the token to Microsoft's own Graph hosts; for the emulator its host is
    added to the allowed list, which is why this is one factory and not two lines at each caller.
    """
    if not base_url:
        client = GraphServiceClient(credentials=credential, scopes=GRAPH_SCOPES)
        # The SDK's default ends in "/", which doubles the slash in every URL it builds.
        client.request_adapter.base_url = client.request_adapter.base_url.rstrip("/")
        return client
    base_url = base_url.rstrip("/")  # a trailing slash makes every SDK path 404
    parsed = urlparse(base_url)
    host = parsed.hostname or ""
    if parsed.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(f"{base_url} uses http: only a loopback emulator may; use https for anything else.")
    if parsed.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{base_url!r} is not a Graph base URL: use e.g. http://127.0.0.1:5090/v1.0.")
    auth = AzureIdentityAuthenticationProvider(credential, scopes=GRAPH_SCOPES, allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


def graph_client(
    *, credential: TokenCredential | AsyncTokenCredential | None = None, base_url: str | None = None
) -> GraphServiceClient:
    """Keyword form; without a credential (emulator only) a StaticTokenCredential is used."""
    if credential is None:
        if not base_url:
            raise ConfigError("Microsoft Graph needs a credential: set AZURE_* or MCEM_GRAPH_BASE_URL.")
        credential = StaticTokenCredential()
    return make_graph_client(credential, base_url=base_url)
