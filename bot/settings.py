"""The bot's settings, read once from the environment into a frozen object.

The Agents SDK's own keys keep their names (``CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID``
and friends, read with the SDK's ``load_configuration_from_env``). Without a client id the bot runs
in anonymous local mode: no JWT is required, so it binds to 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from microsoft_agents.activity import load_configuration_from_env

from bot.pool import default_workers
from mcem.config import exactly_one_of, is_on, on_off
from mcem.errors import ConfigError
from mcem.loopback import is_loopback_host

__all__ = ["LOOPBACK", "BotSettings", "account_teams_from_env", "settings_from_env"]

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 3978
DEFAULT_STATE_PATH = "mcem-bot-state.sqlite3"  # in the bot's working directory
TABLE_URL_HINT = "https://<account>.table.core.windows.net, with a managed identity"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class BotSettings:
    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    # The SDK configuration as load_configuration_from_env returns it (AGENTAPPLICATION,
    # CONNECTIONS, CONNECTIONSMAP); passed unchanged to the SDK's classes.
    sdk_config: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    client_id: str = ""  # empty: anonymous local mode
    allowed_tenants: frozenset[str] = frozenset()  # empty: any tenant (local mode only)
    # A transcript normally appears within minutes of the end; until this many minutes have
    # passed, "no transcript yet" means "not ready" rather than "transcription was off".
    transcript_grace_minutes: int = 60
    # Worker processes for the CPU-bound steps (bot/pool.py); 0: threads of the bot's process.
    workers: int = 2
    # Analyses running at the same time: twice the workers, so one waits on Graph while one computes.
    max_jobs: int = 4
    # An analysis started from Teams is recorded under a lease this long, renewed while it runs;
    # after a crash another start (or instance) resumes it once the lease lapses (bot/resume.py).
    run_lease_seconds: int = 120
    # On SIGTERM, how long running analyses may take to finish before their cards say "interrupted".
    shutdown_grace_seconds: int = 20
    # Durable state (bot/state.py): an SQLite file; ":memory:" forgets everything at exit.
    state_path: str = DEFAULT_STATE_PATH
    # "azure" for several instances: Azure Table Storage (bot/state_azure.py), reached with a
    # connection string or, with a table URL, the app's managed identity.
    state_backend: str = "sqlite"
    state_connection_string: str = field(default="", repr=False)
    state_table_url: str = ""
    state_table_prefix: str = "mcem"
    # With a table URL: sign in as this user-assigned managed identity (mcem/azure_auth.py).
    managed_identity_client_id: str = ""
    # Automatic analysis after a call (bot/notifications.py): a Graph subscription on transcripts
    # delivering to <public_url>/api/notifications, accepted only with this client state.
    auto_analyze: bool = False
    # How the app reads transcripts: "tenant" (application permissions and an access policy: any
    # meeting of the tenant) or "rsc" (resource-specific consent: only meetings whose chat has the
    # app; bot/meeting_chats.py). README.md compares the two.
    transcript_access: str = "tenant"
    public_url: str = ""
    notification_client_state: str = field(default="", repr=False)
    # Who may speak for a user (bot/auth.py): the token issuers of the channel and the hosts its
    # serviceUrl may name. The defaults are the public cloud's; other clouds list their own.
    token_issuers: frozenset[str] = frozenset({"https://api.botframework.com"})
    channel_hosts: frozenset[str] = frozenset({"smba.trafficmanager.net"})
    # The Outlook actionable-message provider id (Actionable Email Developer Dashboard): with it the
    # summary email carries the card the bot answers over the Outlook channel; empty: plain HTML.
    outlook_originator: str = ""
    # How long an Outlook card answer may take: Outlook waits about 2 s for a card on open.
    outlook_deadline_seconds: float = 1.8

    # The account teams the admin configured (MCEM_ACCOUNT_TEAMS): account key (bot/account.py
    # account_key) -> Entra object ids of the members, who see every analysed call of the account.
    account_teams: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def notification_url(self) -> str:
        return self.public_url.rstrip("/") + "/api/notifications" if self.public_url else ""

    @property
    def anonymous(self) -> bool:
        return not self.client_id


def settings_from_env(environ: Mapping[str, str]) -> BotSettings:
    """Build the settings; raise ConfigError with what to fix when a value is wrong."""
    sdk_config = load_configuration_from_env(environ)
    service = sdk_config.get("CONNECTIONS", {}).get("SERVICE_CONNECTION", {}).get("SETTINGS", {})
    client_id = str(service.get("CLIENTID") or "").strip()
    host = environ.get("MCEM_BOT_HOST", "").strip() or (LOOPBACK if not client_id else "0.0.0.0")
    if not client_id and not is_loopback_host(host):
        raise ConfigError(
            f"MCEM_BOT_HOST={host} is not a loopback address, but no bot app id is set: anonymous local "
            "mode binds to 127.0.0.1 only. Set CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID "
            "(and its secret and tenant) to serve other hosts."
        )
    tenants = frozenset(
        t.strip().lower() for t in environ.get("MCEM_ALLOWED_TENANTS", "").split(",") if t.strip()
    )
    if client_id and not tenants:
        raise ConfigError(
            "MCEM_ALLOWED_TENANTS is empty: list the tenant ids the bot may serve (comma-separated)."
        )
    if client_id and is_on(service.get("ANONYMOUS_ALLOWED")):
        raise ConfigError(
            "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED is on while a bot app id is "
            "set: requests without a token would be served. Remove it (anonymous mode is for local use, "
            "without an app id)."
        )
    auto = _auto_analyze(environ)
    access = _transcript_access(environ, auto_analyze=auto is not None)
    workers = _int(environ, "MCEM_WORKERS", default_workers(), minimum=0)
    return BotSettings(
        state_path=environ.get("MCEM_STATE_PATH", "").strip() or DEFAULT_STATE_PATH,
        **_state_backend(environ),
        auto_analyze=auto is not None,
        transcript_access=access,
        public_url=auto[0] if auto else "",
        notification_client_state=auto[1] if auto else "",
        host=host,
        port=_int(environ, "MCEM_BOT_PORT", DEFAULT_PORT, minimum=1, maximum=65535),
        sdk_config=MappingProxyType(sdk_config),
        client_id=client_id,
        allowed_tenants=tenants,
        transcript_grace_minutes=_int(environ, "MCEM_TRANSCRIPT_GRACE_MINUTES", 60, minimum=0),
        workers=workers,
        max_jobs=_int(environ, "MCEM_MAX_JOBS", max(2, 2 * workers), minimum=1),
        run_lease_seconds=_int(environ, "MCEM_RUN_LEASE_SECONDS", 120, minimum=2, maximum=3600),
        shutdown_grace_seconds=_int(environ, "MCEM_SHUTDOWN_GRACE_SECONDS", 20, minimum=0, maximum=600),
        **_channel(environ, authenticated=bool(client_id)),
        outlook_originator=_originator(environ),
        outlook_deadline_seconds=_seconds(environ, "MCEM_OUTLOOK_DEADLINE_SECONDS", 1.8, maximum=30.0),
        account_teams=account_teams_from_env(environ),
    )


def _seconds(environ: Mapping[str, str], name: str, default: float, *, maximum: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a number of seconds: set it to e.g. 1.8 or remove it."
        ) from None
    if not 0 < value <= maximum:
        raise ConfigError(f"{name}={value} is out of range: use more than 0 and at most {maximum:g} seconds.")
    return value


def _originator(environ: Mapping[str, str]) -> str:
    """MCEM_OUTLOOK_ORIGINATOR: the dashboard gives a GUID; anything else would only make Outlook
    drop every card silently, so it is refused here with one line."""
    raw = environ.get("MCEM_OUTLOOK_ORIGINATOR", "").strip()
    if raw and not _GUID.match(raw):
        raise ConfigError(
            f"MCEM_OUTLOOK_ORIGINATOR={raw[:60]!r} is not a provider id: copy the GUID the Actionable Email "
            "Developer Dashboard shows for your provider, or leave it empty for plain HTML email."
        )
    return raw.lower()


_TEAM_ENTRY = re.compile(r"^\s*(?P<company>[^=]+?)\s*=\s*(?P<ids>.*)$")
# Entra object ids (the Agents Playground's users have 13 digits in the last group).
_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12,13}$")


def account_teams_from_env(environ: Mapping[str, str]) -> Mapping[str, frozenset[str]]:
    """``MCEM_ACCOUNT_TEAMS="Contoso=<object id>,<object id>; Fabrikam=<object id>"``; empty: no teams.

    Object ids, not names or mail addresses: they are what Teams sends with every message, and
    nobody can take one by renaming themselves.
    """
    raw = environ.get("MCEM_ACCOUNT_TEAMS", "").strip()
    members: dict[str, frozenset[str]] = {}
    for part in filter(str.strip, raw.split(";")):
        m = _TEAM_ENTRY.match(part)
        ids = [i.strip() for i in m.group("ids").split(",") if i.strip()] if m else []
        if m is None or not ids or not all(_OBJECT_ID.match(i) for i in ids):
            raise ConfigError(
                f"MCEM_ACCOUNT_TEAMS: “{part.strip()[:60]}” is not “Company=<Entra object id>,<object id>”; "
                "separate accounts with ';'."
            )
        key = " ".join(m.group("company").casefold().split())  # as bot/account.py account_key
        members[key] = members.get(key, frozenset()) | {i.lower() for i in ids}
    return MappingProxyType(members)


def _channel(environ: Mapping[str, str], *, authenticated: bool) -> dict[str, frozenset[str]]:
    """MCEM_BOT_TOKEN_ISSUERS and MCEM_CHANNEL_HOSTS: only for clouds other than the public one."""
    chosen: dict[str, frozenset[str]] = {}
    issuers = frozenset(
        i.strip().rstrip("/") for i in environ.get("MCEM_BOT_TOKEN_ISSUERS", "").split(",") if i.strip()
    )
    for issuer in issuers:
        if urlsplit(issuer).scheme != "https":
            raise ConfigError(
                f"MCEM_BOT_TOKEN_ISSUERS has {issuer!r}, which is not an https issuer: list the channel's "
                "token issuers, e.g. https://api.botframework.us (empty: https://api.botframework.com)."
            )
    if issuers:
        chosen["token_issuers"] = issuers
    hosts = frozenset(
        h.strip().lower().rstrip(".") for h in environ.get("MCEM_CHANNEL_HOSTS", "").split(",") if h.strip()
    )
    for host in hosts:
        if "/" in host or ":" in host or "." not in host or (authenticated and is_loopback_host(host)):
            raise ConfigError(
                f"MCEM_CHANNEL_HOSTS has {host!r}, which is not a channel host name: list host names only, "
                "e.g. smba.infra.gcc.teams.microsoft.com (empty: smba.trafficmanager.net)."
            )
    if hosts:
        chosen["channel_hosts"] = hosts
    return chosen


def _auto_analyze(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(public URL, client state) when MCEM_AUTO_ANALYZE is on; None when off."""
    if not on_off("MCEM_AUTO_ANALYZE", environ.get("MCEM_AUTO_ANALYZE", "")):
        return None
    public = environ.get("MCEM_PUBLIC_URL", "").strip().rstrip("/")
    parts = urlsplit(public)
    if not public or parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            "MCEM_AUTO_ANALYZE is on but MCEM_PUBLIC_URL is not set to the bot's public base URL "
            "(https://<host>): Microsoft Graph posts transcript notifications to <it>/api/notifications."
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(
            f"MCEM_PUBLIC_URL={public} uses http: Microsoft Graph delivers notifications only over https."
        )
    state = environ.get("MCEM_NOTIFICATION_CLIENT_STATE", "").strip()
    if not 16 <= len(state) <= 128:
        raise ConfigError(
            "MCEM_NOTIFICATION_CLIENT_STATE must be a secret of 16 to 128 characters when MCEM_AUTO_ANALYZE "
            "is on: generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return public, state


def _transcript_access(environ: Mapping[str, str], *, auto_analyze: bool) -> str:
    access = environ.get("MCEM_TRANSCRIPT_ACCESS", "").strip().lower() or "tenant"
    if access not in ("tenant", "rsc"):
        raise ConfigError(
            f"MCEM_TRANSCRIPT_ACCESS={access!r} is not tenant or rsc: tenant (the default) reads any "
            "meeting's transcript with application permissions; rsc only meetings whose chat has the app."
        )
    if access == "rsc" and auto_analyze:
        raise ConfigError(
            "MCEM_AUTO_ANALYZE=on subscribes to every transcript of the tenant, which needs the tenant-wide "
            "OnlineMeetingTranscript.Read.All; with MCEM_TRANSCRIPT_ACCESS=rsc the meeting-end event in a "
            "meeting chat starts the analysis instead: remove MCEM_AUTO_ANALYZE."
        )
    return access


def _state_backend(environ: Mapping[str, str]) -> dict[str, str]:
    backend = environ.get("MCEM_STATE_BACKEND", "").strip().lower() or "sqlite"
    if backend not in ("sqlite", "azure"):
        raise ConfigError(
            f"MCEM_STATE_BACKEND={backend!r} is not sqlite or azure: sqlite for one instance, "
            "azure (Table Storage) for several."
        )
    conn = environ.get("MCEM_STATE_CONNECTION_STRING", "").strip()
    url = environ.get("MCEM_STATE_TABLE_URL", "").strip().rstrip("/")
    if backend == "azure":
        exactly_one_of(
            "MCEM_STATE_BACKEND=azure",
            ("MCEM_STATE_CONNECTION_STRING", conn),
            ("MCEM_STATE_TABLE_URL", url),
            hint=TABLE_URL_HINT,
        )
        parts = urlsplit(url)
        if url and (parts.scheme != "https" or not parts.hostname):
            raise ConfigError(
                f"MCEM_STATE_TABLE_URL={url} is not an https URL: use https://<account>.table.core.windows.net."
            )
    prefix = environ.get("MCEM_STATE_TABLE_PREFIX", "").strip() or "mcem"
    return {
        "state_backend": backend,
        "state_connection_string": conn,
        "state_table_url": url,
        "state_table_prefix": prefix,
        "managed_identity_client_id": environ.get("MCEM_MANAGED_IDENTITY_CLIENT_ID", "").strip(),
    }


def _int(
    environ: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int | None = None
) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number: set it to a number or remove it.") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={value} is out of range: use a number between {minimum}{upper}.")
    return value
