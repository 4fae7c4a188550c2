"""Long meetings: split on turn boundaries, extract evidence per part in parallel, then synthesise.

Parts are balanced (same token size, give or take a turn) so the parallel calls finish together;
the whole costs about two model latencies however long the meeting is, as long as the parts fit
within ``concurrency``. Evidence quotes not found in their own part are dropped before synthesis,
so the final call only ever sees real sentences (the verifier checks the result again anyway).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mcem.analyzer import Progress
from mcem.llm.calls import LLMCall, Message
from mcem.llm.compact import CompactLine, CompactTranscript
from mcem.llm.prompts import fill, load, system_prompt
from mcem.llm.schema import ANALYSIS_EXCLUDED, ANALYSIS_SCHEMA_NAME, analysis_schema, strict_schema
from mcem.llm.tokens import count_tokens
from mcem.model import Analysis, Quote, Role, Stage

EVIDENCE_SCHEMA_NAME = "mcem_part_evidence"


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageEvidence(_Evidence):
    stage: Stage
    notes: list[str] = Field(description="what this part says about the stage, one sentence each")
    quotes: list[Quote] = Field(description="up to three verbatim customer sentences")


class RoleEvidence(_Evidence):
    role: Role
    notes: list[str]
    quote: Quote | None


class CompanyEvidence(_Evidence):
    company: str
    feeling: str = Field(description="how the customer feels about it and why")


class PartEvidence(_Evidence):
    stages: list[StageEvidence] = Field(description="only stages this part touches")
    roles: list[RoleEvidence] = Field(description="only roles this part concerns")
    companies: list[CompanyEvidence]
    mood: str
    other_topics: list[str]
    facts: list[str] = Field(description="names, roles, numbers, dates, commitments stated")


@cache
def evidence_schema() -> dict[str, Any]:
    return strict_schema(PartEvidence, ANALYSIS_EXCLUDED)


def split(lines: tuple[CompactLine, ...], budget: int) -> list[tuple[CompactLine, ...]]:
    """Consecutive runs of whole lines, balanced to about total/n tokens each, n = ceil(total/budget)."""
    sizes = [count_tokens(line.render()) + 1 for line in lines]
    total = sum(sizes)
    parts = max(1, math.ceil(total / budget))
    target = total / parts
    chunks: list[tuple[CompactLine, ...]] = []
    start, acc = 0, 0
    for i, size in enumerate(sizes):
        acc += size
        remaining_parts = parts - len(chunks) - 1
        if acc >= target and remaining_parts > 0 and i + 1 < len(lines):
            chunks.append(lines[start : i + 1])
            start, acc = i + 1, 0
    chunks.append(lines[start:])
    return [c for c in chunks if c]


async def map_reduce(
    call: LLMCall,
    view: CompactTranscript,
    meeting: str,
    parse: Callable[[dict[str, Any]], Analysis],
    report: Progress,
    language: str = "English",
) -> Analysis:
    settings = call.settings
    chunks = await asyncio.to_thread(split, view.lines, settings.chunk_tokens)
    system = system_prompt("chunk_system", language)
    schema = evidence_schema()
    gate = asyncio.Semaphore(settings.concurrency)
    done = 0
    report(f"Reading the meeting in {len(chunks)} parts")

    async def extract(index: int, chunk: tuple[CompactLine, ...]) -> PartEvidence:
        nonlocal done
        messages: list[Message] = [
            {"role": "system", "content": system},
            {
                "role": "user",
                "content": fill(
                    load("chunk_user"),
                    {
                        "meeting_context": meeting,
                        "speaker_legend": view.legend,
                        "part": str(index + 1),
                        "parts": str(len(chunks)),
                        "transcript": view.render(chunk),
                    },
                ),
            },
        ]
        async with gate:
            evidence = await call.ask(
                messages,
                schema_name=EVIDENCE_SCHEMA_NAME,
                schema=schema,
                parse=lambda d: _part(d, view, chunk),
            )
        done += 1
        report(f"Read part {done} of {len(chunks)}")
        return evidence

    # TaskGroup: one failing part cancels the rest at once instead of waiting for them; the caller
    # gets that part's own LLMError, not a group.
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(extract(i, c)) for i, c in enumerate(chunks)]
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    evidence = [t.result() for t in tasks]

    report("Writing the analysis")
    legend = "\n".join(line.split(" = ", 1)[1] for line in view.legend.splitlines())
    body = json.dumps(
        [{"part": i + 1, **e.model_dump(mode="json", exclude_none=True)} for i, e in enumerate(evidence)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    messages: list[Message] = [
        {"role": "system", "content": system_prompt("analysis_system", language)},
        {
            "role": "user",
            "content": fill(
                load("synthesis_user"),
                {
                    "meeting_context": meeting,
                    "speaker_legend": legend,
                    "parts": str(len(chunks)),
                    "evidence": body.replace("</evidence", "(/evidence"),
                },
            ),
        },
    ]
    return await call.ask(messages, schema_name=ANALYSIS_SCHEMA_NAME, schema=analysis_schema(), parse=parse)


def _part(data: dict[str, Any], view: CompactTranscript, chunk: tuple[CompactLine, ...]) -> PartEvidence:
    evidence = PartEvidence.model_validate(data)
    haystack = _norm(" ".join(line.text for line in chunk))

    def real(q: Quote | None) -> Quote | None:
        if q is None or _norm(q.text) not in haystack:
            return None
        return q.model_copy(update={"speaker": view.full_name(q.speaker), "start": None})

    for s in evidence.stages:
        s.quotes = [q for q in (real(q) for q in s.quotes) if q is not None]
    for r in evidence.roles:
        r.quote = real(r.quote)
    return evidence


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())
