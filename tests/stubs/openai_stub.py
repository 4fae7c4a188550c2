"""A local OpenAI-compatible server (aiohttp, 127.0.0.1) that the real ``openai`` client talks to.

It serves the Azure path ``/openai/deployments/{deployment}/chat/completions?api-version=...`` and
the plain OpenAI path ``/v1/chat/completions``. Every request is checked against
tests/specs/azure-openai-inference-2024-10-21.json (query parameters, auth header, body schema)
and every reply it builds is checked against the same spec; anything wrong lands in ``violations``
(tests assert it stays empty) and a bad request gets the 400/401 the real service would give.

Replies come from a script (``enqueue``) or, when the script is empty, from ``default`` — by
default a valid answer built from the transcript in the request. Run it by hand:

    python -m tests.stubs.openai_stub --port 8099 --script valid
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.stubs import openai_spec
from tests.stubs.llm_replies import answer_for, poisoned

API_KEY = "stub-api-key"
REASONING_API_VERSION = "2024-12-01-preview"
BEARER_TOKEN = "stub-entra-token"


@dataclass
class Reply:
    """One scripted answer. ``content`` is the assistant text; ``status`` != 200 sends an error."""

    content: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str = "error"
    delay: float = 0.0
    refusal: str | None = None
    message: str = "scripted failure"


def valid() -> Reply:
    """Sentinel: answer with the valid analysis built from the request."""
    return Reply(content=None)


def rate_limited(retry_after: float = 1) -> Reply:
    return Reply(status=429, headers={"Retry-After": f"{retry_after:g}"}, error_code="429")


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, error_code="InternalServerError")


def slow(seconds: float) -> Reply:
    return Reply(content=None, delay=seconds)


def filtered_prompt() -> Reply:
    return Reply(status=400, error_code="content_filter")


def filtered_completion() -> Reply:
    return Reply(content=None, finish_reason="content_filter")


def truncated(text: str = '{"participant_name": "Sarah') -> Reply:
    return Reply(content=text, finish_reason="length")


def text(content: str) -> Reply:
    return Reply(content=content)


@dataclass
class Received:
    path: str
    query: dict[str, str]
    auth: str  # "api-key", "bearer" or ""
    body: dict[str, Any]
    at: float  # time.monotonic() when it arrived
    answered: float | None = None  # time.monotonic() when the answer was ready

    @property
    def user_text(self) -> str:
        return next(str(m["content"]) for m in self.body["messages"] if m["role"] == "user")

    @property
    def system_text(self) -> str:
        return next(str(m["content"]) for m in self.body["messages"] if m["role"] == "system")


class OpenAIStub:
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        bearer_token: str = BEARER_TOKEN,
        latency: float = 0.0,
        default: Callable[[dict[str, Any]], Reply] | None = None,
        reasoning: bool = False,
    ) -> None:
        self.api_key, self.bearer_token, self.latency = api_key, bearer_token, latency
        # A reasoning deployment (o-series, gpt-5): refuses max_tokens and a temperature, and on
        # Azure is served only from REASONING_API_VERSION on; answers as the real service does.
        self.reasoning = reasoning
        self.default = default or (lambda _body: valid())
        self.script: deque[Reply] = deque()
        self.received: list[Received] = []
        self.violations: list[str] = []
        self.refused = 0  # requests turned away for bad credentials
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._azure)
        app.router.add_post("/v1/chat/completions", self._openai)
        # handler_cancellation: a client that gave up (timeout test) must not leave a sleeping handler.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def enqueue(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def max_in_flight(self) -> int:
        """The most requests that were being answered at the same moment."""
        events = sorted(
            [(r.at, 1) for r in self.received] + [(r.answered, -1) for r in self.received if r.answered]
        )
        level = peak = 0
        for _t, step in events:
            level += step
            peak = max(peak, level)
        return peak

    @property
    def azure_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- handlers ----------------------------------------------------------------------------
    async def _azure(self, request: web.Request) -> web.StreamResponse:
        for name in openai_spec.required_query_parameters():
            if not request.query.get(name):
                return self._reject(400, f"query parameter {name} is required", "MissingApiVersionParameter")
        if request.headers.get("api-key") == self.api_key:
            auth = "api-key"
        elif request.headers.get("Authorization") == f"Bearer {self.bearer_token}":
            auth = "bearer"
        else:
            self.refused += 1
            return self._error(401, "401", "Access denied due to invalid subscription key or wrong endpoint.")
        return await self._chat(request, auth)

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            self.refused += 1
            return self._error(401, "invalid_api_key", "Incorrect API key provided.")
        return await self._chat(request, "bearer")

    async def _chat(self, request: web.Request, auth: str) -> web.StreamResponse:
        arrived = time.monotonic()
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return self._reject(400, "body is not JSON", "invalid_request")
        bad = openai_spec.problems(body, "createChatCompletionRequest")
        if request.path.startswith("/v1/") and not body.get("model"):
            bad.append("model is required on the OpenAI path")
        if bad:
            self.violations.extend(bad)
            return self._reject(400, bad[0], "invalid_request")
        record = Received(request.path, dict(request.query), auth, body, arrived)
        self.received.append(record)
        refused = self._reasoning_refusal(request, body) if self.reasoning else None
        if refused is not None:
            return refused
        reply = self.script.popleft() if self.script else self.default(body)
        if reply.status != 200:
            response = self._error(reply.status, reply.error_code, reply.message, reply.headers)
        else:
            content = reply.content
            if content is None and reply.finish_reason == "stop":
                content = json.dumps(answer_for(body), ensure_ascii=False)
            response = self._completion(body, content, reply)
        # The stand-in's own checking counts as part of the latency, so a benchmark at latency L
        # sees a model that answers L seconds after the request arrived, no more.
        wait = arrived + self.latency + reply.delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        record.answered = time.monotonic()
        return response

    def _reasoning_refusal(self, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        version = request.query.get("api-version", "")
        if request.path.startswith("/openai/") and version[:10] < REASONING_API_VERSION[:10]:
            deployment = request.match_info.get("deployment", "")
            return self._error(400, "BadRequest", f"Model {deployment} is enabled only for api versions "
                               f"{REASONING_API_VERSION} and later")  # fmt: skip
        if "max_tokens" in body:
            return self._error(
                400,
                "unsupported_parameter",
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                param="max_tokens",
            )
        if body.get("temperature", 1) != 1:
            return self._error(
                400,
                "unsupported_value",
                f"Unsupported value: 'temperature' does not support {body['temperature']} with this "
                "model. Only the default (1) value is supported.",
                param="temperature",
            )
        return None

    # -- responses ---------------------------------------------------------------------------
    def _completion(self, body: dict[str, Any], content: str | None, reply: Reply) -> web.Response:
        prompt = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4
        completion = len(content or "") // 4
        payload = {
            "id": f"chatcmpl-stub-{len(self.received)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stub-deployment"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": reply.finish_reason,
                    "message": {"role": "assistant", "content": content, "refusal": reply.refusal},
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        self.violations.extend(openai_spec.problems(payload, "createChatCompletionResponse"))
        return web.json_response(payload, headers={"apim-request-id": "stub"})

    def _error(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        param: str | None = None,
    ) -> web.Response:
        payload: dict[str, Any] = {"error": {"code": code, "message": message}}
        if param is not None:
            payload["error"].update(param=param, type="invalid_request_error")
        if code == "content_filter":
            payload["error"]["param"] = "prompt"
            payload["error"]["inner_error"] = {"code": "ResponsibleAIPolicyViolation"}
        self.violations.extend(openai_spec.problems(payload, "errorResponse"))
        return web.json_response(payload, status=status, headers=headers or {})

    def _reject(self, status: int, message: str, code: str) -> web.Response:
        self.violations.append(message)
        return self._error(status, code, message)


SCRIPTS: dict[str, Callable[[dict[str, Any]], Reply]] = {
    "valid": lambda _body: valid(),
    "fabricated-quote": lambda body: text(json.dumps(poisoned(body, echo=False))),
    "internal-echo": lambda body: text(json.dumps(poisoned(body, fabricate=False))),
    "invalid-json": lambda _body: text("{not json"),
    "rate-limited": lambda _body: rate_limited(),
    "server-error": lambda _body: server_error(),
    "timeout": lambda _body: slow(3600),
    "content-filter": lambda _body: filtered_prompt(),
    "refusal": lambda _body: Reply(content=None, refusal="I can't help with that."),
    "length": lambda _body: truncated(),
}


async def _serve(port: int, script: str, latency: float) -> None:
    stub = OpenAIStub(latency=latency, default=SCRIPTS[script])
    await stub.start(port)
    print(f"OpenAI stub on http://127.0.0.1:{stub.port}  (script: {script})", flush=True)
    print(f"  AZURE_OPENAI_ENDPOINT=http://127.0.0.1:{stub.port} AZURE_OPENAI_DEPLOYMENT=stub "
          f"AZURE_OPENAI_API_KEY={API_KEY}")  # fmt: skip
    print(f"  or OPENAI_BASE_URL=http://127.0.0.1:{stub.port}/v1 OPENAI_API_KEY={API_KEY} MCEM_MODEL=stub")
    try:
        await asyncio.Event().wait()
    finally:
        await stub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="valid")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.script, args.latency))


if __name__ == "__main__":
    main()


def azure_env(stub: OpenAIStub, **tuning: str) -> dict[str, str]:
    """Environment for an Azure OpenAI analyzer pointed at ``stub`` (key auth)."""
    return {
        "AZURE_OPENAI_ENDPOINT": stub.azure_endpoint,
        "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-stub",
        "AZURE_OPENAI_API_KEY": stub.api_key,
        **{f"MCEM_LLM_{k.upper()}": v for k, v in tuning.items()},
    }
