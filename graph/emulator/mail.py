"""The emulator's Outlook: ``POST /v1.0/users/{id}/sendMail`` answers 202 as Graph does and keeps
the message, for tests, at the test-only ``GET /_emulator/mail``.

Like Exchange it refuses what it would refuse: an unknown sender (404), a message without any
recipient or with a malformed address (400 ErrorInvalidRecipients), and — when a test sets
``Mailbox.denied`` — a sender the app may not send as (403 ErrorAccessDenied, no Mail.Send).
It does not decide who may receive the analysis: that rule is the product's, in graph/mail.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from graph.emulator.seed import SeedData

__all__ = ["MAILBOX", "Mailbox", "add_mail_routes"]

ErrorFactory = Callable[[int, str, str], web.Response]
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Mailbox:
    """Messages sent through the emulator, oldest first; ``denied``: sender ids refused (403)."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    denied: set[str] = field(default_factory=set)

    def clear(self) -> None:
        self.sent.clear()
        self.denied.clear()


MAILBOX = web.AppKey("mailbox", Mailbox)


def _recipients(message: dict[str, Any]) -> list[str] | None:
    """Every address on the message, or None when one is malformed."""
    found: list[str] = []
    for key in ("toRecipients", "ccRecipients", "bccRecipients"):
        for entry in message.get(key) or []:
            address = ((entry or {}).get("emailAddress") or {}).get("address") or ""
            if not isinstance(address, str) or not _ADDRESS.match(address):
                return None
            found.append(address)
    return found


def add_mail_routes(
    app: web.Application, seed_of: Callable[[web.Request], SeedData], error: ErrorFactory
) -> None:
    app[MAILBOX] = Mailbox()

    async def send_mail(request: web.Request) -> web.Response:
        user = seed_of(request).user(request.match_info["user_id"])
        if user is None:
            return error(404, "ErrorInvalidUser", "The requested user is invalid.")
        mailbox = request.app[MAILBOX]
        if user.id in mailbox.denied:
            return error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "RequestBodyRead", "The request body is not valid JSON.")
        message = (body.get("Message") or body.get("message")) if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return error(400, "ErrorInvalidArgument", "The message is missing.")
        addresses = _recipients(message)
        if not addresses:
            return error(
                400, "ErrorInvalidRecipients", "At least one recipient isn't valid, or there are none."
            )
        save = body.get("SaveToSentItems", body.get("saveToSentItems"))
        mailbox.sent.append(
            {
                "sender": user.id,
                "from": user.mail,
                "saveToSentItems": True if save is None else bool(save),
                "recipients": addresses,
                "request": body,  # as received, for tests that check it against the spec
            }
        )
        return web.Response(status=202)

    async def list_mail(request: web.Request) -> web.Response:
        return web.json_response({"messages": request.app[MAILBOX].sent})

    for name in ("sendMail", "microsoft.graph.sendMail"):
        app.router.add_post(f"/v1.0/users/{{user_id}}/{name}", send_mail)
    app.router.add_get("/_emulator/mail", list_mail)
