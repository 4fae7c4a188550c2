"""A client for the Microsoft 365 Agents Playground's own HTTP and WebSocket API.

It acts as the Teams user: posts messages and card clicks into a conversation and reads what the
bot sends back from the conversation stream (``createMessage`` / ``updateMessage``). Used by the
demo's ``--check`` run and the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["BotMessage", "PlaygroundClient", "card_of"]

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class BotMessage:
    action: str  # createMessage or updateMessage
    message_id: str
    text: str
    attachments: tuple[dict[str, Any], ...]


def card_of(message: BotMessage) -> dict[str, Any] | None:
    """The Adaptive Card in a bot message, if it carries one."""
    for attachment in message.attachments:
        if attachment.get("contentType") == ADAPTIVE_CARD:
            content = attachment.get("content")
            return json.loads(content) if isinstance(content, str) else content
    return None


class PlaygroundClient:
    """``async with PlaygroundClient(url) as pg:`` — the stream is open for the whole block."""

    def __init__(self, base_url: str, *, user_id: str = "user-id-0") -> None:
        self._base = base_url.rstrip("/")
        self.user_id = user_id
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._inbox: asyncio.Queue[BotMessage] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PlaygroundClient:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            self._ws = await self._session.ws_connect(
                f"{self._base}/_ws_conversation/v1/conversations/stream"
            )
        except BaseException:
            await self._session.close()
            raise
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._reader:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._ws:
            await self._ws.close()
        if self._session:
            await self._session.close()

    async def config(self) -> dict[str, Any]:
        async with self._http.get(f"{self._base}/_internal/v1/config") as response:
            response.raise_for_status()
            body: dict[str, Any] = await response.json()
            return body["config"]

    async def personal_chat_id(self) -> str:
        return str((await self.config())["personalChat"]["id"])

    async def send(
        self, conversation_id: str, text: str, *, mentions: list[dict[str, Any]] | None = None
    ) -> str:
        """Post a message as the user; returns the Playground's id for it.

        In group chats and channels the bot hears only messages that @mention it: the text then
        carries ``<at>Name</at>`` and ``mentions`` lists ``{"mentioned": {"id", "name"}, "text"}``.
        """
        url = f"{self._base}/_conversation/v1/conversations/{conversation_id}/messages"
        body: dict[str, Any] = {"from": {"id": self.user_id}, "text": text, "textFormat": "plain"}
        if mentions:
            body["mentions"] = mentions
        async with self._http.post(url, json=body) as response:
            response.raise_for_status()
            return str((await response.json())["messageId"])

    async def invoke(
        self, conversation_id: str, card_message_id: str, verb: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Click an ``Action.Execute`` button on a card; returns the bot's invoke response."""
        body = {
            "name": "adaptiveCard/action",
            "from": {"id": self.user_id},
            "conversation": {"id": conversation_id},
            "replyToId": card_message_id,
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
        }
        async with self._http.post(f"{self._base}/_conversation/v1/invoke", json=body) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def next_message(self, predicate: Callable[[BotMessage], bool] = lambda _m: True) -> BotMessage:
        """The next bot message (new or updated) that satisfies ``predicate``; others are dropped.

        Waits as long as it takes: callers bound it with ``asyncio.timeout``.
        """
        while True:
            message = await self._inbox.get()
            if predicate(message):
                return message

    @property
    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use PlaygroundClient inside `async with`")
        return self._session

    async def _read(self) -> None:
        assert self._ws is not None
        async for frame in self._ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(frame.data)
            if event.get("action") not in ("createMessage", "updateMessage"):
                continue
            message = event.get("message") or {}
            await self._inbox.put(
                BotMessage(
                    action=event["action"],
                    message_id=str(message.get("messageId", "")),
                    text=str(message.get("text") or ""),
                    attachments=tuple(message.get("attachments") or ()),
                )
            )
