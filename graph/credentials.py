"""Credentials and settings for Microsoft Graph, read once from the environment.

The app authenticates with azure-identity, chosen by what is set:

- ``AZURE_CLIENT_SECRET`` (+ ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``): a client secret;
- ``AZURE_CLIENT_CERTIFICATE_PATH`` (+ tenant and client id, optional
  ``AZURE_CLIENT_CERTIFICATE_PASSWORD``): a certificate;
- otherwise a managed identity (user-assigned when ``AZURE_CLIENT_ID`` is set).

``MCEM_GRAPH_BASE_URL`` points the client at the local emulator instead (with a
``StaticTokenCredential``; ``MCEM_GRAPH_TOKEN`` when the emulator was started with ``--token``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential

from mcem.errors import ConfigError

__all__ = ["GraphSettings", "StaticTokenCredential", "credential_from_env", "graph_settings_from_env"]

EMULATOR_TOKEN = "mcem-emulator-token"


class StaticTokenCredential(AsyncTokenCredential):
    """A fixed bearer token, for the local emulator (which checks only that one is sent)."""

    def __init__(self, token: str = EMULATOR_TOKEN, *, lifetime_s: int = 3600) -> None:
        self._token = token
        self._lifetime_s = lifetime_s

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + self._lifetime_s)

    async def close(self) -> None:
        return None

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(***)"


@dataclass(frozen=True)
class GraphSettings:
    base_url: str = ""  # the emulator, e.g. http://127.0.0.1:5090/v1.0; empty: real Graph
    tenant_domains: tuple[str, ...] = ()  # mail domains of the account team (internal side)
    drive_id: str = ""  # the SharePoint document library the drafts go to
    folder: str = ""  # optional base folder inside that library


def _domains(raw: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip())


def graph_settings_from_env(environ: Mapping[str, str]) -> GraphSettings:
    base_url = environ.get("MCEM_GRAPH_BASE_URL", "").strip().rstrip("/")
    if base_url:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(
                f"MCEM_GRAPH_BASE_URL={base_url!r} is not a URL: use e.g. http://127.0.0.1:5090/v1.0."
            )
    return GraphSettings(
        base_url=base_url,
        tenant_domains=_domains(environ.get("MCEM_TENANT_DOMAINS", "")),
        drive_id=environ.get("MCEM_SHAREPOINT_DRIVE_ID", "").strip(),
        folder=environ.get("MCEM_SHAREPOINT_FOLDER", "").strip().strip("/"),
    )


def credential_from_env(environ: Mapping[str, str]) -> AsyncTokenCredential:
    """The credential the settings call for; raises ConfigError naming what is missing.

    The caller owns the credential and closes it (``await credential.close()``) at shutdown.
    """
    if environ.get("MCEM_GRAPH_BASE_URL", "").strip():
        return StaticTokenCredential(environ.get("MCEM_GRAPH_TOKEN", "").strip() or EMULATOR_TOKEN)
    tenant = environ.get("AZURE_TENANT_ID", "").strip()
    client = environ.get("AZURE_CLIENT_ID", "").strip()
    secret = environ.get("AZURE_CLIENT_SECRET", "")
    cert = environ.get("AZURE_CLIENT_CERTIFICATE_PATH", "").strip()
    if secret or cert:
        missing = [n for n, v in (("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client)) if not v]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} not set: a client secret or certificate needs the app's "
                "tenant id and client id too."
            )
    from azure.identity.aio import CertificateCredential, ClientSecretCredential, ManagedIdentityCredential

    if secret:
        return ClientSecretCredential(tenant, client, secret)
    if cert:
        password = environ.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None
        return CertificateCredential(tenant, client, certificate_path=cert, password=password)
    # On Azure (App Service, Container Apps, VM): the managed identity, no secret at all.
    return ManagedIdentityCredential(client_id=client or None)
