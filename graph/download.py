"""Content downloads with a byte limit: streamed, and abandoned as soon as they pass it.

msgraph-sdk's ``.content.get()`` holds the whole answer in memory before it returns (kiota's
HttpxRequestAdapter sends without ``stream=True``), so a draft someone replaced with 2 GB, or an
endless answer, would be read whole. Here the SDK still builds and signs the request
(``convert_to_native_async``: the same credential, scopes and allowed hosts) and it goes through the
SDK's own httpx client and middleware (retry, redirect, telemetry) — only with ``stream=True``.
A Content-Length over the limit is refused before a byte is read; otherwise the body is read in
chunks and the connection dropped past the limit.

Failures (4xx/5xx) become the SDK's ``ODataError`` so :func:`graph.failures.graph_call` maps them
exactly as it maps every other Graph call.
"""

from __future__ import annotations

import json

import httpx
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.inner_error import InnerError
from msgraph.generated.models.o_data_errors.main_error import MainError
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from graph.service import GraphError

__all__ = ["DownloadTooLarge", "bounded_content"]

_ERROR_BODY_LIMIT = 64 * 1024


class DownloadTooLarge(GraphError):
    """The content is larger than anything this app reads (message says what and how large)."""


async def bounded_content(
    client: GraphServiceClient, info: RequestInformation, *, limit: int, too_large: str
) -> bytes:
    """The body of GET ``info``, at most ``limit`` bytes; ``too_large`` is the message past it."""
    adapter = client.request_adapter
    info.path_parameters["baseurl"] = adapter.base_url.rstrip("/")
    request = await adapter.convert_to_native_async(info)
    response = await _http_client(adapter).send(request, stream=True)
    try:
        if response.status_code >= 400:
            raise _odata_error(response, await _read(response, _ERROR_BODY_LIMIT, too_large, quiet=True))
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise DownloadTooLarge(too_large)
        return await _read(response, limit, too_large)
    finally:
        await response.aclose()


def _http_client(adapter: object) -> httpx.AsyncClient:
    # The adapter keeps its client private and offers no streaming send; using the very client the
    # SDK built keeps its middleware and connection pool. Checked, so an SDK change fails loudly here.
    http = getattr(adapter, "_http_client", None)
    if not isinstance(http, httpx.AsyncClient):
        raise TypeError("msgraph-sdk's request adapter no longer exposes its httpx client")
    return http


async def _read(response: httpx.Response, limit: int, too_large: str, *, quiet: bool = False) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            if quiet:  # an error body: what was read is enough to say what went wrong
                break
            raise DownloadTooLarge(too_large)
        parts.append(chunk)
    return b"".join(parts)


def _odata_error(response: httpx.Response, body: bytes) -> ODataError:
    code, message, inner_code = "", "", ""
    try:
        detail = json.loads(body).get("error", {})
        code, message = str(detail.get("code", "")), str(detail.get("message", ""))
        inner_code = str((detail.get("innerError") or {}).get("code", ""))
    except (ValueError, AttributeError):
        pass
    # As the SDK's own parser keeps it: innerError.code (a tenant-setting refusal) in additional_data.
    inner = InnerError(additional_data={"code": inner_code}) if inner_code else None
    main = MainError(code=code or f"HTTP{response.status_code}", message=message, inner_error=inner)
    error = ODataError(error=main)
    error.response_status_code = response.status_code
    return error
