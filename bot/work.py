"""The CPU-bound steps of an analysis as functions of plain data, for a pool of worker processes.

The bot runs these in other processes (bot/pool.py) so that every core analyses at once and its
event loop stays free to answer Teams. Inputs and outputs are bytes, str and JSON-able dicts:
cheap to pickle, and nothing a worker returns ties it to the bot's objects. A worker imports
this module and what it needs — the parser, the offline analyzer, verification, the renderers
and the summary card — never the rest of the bot, Graph, the Agents SDK or the LLM stack.

``Draft`` is what the offline path returns in one trip: the verified analysis as JSON and its
Word document. The LLM path crosses twice (parse here, the model call in the bot's event loop,
then ``verify_and_render`` here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from mcem import telemetry
from mcem.context import MeetingContext
from mcem.crm import CrmUpdate, crm_update
from mcem.model import Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import parse_transcript
from mcem.pipeline import finish, verified

# Imported here, not in the functions: the fork server (bot/pool.py) imports this module once and
# every worker it forks starts with all of it loaded, sharing those pages.
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.render.docx_reader import analysis_from_docx
from mcem.render.email import email_subject, to_email_html
from mcem.transcript import Transcript

__all__ = [
    "Draft",
    "analyse_offline",
    "email_html",
    "parse",
    "read_document",
    "render_card",
    "render_email",
    "verify_and_render",
    "warm",
]


@dataclass(frozen=True)
class Draft:
    analysis_json: str  # the verified Analysis (Analysis.model_validate_json reads it back)
    docx: bytes
    skipped: int = 0  # transcript cues the parser could not read and left out
    duration: float = 0.0  # seconds of meeting the transcript covers
    # The steps' spans, timed here: the bot replays them into its trace (mcem/telemetry.py).
    spans: tuple[telemetry.Recorded, ...] = ()


@dataclass(frozen=True)
class Parsed:
    transcript_json: str
    spans: tuple[telemetry.Recorded, ...] = ()


def warm() -> int:
    """Nothing left to load (the fork server imported this module before forking); the pid."""
    return os.getpid()


def parse(content: bytes, source: str, content_type: str | None = None) -> Parsed:
    """A transcript file's bytes -> the Transcript as JSON (raises TranscriptError)."""
    with telemetry.recording() as spans, telemetry.step("parse"):
        transcript = parse_transcript(content, source, content_type=content_type)
    return Parsed(transcript.model_dump_json(), tuple(spans))


def analyse_offline(
    content: bytes, source: str, content_type: str | None, context_json: str, language: str = ""
) -> Draft:
    """Parse, analyse with the offline analyzer, verify and render the .docx, in one trip.
    ``language``: the output language asked for (the offline analyzer refuses all but English)."""
    with telemetry.recording() as spans:
        with telemetry.step("parse"):
            transcript = parse_transcript(content, source, content_type=content_type)
        context = MeetingContext.model_validate_json(context_json)
        with telemetry.step("analyse", **{"mcem.engine": OfflineAnalyzer.name}):
            draft = OfflineAnalyzer(language=language).analyze_sync(transcript, context)
        made = _verified_draft(draft, transcript)
    return replace(made, spans=tuple(spans))


def verify_and_render(analysis_json: str, transcript_json: str) -> Draft:
    """An unverified analysis (the LLM's) -> verified, with its .docx."""
    with telemetry.recording() as spans:
        draft = Analysis.model_validate_json(analysis_json)
        transcript = Transcript.model_validate_json(transcript_json)
        made = _verified_draft(draft, transcript)
    return replace(made, spans=tuple(spans))


def _verified_draft(draft: Analysis, transcript: Transcript) -> Draft:
    with telemetry.step("verify") as span:
        analysis = finish(draft, transcript)
        verified(span, analysis)
    with telemetry.step("render", **{"mcem.format": "docx"}):
        docx = to_docx(analysis)
    return Draft(analysis.model_dump_json(), docx, len(transcript.skipped), transcript.duration)


def render_card(
    analysis_json: str, web_url: str | None, run_id: str | None, notes: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The summary card for a finished analysis (``notes``: the bot's lines under it)."""
    return summary_card(Analysis.model_validate_json(analysis_json), web_url, run_id=run_id, notes=notes)


def crm_update_of(analysis_json: str, web_url: str | None, owner_emails: dict[str, str]) -> CrmUpdate:
    """The CRM note and tasks for a finished analysis (its guards walk every text: CPU work)."""
    return crm_update(Analysis.model_validate_json(analysis_json), web_url, owner_emails=owner_emails)


def read_document(content: bytes, base_json: str | None = None) -> str:
    """A draft as people left it in SharePoint -> the Analysis as JSON; ``base_json``: the analysis
    it was written from, for what the document does not show."""
    base = Analysis.model_validate_json(base_json) if base_json else None
    return analysis_from_docx(content, base).model_dump_json()


def email_html(analysis_json: str, web_url: str, outlook: dict[str, Any] | None = None) -> str:
    """The summary email's HTML body; ``outlook``: outlook_card's keyword arguments (originator,
    run_id, user_ids, done) to embed the actionable-message card, None for the plain mail."""
    analysis = Analysis.model_validate_json(analysis_json)
    card = None
    if outlook is not None:
        # Not preloaded like the rest: it brings adaptive-cards-py (~0.6 s and tens of MiB per
        # worker), which nothing else in a worker needs, for deployments with an Outlook provider only.
        from mcem.render.card.outlook import outlook_card

        card = outlook_card(analysis, web_url, **outlook)
    return to_email_html(analysis, web_url, card=card)


def render_email(analysis_json: str, web_url: str) -> tuple[str, str]:
    """(subject, HTML body) of the summary email."""
    analysis = Analysis.model_validate_json(analysis_json)
    return email_subject(analysis), to_email_html(analysis, web_url)
