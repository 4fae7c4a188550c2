"""The seeded Contoso account (samples/contoso-account/): its three calls analysed offline, as the bot does.

Each call gets the meeting context Graph would give: subject, date (counted back from a fixed day),
the attendees with their sides and the customer's company. Built once per test session (a few seconds).
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from mcem.account.history import CallSource
from mcem.context import MeetingContext
from mcem.model import Analysis, Person, Side
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.pipeline import analyze

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "samples" / "contoso-account"
SPEC = json.loads((ACCOUNT / "calls.json").read_text("utf-8"))
TODAY = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
INTERNAL = frozenset({"Lynne Robbins", "Alex Wilber", "Adele Vance", "Isaiah Langer", "Marcus Lee"})


def context(call: dict[str, object]) -> MeetingContext:
    names = [str(call["organizer"]), *(str(n) for n in call["attendees"])]  # type: ignore[attr-defined]
    people = tuple(Person(name=n, side=Side.internal if n in INTERNAL else Side.customer) for n in names)
    start = (TODAY - timedelta(days=int(call["days_ago"]))).replace(hour=15)  # type: ignore[call-overload]
    return MeetingContext(
        subject=str(call["subject"]),
        start=start,
        company=SPEC["company"],
        people=people,
        internal_names=frozenset(n for n in names if n in INTERNAL),
        interviewer=str(call["organizer"]),
    )


async def _analyse_all() -> list[Analysis]:
    analyzer = OfflineAnalyzer()
    out = []
    for call in SPEC["calls"]:
        transcript = load_transcript(ACCOUNT / call["file"])
        out.append(await analyze(transcript, context(call), analyzer))
    return out


@cache
def contoso_analyses() -> tuple[Analysis, ...]:
    """The three calls, oldest first. In a thread of its own, so async tests may call it too."""
    with ThreadPoolExecutor(1) as pool:
        return tuple(pool.submit(asyncio.run, _analyse_all()).result())


def contoso_sources() -> list[CallSource]:
    return [
        CallSource(a, f"{a.details.date_time:%Y-%m-%d} {a.details.subject}.docx") for a in contoso_analyses()
    ]


def transcript_text(index: int) -> str:
    """The words of call ``index`` as its transcript has them (to check a quote is verbatim)."""
    transcript = load_transcript(ACCOUNT / SPEC["calls"][index]["file"])
    return " ".join(u.text for u in transcript.utterances)
