"""A local Dataverse (Dynamics 365) Web API v9.2 stand-in: accounts, system users, notes and tasks.

It speaks the real protocol on 127.0.0.1: OData v4 JSON under ``/api/data/v9.2/``, ``$select``,
``$filter`` (``eq`` on string columns, joined by ``and``, with ``''`` for a quote), ``$top``,
``@odata.bind`` for lookups, ``204`` with ``OData-EntityId`` or ``201`` with the record when the
client sends ``Prefer: return=representation``, ``PATCH`` with ``If-Match: *`` (update only),
``DELETE``, OData error bodies, and a bearer token check. Every query and body is checked against
the published metadata subset (tests/stubs/dataverse_spec.py): what Dataverse would refuse gets its
400 and is kept in ``violations``.

Run by hand: ``python -m tests.stubs.dataverse_stub --port 8097`` (seeded with the Contoso account
and the demo's Microsoft users; token ``dataverse-stub-token``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from graph.emulator.seed import INTERNAL_DOMAIN
from tests.stubs.dataverse_spec import GUID, body_errors, column_errors, table_of_set

__all__ = ["BASE_PATH", "TOKEN", "DataverseStub", "Seen"]

BASE_PATH = "/api/data/v9.2"
TOKEN = "dataverse-stub-token"
_KEYED = re.compile(r"^(?P<set>[a-z_]+)\((?P<id>[^)]*)\)$")
_CONDITION = re.compile(r"^\s*(?P<col>[a-z_]+)\s+eq\s+'(?P<lit>(?:[^']|'')*)'\s*$")


@dataclass(frozen=True)
class Seen:
    """One request as it arrived (the body parsed), for the tests to read."""

    method: str
    path: str  # after BASE_PATH, e.g. "tasks" or "tasks(<id>)"
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0


@dataclass
class _Failure:
    method: str
    path_prefix: str
    status: int
    times: int
    retry_after: str | None = None


@dataclass
class DataverseStub:
    token: str = TOKEN
    url: str = ""
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # entity set -> id -> row
    seen: list[Seen] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    # Path prefix -> seconds to wait before answering (a slow Dataverse, to make two writers overlap).
    delays: dict[str, float] = field(default_factory=dict)
    _failures: list[_Failure] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    # -- seeding and failure injection --------------------------------------------------------------

    def add(self, entity_set: str, **values: Any) -> str:
        table = table_of_set(entity_set)
        assert table is not None, entity_set
        row_id = str(values.pop(table.key, None) or uuid.uuid4())
        self.rows.setdefault(entity_set, {})[row_id] = {table.key: row_id, **values}
        return row_id

    def fail(
        self, method: str, path_prefix: str, status: int, *, times: int = 1, retry_after: str | None = None
    ) -> None:
        """The next ``times`` requests of ``method`` on paths starting ``path_prefix`` get ``status``."""
        self._failures.append(_Failure(method, path_prefix, status, times, retry_after))

    def records(self, entity_set: str) -> list[dict[str, Any]]:
        return list(self.rows.get(entity_set, {}).values())

    def sent(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if method is None or s.method == method]

    # -- serving ------------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", BASE_PATH + "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{bound}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        for prefix, seconds in self.delays.items():
            if path.startswith(prefix):
                await asyncio.sleep(seconds)
        response = await self._answer(request, path, body)
        self.seen.append(
            Seen(request.method, path, dict(request.query), body, dict(request.headers), response.status)
        )
        return response

    async def _answer(self, request: web.Request, path: str, body: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "0x80072560", "The user is not a member of the organization.")
        for failure in self._failures:
            if (
                failure.times > 0
                and request.method == failure.method
                and path.startswith(failure.path_prefix)
            ):
                failure.times -= 1
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return _error(failure.status, "0x80072321", "Injected failure.", headers)
        protocol = self._protocol_errors(request, body)
        if protocol:
            return self._refuse(protocol)
        keyed = _KEYED.match(path)
        entity_set = keyed["set"] if keyed else path
        table = table_of_set(entity_set)
        if table is None:
            return _error(404, "0x8006088a", f"Resource not found for the segment '{entity_set}'.")
        if keyed is None and request.method == "GET":
            return self._query(request, table.entity_set)
        if keyed is None and request.method == "POST":
            return self._create(request, table.entity_set, body)
        if keyed is not None and request.method in ("PATCH", "DELETE", "GET"):
            row_id = keyed["id"]
            if not GUID.match(row_id):
                return self._refuse([f"'{row_id}' is not a valid key for {entity_set}."])
            return self._keyed(request, table.entity_set, row_id, body)
        return _error(405, "0x80060888", f"{request.method} is not supported on '{path}'.")

    def _protocol_errors(self, request: web.Request, body: Any) -> list[str]:
        errors = []
        if request.headers.get("OData-Version") != "4.0" or request.headers.get("OData-MaxVersion") != "4.0":
            errors.append("Requests must carry OData-Version: 4.0 and OData-MaxVersion: 4.0.")
        if "application/json" not in request.headers.get("Accept", ""):
            errors.append("Requests must accept application/json.")
        if request.method in ("POST", "PATCH") and not request.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            errors.append("A body must be sent as application/json.")
        return errors

    def _refuse(self, errors: list[str]) -> web.Response:
        self.violations.extend(errors)
        return _error(400, "0x80060888", errors[0])

    def _query(self, request: web.Request, entity_set: str) -> web.Response:
        table = table_of_set(entity_set)
        assert table is not None
        unknown = set(request.query) - {"$select", "$filter", "$top", "$orderby"}
        if unknown:
            return self._refuse([f"The query parameter '{sorted(unknown)[0]}' is not supported."])
        select = [c.strip() for c in request.query.get("$select", "").split(",") if c.strip()]
        conditions: list[tuple[str, str]] = []
        raw_filter = request.query.get("$filter", "")
        for part in filter(None, re.split(r"\s+and\s+", raw_filter)):
            m = _CONDITION.match(part)
            if m is None:
                return self._refuse([f"The $filter '{raw_filter[:80]}' could not be read."])
            conditions.append((m["col"], m["lit"].replace("''", "'")))
        errors = column_errors(table, select + [c for c, _ in conditions])
        if errors:
            return self._refuse(errors)
        top = request.query.get("$top", "")
        rows = [
            r
            for r in self.records(entity_set)
            # Dataverse compares strings without regard to case (the default collation).
            if all(str(r.get(col, "")).casefold() == lit.casefold() for col, lit in conditions)
        ]
        if top:
            rows = rows[: int(top)]
        value = [{k: r.get(k) for k in (select or list(r))} | {table.key: r[table.key]} for r in rows]
        context = f"{self.url}{BASE_PATH}/$metadata#{entity_set}"
        return web.json_response({"@odata.context": context, "value": value})

    def _create(self, request: web.Request, entity_set: str, body: Any) -> web.Response:
        table = table_of_set(entity_set)
        assert table is not None
        errors = body_errors(table, body)
        if errors:
            return self._refuse(errors)
        missing = self._missing_targets(body)
        if missing:
            return _error(404, "0x80040217", missing)
        row_id = str(body.get(table.key) or uuid.uuid4())
        self.rows.setdefault(entity_set, {})[row_id] = {table.key: row_id, **body}
        entity_id = f"{self.url}{BASE_PATH}/{entity_set}({row_id})"
        if "return=representation" in request.headers.get("Prefer", ""):
            return web.json_response(
                self.rows[entity_set][row_id], status=201, headers={"OData-EntityId": entity_id}
            )
        return web.Response(status=204, headers={"OData-EntityId": entity_id, "OData-Version": "4.0"})

    def _keyed(self, request: web.Request, entity_set: str, row_id: str, body: Any) -> web.Response:
        table = table_of_set(entity_set)
        assert table is not None
        row = self.rows.get(entity_set, {}).get(row_id)
        if request.method == "PATCH":
            errors = body_errors(table, body)
            if errors:
                return self._refuse(errors)
            if request.headers.get("If-Match") != "*":
                # Without If-Match a PATCH is an upsert: a deleted record would come back. The app
                # only ever updates what it created.
                return self._refuse(["An update of a record the app created must send If-Match: *."])
            if row is None:
                return _error(404, "0x80040217", f"{table.logical_name} With Id = {row_id} Does Not Exist")
            missing = self._missing_targets(body)
            if missing:
                return _error(404, "0x80040217", missing)
            row.update(body)
            return web.Response(
                status=204, headers={"OData-EntityId": f"{self.url}{BASE_PATH}/{entity_set}({row_id})"}
            )
        if row is None:
            return _error(404, "0x80040217", f"{table.logical_name} With Id = {row_id} Does Not Exist")
        if request.method == "DELETE":
            del self.rows[entity_set][row_id]
            return web.Response(status=204)
        return web.json_response(row)

    def _missing_targets(self, body: dict[str, Any]) -> str:
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                m = _KEYED.match(str(value).lstrip("/"))
                if m and m["id"] not in self.rows.get(m["set"], {}):
                    return f"{m['set']} With Id = {m['id']} Does Not Exist"
        return ""


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def seed_demo(stub: DataverseStub) -> None:
    """The accounts and Microsoft users of the demo's seeded meetings."""
    stub.add("accounts", name="Contoso")
    stub.add("accounts", name="Fabrikam, Inc.")
    for name in ("Lynne Robbins", "Adele Vance", "Isaiah Langer", "Alex Wilber"):
        first, last = name.split()
        # Dataverse keeps the address as the user's directory has it; lookups ignore case.
        mail = f"{first}{last[0]}@{INTERNAL_DOMAIN}"
        stub.add("systemusers", fullname=name, internalemailaddress=mail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args()

    async def serve() -> None:
        stub = DataverseStub()
        seed_demo(stub)
        print(f"Dataverse stand-in on {await stub.start(args.port)} (token {stub.token})", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
