"""Retries of one chat-completion request, bounded by the analysis's overall deadline.

The SDK's own retries are switched off (``max_retries=0`` on the client): they would honour a
Retry-After of up to two minutes per attempt, so a rate-limited analysis could sit for six minutes
with nobody able to stop it. Here the same cases are retried (408, 409, 429, 5xx, timeouts, lost
connections; ``x-should-retry`` obeyed) with the server's Retry-After or a short backoff, but never
past ``Deadline``: a wait that would end beyond it is not started, and the caller reports a timeout.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import openai

from mcem.errors import LLMError
from mcem.llm.settings import LLMSettings

T = TypeVar("T")

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0


class Deadline:
    """A point in time, on the monotonic clock, by which the whole analysis must be done."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(self._end - self._clock(), 0.0)


def deadline_error(settings: LLMSettings, why: str = "") -> LLMError:
    return LLMError(
        f"The language model did not finish within MCEM_LLM_DEADLINE={settings.deadline:g} s"
        f"{' (' + why + ')' if why else ''}; try again later, or raise MCEM_LLM_DEADLINE.",
        kind="timeout",
    )


async def with_retries(
    request: Callable[[float], Awaitable[T]],
    settings: LLMSettings,
    deadline: Deadline,
    map_error: Callable[[openai.APIError], LLMError],
) -> T:
    """``request(timeout)`` until it succeeds, a failure is final, retries run out or time does.

    ``timeout`` is the per-attempt limit: MCEM_LLM_TIMEOUT, or less when the deadline is nearer.
    """
    failures = 0
    while True:
        left = deadline.remaining()
        if left <= 0:
            raise deadline_error(settings)
        try:
            return await request(min(settings.timeout, left))
        except openai.APIError as exc:
            if isinstance(exc, openai.APITimeoutError) and deadline.remaining() <= 0.01:
                raise deadline_error(settings) from None
            wait = retry_wait(exc, failures)
            if wait is None or failures >= settings.max_retries:
                raise map_error(exc) from None
            if wait >= deadline.remaining():
                # Waiting would only end in the same timeout, later; say so now.
                why = f"the service asked to wait {wait:g} s before trying again"
                raise deadline_error(settings, why if _server_asked(exc) else "") from None
            failures += 1
            await asyncio.sleep(wait)


def retry_wait(exc: openai.APIError, failures: int) -> float | None:
    """Seconds to wait before the next attempt, or None when this failure is not worth retrying."""
    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers
        verdict = headers.get("x-should-retry")
        if verdict == "false":
            return None
        status = exc.status_code
        if verdict != "true" and status not in (408, 409, 429) and status < 500:
            return None
        asked = _retry_after(headers)
        if asked is not None:
            return asked
    elif not isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one of these
        return None
    backoff = min(INITIAL_BACKOFF * 2.0**failures, MAX_BACKOFF)
    return backoff * (1 - 0.25 * random.random())  # jitter keeps parallel chunk calls apart


def _server_asked(exc: openai.APIError) -> bool:
    return isinstance(exc, openai.APIStatusError) and _retry_after(exc.response.headers) is not None


def _retry_after(headers: object) -> float | None:
    """Retry-After as Azure and OpenAI send it: ``retry-after-ms``, seconds, or an HTTP date."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = get("retry-after")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(raw).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(value, 0.0) if math.isfinite(value) else None
