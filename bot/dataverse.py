"""The Dataverse Web API (v9.2), the way Dynamics 365 is reached: OData v4 JSON over HTTPS with httpx.

Each request carries a bearer token for ``<org url>/.default`` from an azure-identity credential
(the app's own: its client secret, certificate or managed identity, registered in Dataverse as an
application user). Failures come back as OData error JSON; they become ``DataverseError`` with the
status and the error code, never the message text in logs (a message can echo a value sent).
429 and 503 are retried after Retry-After (at most ``max_wait_s`` of waiting in all); 401, 403 and
404 are not retried: they need an admin (an application user, a security role) or mean the row is gone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import httpx
from azure.core.credentials_async import AsyncTokenCredential

__all__ = ["API_PATH", "DataverseClient", "DataverseError", "odata_string"]

log = logging.getLogger(__name__)

API_PATH = "/api/data/v9.2/"
_RETRY_STATUSES = (429, 503)
_ATTEMPTS = 4


class DataverseError(Exception):
    """A request Dataverse refused or could not answer. ``status`` 0: it was never answered."""

    def __init__(self, status: int, code: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(f"Dataverse answered {status} {code}".strip())
        self.status = status
        self.code = code
        self.retry_after = retry_after


def odata_string(value: str) -> str:
    """A string literal for ``$filter``: single quotes doubled, as OData v4 ABNF has it."""
    return "'" + value.replace("'", "''") + "'"


class DataverseClient:
    def __init__(
        self,
        org_url: str,
        credential: AsyncTokenCredential,
        *,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 20.0,
        max_wait_s: float = 30.0,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self._credential = credential
        self._scope = f"{self.org_url}/.default"
        self._http = http or httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self._max_wait_s = max_wait_s

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._credential.close()

    # -- the operations the CRM update needs ---------------------------------------------------------

    async def query(
        self, entity_set: str, *, select: list[str], where: dict[str, str], top: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows whose string columns equal the given values (``$filter`` with ``eq``, joined by ``and``)."""
        params = {
            "$select": ",".join(select),
            "$filter": " and ".join(f"{col} eq {odata_string(v)}" for col, v in where.items()),
        }
        if top is not None:
            params["$top"] = str(top)
        response = await self._send("GET", entity_set, params=params)
        value = response.json().get("value")
        if not isinstance(value, list):
            raise DataverseError(response.status_code, "no value array")
        return [row for row in value if isinstance(row, dict)]

    async def create(self, entity_set: str, body: dict[str, Any]) -> str:
        """Create a row; its id, from the representation or the OData-EntityId header."""
        response = await self._send(
            "POST", entity_set, json=body, headers={"Prefer": "return=representation"}
        )
        return _created_id(response, entity_set)

    async def update(self, entity_set: str, row_id: str, body: dict[str, Any]) -> bool:
        """Update a row that exists (``If-Match: *``: never re-creates a deleted one); False if it is gone."""
        try:
            await self._send("PATCH", f"{entity_set}({quote(row_id)})", json=body, headers={"If-Match": "*"})
        except DataverseError as err:
            if err.status == 404:
                return False
            raise
        return True

    async def delete(self, entity_set: str, row_id: str) -> None:
        """Delete a row; one already gone is fine."""
        try:
            await self._send("DELETE", f"{entity_set}({quote(row_id)})")
        except DataverseError as err:
            if err.status != 404:
                raise

    # -- one request, with its token and its retries ------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = self.org_url + API_PATH + path
        waited = 0.0
        for attempt in range(_ATTEMPTS):
            token = await self._credential.get_token(self._scope)
            sent = {
                "Authorization": f"Bearer {token.token}",
                "Accept": "application/json",
                "OData-MaxVersion": "4.0",
                "OData-Version": "4.0",
                **({"Content-Type": "application/json; charset=utf-8"} if json is not None else {}),
                **(headers or {}),
            }
            try:
                response = await self._http.request(method, url, params=params, json=json, headers=sent)
            except httpx.HTTPError as err:
                log.warning("dataverse %s %s: %s", method, path.split("(")[0], type(err).__name__)
                raise DataverseError(0, type(err).__name__) from None
            if response.status_code < 400:
                return response
            error = _error_of(response)
            log.warning("dataverse %s %s: %d %s", method, path.split("(")[0], error.status, error.code)
            wait = error.retry_after
            if response.status_code in _RETRY_STATUSES and attempt + 1 < _ATTEMPTS:
                wait = 1.0 * (attempt + 1) if wait is None else wait
                if waited + wait <= self._max_wait_s:
                    waited += wait
                    await asyncio.sleep(wait)
                    continue
            raise error
        raise DataverseError(429, "retries exhausted")


def _error_of(response: httpx.Response) -> DataverseError:
    code = ""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = str(body["error"].get("code") or "")[:40]
    except ValueError:
        pass
    raw = response.headers.get("Retry-After", "")
    try:
        retry_after = float(raw) if raw else None
    except ValueError:
        retry_after = None  # an HTTP date: the fallback backoff is short enough
    return DataverseError(response.status_code, code, retry_after=retry_after)


def _created_id(response: httpx.Response, entity_set: str) -> str:
    if response.status_code == 201 and response.content:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            for key in ("activityid", "annotationid", f"{entity_set.rstrip('s')}id"):
                if isinstance(body.get(key), str):
                    return str(body[key])
    entity_id = response.headers.get("OData-EntityId", "")
    if entity_id.endswith(")") and "(" in entity_id:
        return entity_id.rsplit("(", 1)[1][:-1]
    raise DataverseError(response.status_code, "no id for the created row")
