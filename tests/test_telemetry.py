"""Telemetry of real analyses, caught by the OpenTelemetry SDK's in-memory exporter and reader.

The bot runs over HTTP against the Graph emulator (and the OpenAI-compatible stand-in for the model
path), with its worker processes; then every span name, attribute, event and metric label is
scanned for what must never leave the process: the transcript's sentences, people's names and
addresses, meeting subjects and the Graph token.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from opentelemetry.trace import StatusCode

from bot.app import RUNNER
from graph.credentials import EMULATOR_TOKEN
from graph.emulator.seed import SeedData
from graph.emulator.state import STATE as EMULATOR_STATE
from mcem import telemetry
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from mcem.offline import OfflineAnalyzer
from mcem.parsing import parse_transcript
from tests.fixtures.bot.fakes import sample_vtt
from tests.stubs import openai_stub as stubs
from tests.support.bot import running_stack
from tests.support.cards import texts
from tests.support.connector import Connector
from tests.support.otel import Caught, otel

__all__ = ["otel"]  # the fixture, imported for pytest


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def _grams(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def assert_nothing_confidential(caught: Caught, seed: SeedData, transcripts: list[bytes]) -> None:
    """No name, address, subject, token or four words running of any transcript in any string."""
    people = [*seed.users.values(), *(p for m in seed.meetings for p in (m.organizer, *m.attendees))]
    names = {p.name for p in people} | {p.mail for p in people}
    subjects = {m.subject for m in seed.meetings}
    said: set[tuple[str, ...]] = set()
    speakers: set[str] = set()
    for vtt in transcripts:
        transcript = parse_transcript(vtt, "transcript.vtt", content_type="text/vtt")
        speakers |= set(transcript.speakers)
        for utterance in transcript.utterances:
            said |= _grams(utterance.text)
    name_words = {w for n in names | speakers for w in _words(n) if len(w) >= 4}
    strings = caught.strings()
    assert strings, "nothing was caught: the check would pass vacuously"
    for value in strings:
        low = value.lower()
        assert EMULATOR_TOKEN not in value and "bearer" not in low
        assert not [n for n in names | subjects | speakers if n.lower() in low], value
        assert not name_words & set(_words(value)), value
        assert not said & _grams(value), value


def finished(connector: Connector) -> bool:
    """The last card the bot sent is a summary (the analysis ran to its end)."""
    sent = [*connector.posted, *connector.updates]
    return any(
        a.get("attachments") and "Interview Analysis" in texts(a["attachments"][0]["content"]) for a in sent
    )


def _seed_transcripts(seed: SeedData) -> list[bytes]:
    return [m.vtt for m in seed.meetings if m.vtt]


# -- asked in chat, offline, steps in worker processes --------------------------------------------


async def test_a_chat_analysis_is_one_trace_with_graph_worker_and_upload_spans(otel: Caught) -> None:
    async with running_stack(analyzer=OfflineAnalyzer()) as stack:  # type: ignore[arg-type]
        assert stack.app[RUNNER].pool is not None  # the steps run in worker processes
        await stack.say("analyze last meeting")
        seed = stack.emulator.app[EMULATOR_STATE].seed
        fetched = [r["path"] for r in await stack.emulator.requests() if r["path"].endswith("/content")]
    assert finished(stack.connector), "the analysis did not finish"

    [root] = otel.named("analysis")
    assert root.attributes is not None
    assert root.attributes["mcem.trigger"] == "last" and root.attributes["mcem.engine"] == "offline"
    assert root.attributes["mcem.outcome"] == "ok"
    trace_spans = [s for s in otel.spans if s.context.trace_id == root.context.trace_id]
    by_id = {s.context.span_id: s for s in trace_spans}

    def chain(span: Any) -> list[str]:
        names = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names

    names = {s.name for s in trace_spans}
    assert {"find meeting", "find transcript", "fetch transcript", "worker", "upload"} <= names
    # Graph calls sit under the step that made them; the transcript download under "fetch transcript".
    [download] = otel.named("graph transcript")
    assert chain(download)[:2] == ["fetch transcript", "analysis"]
    uploads = [s for s in trace_spans if s.name.startswith("graph sharepoint")]
    assert uploads and all(chain(s)[0] == "upload" for s in uploads)
    # The worker's steps, timed in the other process, replayed inside the span of the trip.
    [trip] = [s for s in trace_spans if s.name == "worker"]
    for step in ("parse", "analyse", "verify", "render"):
        [replayed] = [
            s for s in trace_spans if s.name == step and s.parent and s.parent.span_id == trip.context.span_id
        ]
        assert trip.start_time <= replayed.start_time <= replayed.end_time <= trip.end_time  # type: ignore[operator]
    [verify] = [s for s in trace_spans if s.name == "verify"]
    assert verify.attributes is not None and verify.attributes["mcem.quotes.checked"] > 0  # type: ignore[operator]

    assert otel.total("mcem.analyses", outcome="ok", **{"mcem.trigger": "last"}) == 1
    vtt = next(m.vtt for m in seed.meetings if m.vtt and m.meeting_id in unquote(fetched[0]))
    minutes = parse_transcript(vtt, "t.vtt", content_type="text/vtt").duration / 60
    assert otel.total("mcem.transcript.minutes") == pytest.approx(minutes)
    steps = {p.attributes["mcem.step"] for p in otel.points("mcem.step.duration")}
    assert {"find meeting", "fetch transcript", "parse", "analyse", "verify", "render", "upload"} <= steps
    operations = {p.attributes["operation"] for p in otel.points("mcem.graph.duration")}
    assert {
        "calendar",
        "meeting_transcripts",
        "transcript",
        "sharepoint_library",
        "user_profile",
    } <= operations
    assert_nothing_confidential(otel, seed, _seed_transcripts(seed))


# -- automatic, after the call, with a language model ----------------------------------------------


async def test_a_notified_analysis_with_a_model_records_token_usage(
    otel: Caught, stub: stubs.OpenAIStub
) -> None:
    analyzer = LLMAnalyzer(llm_settings_from_env(stubs.azure_env(stub)))
    async with running_stack(analyzer=analyzer) as stack:  # type: ignore[arg-type]
        await stack.say("help")  # the organizer's personal chat, where the card goes
        await stack.publish()
        await stack.app[RUNNER].wait_idle()
        seed = stack.emulator.app[EMULATOR_STATE].seed
    assert finished(stack.connector), "the analysis did not finish"

    [root] = otel.named("analysis")
    assert root.attributes is not None and root.attributes["mcem.trigger"] == "notification"
    chats = [s for s in otel.spans if s.name == "chat gpt-4o-stub"]
    assert len(chats) == len(stub.received) >= 1
    sent_in = sum(s.attributes["gen_ai.usage.input_tokens"] for s in chats)  # type: ignore[index,misc]
    sent_out = sum(s.attributes["gen_ai.usage.output_tokens"] for s in chats)  # type: ignore[index,misc]
    assert sent_in > 0 and sent_out > 0
    assert otel.total("mcem.llm.tokens", **{"gen_ai.token.type": "input"}) == sent_in
    assert otel.total("mcem.llm.tokens", **{"gen_ai.token.type": "output"}) == sent_out
    for chat in chats:
        assert chat.attributes is not None and chat.attributes["gen_ai.request.model"] == "gpt-4o-stub"
        assert chat.context.trace_id == root.context.trace_id
    assert otel.total("mcem.analyses", outcome="ok", **{"mcem.engine": "llm"}) == 1
    assert_nothing_confidential(otel, seed, [*_seed_transcripts(seed), sample_vtt().encode()])


# -- failures: counted by cause, never with their message ------------------------------------------


async def test_a_refusal_is_counted_by_its_kind_and_its_span_says_only_the_type(otel: Caught) -> None:
    async with running_stack(analyzer=OfflineAnalyzer()) as stack:  # type: ignore[arg-type]
        async with stack_refusal(stack, "transcripts_disabled"):
            await stack.say("analyze last meeting")
        seed = stack.emulator.app[EMULATOR_STATE].seed
    assert otel.total("mcem.analysis.failures", cause="refusal.transcripts_disabled") == 1
    assert otel.total("mcem.analyses", outcome="failed") == 1
    [refused] = [s for s in otel.spans if s.attributes and s.attributes.get("mcem.refusal")]
    assert refused.status.status_code is StatusCode.ERROR and not refusal_text(refused)
    assert refused.attributes is not None and refused.attributes["error.type"] == "TenantRefusal"
    assert refused.attributes["http.response.status_code"] == 403
    assert not any(s.events for s in otel.spans)  # no exception events: their messages stay home
    assert_nothing_confidential(otel, seed, _seed_transcripts(seed))


def refusal_text(span: Any) -> str:
    return span.status.description or ""


class stack_refusal:
    """Switch a tenant refusal on in the emulator for the block (its test-only route)."""

    def __init__(self, stack: Any, kind: str) -> None:
        self.url = stack.emulator.origin + "/_emulator/refusals"
        self.kind = kind

    async def __aenter__(self) -> None:
        await self._post({"refusal": self.kind})

    async def __aexit__(self, *_: object) -> None:
        await self._post({"clear": True})

    async def _post(self, body: dict[str, Any]) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as http, http.post(self.url, json=body) as resp:
            assert resp.status == 200, await resp.text()


# -- the facade itself -----------------------------------------------------------------------------


def test_an_exception_marks_the_span_by_type_only(otel: Caught) -> None:
    with pytest.raises(ValueError), telemetry.span("outer"), telemetry.span("inner"):
        raise ValueError("Priya said the budget is 2 million")
    inner, outer = otel.spans
    for span in (inner, outer):
        assert span.status.status_code is StatusCode.ERROR and not span.status.description
        assert span.attributes is not None and span.attributes["error.type"] == "ValueError"
        assert not span.events
    assert inner.parent is not None and inner.parent.span_id == outer.context.span_id


def test_recorded_spans_replay_under_the_current_span_at_their_times(otel: Caught) -> None:
    telemetry.uninstall()  # as in a worker process: no providers
    with telemetry.recording() as recorded:
        with telemetry.step("parse"), telemetry.span("inner", n=1) as inner:
            inner.set("m", 2)
        with pytest.raises(KeyError), telemetry.step("verify"):
            raise KeyError("x")
    assert [r.name for r in recorded] == ["parse", "inner", "verify"]
    assert recorded[1].parent == 0 and recorded[0].parent == -1 and recorded[2].error == "KeyError"
    assert all(r.start_ns <= r.end_ns for r in recorded)
    assert otel.spans == []  # nothing was exported while recording

    telemetry.install(otel.tracer_provider, otel.meter_provider)
    with telemetry.span("trip"):
        telemetry.replay(recorded)
    spans = {s.name: s for s in otel.spans}
    assert spans["parse"].parent.span_id == spans["trip"].context.span_id  # type: ignore[union-attr]
    assert spans["inner"].parent.span_id == spans["parse"].context.span_id  # type: ignore[union-attr]
    assert spans["inner"].attributes == {"n": 1, "m": 2}
    assert (spans["inner"].start_time, spans["inner"].end_time) == (recorded[1].start_ns, recorded[1].end_ns)
    assert spans["verify"].status.status_code is StatusCode.ERROR
    outcomes = {
        (p.attributes["mcem.step"], p.attributes["outcome"]) for p in otel.points("mcem.step.duration")
    }
    assert outcomes == {("parse", "ok"), ("verify", "error")}


def test_an_unknown_instrument_is_an_error_not_a_silent_drop(otel: Caught) -> None:
    with pytest.raises(KeyError):
        telemetry.count("mcem.analysis")  # a typo of mcem.analyses


def test_off_by_default_everything_is_a_no_op() -> None:
    assert not telemetry.enabled()
    with telemetry.step("parse") as span:
        span.set("x", 1)
    telemetry.count("no.such.instrument")  # not even looked up
    assert telemetry.current_ids() is None
