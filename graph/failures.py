"""What Graph failures mean for the user: the SDK's exceptions -> graph.service errors.

msgraph-sdk raises ``ODataError`` (a kiota ``APIError``) carrying ``response_status_code`` and
``error.code`` / ``error.message``; the credential raises azure-core's
``ClientAuthenticationError``; a dead connection surfaces as ``httpx.HTTPError``. Each becomes
one line a user can act on. Graph's own message is logged (it never holds a token or transcript).
A refusal by a tenant setting (graph/refusals.py) becomes a ``TenantRefusal`` and one log line that
names the cause and the admin step.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.api_error import APIError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from graph.refusals import TenantRefusal, refusal_for
from graph.service import AccessDenied, GraphError, MeetingNotFound
from mcem import telemetry

__all__ = ["graph_call"]

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSCRIPT_PERMISSION = (
    "the app needs the OnlineMeetingTranscript.Read.All and OnlineMeetings.Read.All application "
    "permissions, and a Teams application access policy that covers the meeting organizer"
)


def _code(err: APIError) -> str:
    if isinstance(err, ODataError) and err.error is not None and err.error.code:
        return err.error.code
    return type(err).__name__


def _inner_code(err: APIError) -> str:
    """``innerError.code``: where Graph puts the tenant-setting codes under a plain "Forbidden".
    The SDK's InnerError has no ``code`` field, so it lands in ``additional_data``."""
    inner = err.error.inner_error if isinstance(err, ODataError) and err.error else None
    code = (inner.additional_data or {}).get("code") if inner is not None else None
    return code if isinstance(code, str) else ""


async def graph_call(
    call: Awaitable[T],
    what: str,
    *,
    permission: str = TRANSCRIPT_PERMISSION,
    not_found: Callable[[str], GraphError] = MeetingNotFound,
) -> T:
    """Await one SDK call; ``what`` names it for the messages ("your calendar") and, as a constant
    phrase (never a subject or a name), for its span and its latency histogram."""
    operation = _operation(what)
    started = time.perf_counter()
    outcome = "error"
    with telemetry.span(f"graph {operation}", **{"mcem.graph.operation": operation}) as span:
        try:
            result = await _mapped_call(call, what, permission, not_found, span)
            outcome = "ok"
            return result
        finally:
            telemetry.observe(
                "mcem.graph.duration", time.perf_counter() - started, operation=operation, outcome=outcome
            )


@functools.cache
def _operation(what: str) -> str:
    """ "the meeting's transcripts" -> "meeting_transcripts": a stable label for dashboards."""
    words = re.sub(r"^(the|your)\s+", "", what.strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", words.replace("'s", "")).strip("_") or "call"


async def _mapped_call(
    call: Awaitable[T],
    what: str,
    permission: str,
    not_found: Callable[[str], GraphError],
    span: telemetry.SpanHandle,
) -> T:
    try:
        return await call
    except APIError as err:
        status = err.response_status_code or 0
        code = _code(err)
        detail = (err.error.message if isinstance(err, ODataError) and err.error else "") or ""
        refusal = refusal_for(status, code, _inner_code(err), detail)
        span.set("http.response.status_code", status)
        if refusal is not None:
            span.set("mcem.refusal", refusal.kind)
            log.warning(
                "Graph refused %s (%s %s): %s Admin step: %s",
                what,
                status,
                _inner_code(err) or code,
                refusal.cause,
                refusal.admin_step,
            )
            raise TenantRefusal(refusal, status, _inner_code(err) or code) from None
        log.warning("Graph %s failed: status %s, %s: %s", what, status, code, detail[:300])
        raise _mapped(status, code, what, permission, not_found) from None
    except ClientAuthenticationError:
        log.warning("Graph sign-in failed while reading %s", what)
        raise GraphError(
            "The app could not sign in to Microsoft Graph: check AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            "the client secret, certificate or managed identity."
        ) from None
    except httpx.HTTPError as err:
        log.warning("Graph %s: %s", what, type(err).__name__)
        raise GraphError(
            f"Could not reach Microsoft Graph ({type(err).__name__}) while reading {what}; try again shortly."
        ) from None


def _mapped(
    status: int, code: str, what: str, permission: str, not_found: Callable[[str], GraphError]
) -> GraphError:
    if status == 401:
        return GraphError(
            f"Microsoft Graph did not accept the app's token (401 {code}) while reading {what}: "
            "check the app registration and its credential."
        )
    if status == 403:
        return AccessDenied(f"Microsoft Graph refused access to {what} (403 {code}): {permission}.")
    if status == 404:
        return not_found(f"Microsoft Graph could not find {what} (404).")
    if status in (429, 503, 504):
        return GraphError(f"Microsoft Graph is busy ({status}) while reading {what}; try again in a minute.")
    return GraphError(f"Microsoft Graph failed while reading {what} ({status} {code}).")
