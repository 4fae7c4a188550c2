"""A local stand-in of the platform's managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER,
the protocol Container Apps and App Service share), for the real azure-identity credentials."""

from __future__ import annotations

import time

from aiohttp import web

from tests.stubs import openai_stub as stubs

__all__ = ["HEADER", "IdentityEndpoint"]

HEADER = "identity-header-from-the-platform"


class IdentityEndpoint:
    """Answers token requests like the platform's endpoint; records what was asked."""

    def __init__(self, token: str = stubs.BEARER_TOKEN) -> None:
        self.token = token
        self.asked: list[dict[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _token(self, request: web.Request) -> web.Response:
        if request.headers.get("X-IDENTITY-HEADER") != HEADER:
            return web.json_response({"error": "missing header"}, status=401)
        self.asked.append(dict(request.query))
        return web.json_response(
            {
                "access_token": self.token,
                "expires_on": str(int(time.time()) + 3600),
                "resource": request.query.get("resource", ""),
                "token_type": "Bearer",
            }
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/msi/token", self._token)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/msi/token"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
