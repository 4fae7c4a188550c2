"""Next steps marked done from the summary email's card ("Next steps done"), kept in the bot's state.

A mark is keyed by the run and the step's index in the draft as the card showed it, and says who
marked it and when. It lives in the state's name/value records (``get_setting``/``put_setting``,
which both backends keep durably), one record per step, so two people ticking different steps at
once cannot overwrite each other. Why here and not in an account history: the account memory of
issue 13 (company -> analyses) had not landed when this did; when it does, the marks belong there.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["StepMark", "StepMarks", "done_notes"]

log = logging.getLogger(__name__)
_PREFIX = "step-done"


class _NameValues(Protocol):
    async def get_setting(self, name: str) -> str | None: ...

    async def put_setting(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class StepMark:
    index: int
    by: str  # the name the mailbox user has in the meeting (never an address: the card shows it)
    at: datetime


class StepMarks:
    def __init__(self, store: _NameValues) -> None:
        self._store = store

    async def mark(self, run_id: str, index: int, by: str, at: datetime) -> None:
        """Mark step ``index`` of ``run_id`` done; the first mark stays (who did it first is the news)."""
        key = _key(run_id, index)
        if await self._store.get_setting(key) is None:
            await self._store.put_setting(key, json.dumps({"by": by, "at": at.astimezone(UTC).isoformat()}))

    async def marks(self, run_id: str, count: int) -> list[StepMark]:
        """The marks of the run's first ``count`` steps, in step order."""
        raw = await asyncio.gather(*(self._store.get_setting(_key(run_id, i)) for i in range(count)))
        found = []
        for index, value in enumerate(raw):
            if value is None:
                continue
            try:
                data = json.loads(value)
                found.append(StepMark(index, str(data["by"]), datetime.fromisoformat(data["at"])))
            except (ValueError, KeyError, TypeError):  # a damaged record: the step shows as open
                log.warning("run %s: unreadable done mark for step %d", run_id[:40], index)
        return found


def done_notes(marks: list[StepMark]) -> dict[int, str]:
    """What the card shows beside each done step: 'done — Sofia Farías, 3 Dec 2026'."""
    return {m.index: f"done — {m.by}, {m.at.astimezone(UTC):%-d %b %Y}" for m in marks}


def _key(run_id: str, index: int) -> str:
    return f"{_PREFIX}:{run_id}:{index}"
