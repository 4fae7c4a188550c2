"""The emulator's aiohttp application: authentication, the request log, and each area's routes.

The routes live one module per area (meetings.py, drive.py, mail.py, subscriptions.py), seeded
from seed.py.

It binds 127.0.0.1 only, holds its state in memory, wants a bearer token on every /v1.0 call
(any non-empty token, or exactly ``--token`` when given) and answers errors as Graph does:
``{"error": {"code", "message", "innerError"}}`` with the matching status. Test-only routes:
``GET /_emulator/requests`` (method, path, query and status of each call; never bodies or tokens),
``GET /_emulator/mail`` (what sendMail received), ``POST /_emulator/reset`` (back to a fresh seed) and
``POST /_emulator/refusals`` (play a tenant's refusal for a user, a meeting or everyone; refusals.py),
``POST /_emulator/consent`` and ``/_emulator/installations`` (an app with only chat-scoped RSC
consent, installed in chosen chats; consent.py).
Change notifications: ``/subscriptions`` with Graph's
validation handshake, and ``POST /_emulator/transcripts`` (publish a meeting's transcript and notify
the subscribers; subscriptions.py).

Run: ``python -m graph.emulator --port 5090`` then point the client at http://127.0.0.1:5090/v1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from graph.emulator.consent import add_consent_routes
from graph.emulator.delta import add_delta_routes
from graph.emulator.drive import add_drive_routes
from graph.emulator.mail import MAILBOX, add_mail_routes
from graph.emulator.meetings import add_meeting_routes
from graph.emulator.recordings import add_recording_routes
from graph.emulator.refusals import add_refusal_routes
from graph.emulator.seed import SeedData, build_seed
from graph.emulator.state import STATE, EmulatorState, odata_error
from graph.emulator.subscriptions import add_subscription_routes

__all__ = ["create_app", "main", "run"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _auth_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    path = request.path
    if path.startswith("/_emulator/"):
        return await handler(request)
    # Never bodies or headers: the log is for tests asserting which calls were made.
    entry: dict[str, Any] = {
        "method": request.method,
        "path": path,
        "query": request.query_string,
        "status": 0,
    }
    state.requests.append(entry)
    response: web.StreamResponse
    if path.startswith("/v1.0/") and not _token_ok(request, state):
        header = request.headers.get("Authorization", "")
        message = "Access token is empty." if not header.strip() else "Access token validation failure."
        response = odata_error(401, "InvalidAuthenticationToken", message)
    else:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = odata_error(404, "BadRequest", f"Resource not found for the segment '{path}'.")
        except web.HTTPMethodNotAllowed:
            response = odata_error(405, "BadRequest", f"The HTTP method '{request.method}' is not allowed.")
    entry["status"] = response.status
    return response


def _token_ok(request: web.Request, state: EmulatorState) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return state.token is None or token.strip() == state.token


async def emulator_requests(request: web.Request) -> web.Response:
    return web.json_response({"requests": list(request.app[STATE].requests)})


async def emulator_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    request.app[MAILBOX].clear()
    return web.json_response({"reset": True})


def create_app(
    seed_factory: Callable[[], SeedData] = build_seed,
    *,
    token: str | None = None,
    organizer_lookup_only: bool = False,
) -> web.Application:
    app = web.Application(middlewares=[_auth_and_log], client_max_size=64 * 1024 * 1024)
    app[STATE] = EmulatorState(seed_factory, token, organizer_lookup_only=organizer_lookup_only)
    add_meeting_routes(app)
    add_delta_routes(app)
    add_drive_routes(
        app, lambda request: request.app[STATE].drive_by_id(request.match_info.get("drive_id")), odata_error
    )
    add_recording_routes(app, lambda request: request.app[STATE].onedrives, odata_error)
    add_mail_routes(app, lambda request: request.app[STATE].seed, odata_error)
    add_subscription_routes(app)
    add_refusal_routes(app)
    add_consent_routes(app)
    app.router.add_get("/_emulator/requests", emulator_requests)
    app.router.add_post("/_emulator/reset", emulator_reset)
    return app


async def run(port: int, token: str | None = None) -> None:
    runner = web.AppRunner(create_app(token=token))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)  # loopback only, by design
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    print(f"Graph emulator on http://127.0.0.1:{bound}/v1.0 (Ctrl+C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graph.emulator", description="A local Microsoft Graph emulator on 127.0.0.1"
    )
    parser.add_argument("--port", type=int, default=5090, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--token", default=None, help="accept only this bearer token (default: any)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.port, args.token))
    return 0
