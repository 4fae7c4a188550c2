"""Spans and metrics of an analysis: OpenTelemetry when the process set it up, nothing otherwise.

The core, Graph and the bot all call ``span(...)``, ``count(...)`` and ``observe(...)`` here. Until
``install`` hands this module a tracer provider and a meter provider (mcem/telemetry_export.py does,
from the environment), every call is a no-op that imports nothing: the CLI and a bot without an
exporter load no part of OpenTelemetry for it.

Why our own providers and not the global ones: the libraries under us (kiota/msgraph, the Agents
SDK) create spans of their own on the global provider, with Graph URLs (user ids, $filter words)
and conversation ids in their attributes. Leaving the global provider a no-op keeps those out of
any export; only spans and instruments made here leave the process.

What may go into an attribute: ids we mint (run ids), names of steps and Graph operations, counts,
durations, status codes, error *types* and refusal kinds, the model deployment name. Never
transcript text, a person's name or address, a meeting subject or a token; exceptions are recorded
by type only (their messages can quote the transcript). tests/test_telemetry.py scans every
attribute of a real analysis for the transcript's names and sentences.

Worker processes (bot/pool.py) have no providers. There ``recording()`` collects the spans a step
opens as plain tuples with their clock times; the worker returns them and the bot ``replay``s them
under its own span, so a step in another process shows in the trace where it happened.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = [
    "INSTRUMENTS",
    "Recorded",
    "SpanHandle",
    "count",
    "current_ids",
    "enabled",
    "install",
    "observe",
    "recording",
    "replay",
    "span",
    "step",
    "uninstall",
]

SCOPE = "mcem"
STEP = "mcem.step"
# A tuple of strings for the list-valued ones (gen_ai.response.finish_reasons).
AttrValue = str | bool | int | float | tuple[str, ...]
Attrs = dict[str, AttrValue]
# Seconds: analyses take from under a second (offline) to minutes (a model, a long meeting).
_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# name -> (kind, unit, description). One closed set, so a typo fails in the tests, not silently.
INSTRUMENTS: dict[str, tuple[str, str, str]] = {
    "mcem.analyses": ("counter", "{analysis}", "Analyses that ended, by outcome, trigger and engine"),
    "mcem.analysis.failures": ("counter", "{analysis}", "Analyses that failed, by cause"),
    "mcem.llm.tokens": ("counter", "{token}", "Tokens the language model reported, by gen_ai.token.type"),
    "mcem.transcript.minutes": ("counter", "min", "Minutes of transcript content downloaded from Graph"),
    "mcem.analysis.duration": ("histogram", "s", "Time from the request to the last card, by outcome"),
    "mcem.step.duration": ("histogram", "s", "Time of each step of an analysis, by mcem.step"),
    "mcem.graph.duration": ("histogram", "s", "Time of each Graph call, by operation and outcome"),
    "mcem.llm.duration": ("histogram", "s", "Time of each language model call, retries included"),
}


class SpanHandle:
    """What a ``with span(...)`` block may do to its span: add attributes (same rules as above)."""

    __slots__ = ()

    def set(self, key: str, value: AttrValue) -> None:
        return None


_NOTHING = SpanHandle()


class _Live(SpanHandle):
    __slots__ = ("_span",)

    def __init__(self, span: Span) -> None:
        self._span = span

    def set(self, key: str, value: AttrValue) -> None:
        self._span.set_attribute(key, value)


@dataclass(frozen=True)
class Recorded:
    """One span opened in a process without providers: replayed by the one that has them."""

    name: str
    start_ns: int
    end_ns: int
    attributes: tuple[tuple[str, AttrValue], ...] = ()
    parent: int = -1  # index of the enclosing span in the same recording; -1: the replaying span
    error: str = ""  # the exception's type name when the step raised


@dataclass
class _Recording:
    spans: list[Recorded] = field(default_factory=list)
    open: list[int] = field(default_factory=list)  # indexes of the spans not yet ended


class _Recorder(SpanHandle):
    __slots__ = ("_index", "_recording")

    def __init__(self, recording: _Recording, index: int) -> None:
        self._recording = recording
        self._index = index

    def set(self, key: str, value: AttrValue) -> None:
        entry = self._recording.spans[self._index]
        self._recording.spans[self._index] = _with(entry, attributes=(*entry.attributes, (key, value)))


def _with(entry: Recorded, **changes: Any) -> Recorded:
    return Recorded(**{**entry.__dict__, **changes})


@dataclass(frozen=True)
class _Providers:
    tracer: Tracer
    instruments: dict[str, Any]


_providers: _Providers | None = None
_recording: contextvars.ContextVar[_Recording | None] = contextvars.ContextVar("mcem_recording", default=None)


def install(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    """From now on spans and metrics go to these providers (and their exporters)."""
    global _providers
    meter = meter_provider.get_meter(SCOPE)
    instruments: dict[str, Any] = {}
    for name, (kind, unit, description) in INSTRUMENTS.items():
        if kind == "counter":
            instruments[name] = meter.create_counter(name, unit=unit, description=description)
        else:
            instruments[name] = meter.create_histogram(
                name, unit=unit, description=description, explicit_bucket_boundaries_advisory=_SECONDS
            )
    _providers = _Providers(tracer_provider.get_tracer(SCOPE), instruments)


def uninstall() -> None:
    global _providers
    _providers = None


def enabled() -> bool:
    return _providers is not None


@contextlib.contextmanager
def span(name: str, **attributes: AttrValue) -> Iterator[SpanHandle]:
    """A span around the block, child of the current one. An exception ends it with status ERROR
    and ``error.type`` (its class name, never its message) and goes on."""
    providers = _providers
    if providers is not None:
        with providers.tracer.start_as_current_span(
            name, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as live:
            try:
                yield _Live(live)
            except BaseException as err:
                _failed(live, err)
                raise
        return
    recording = _recording.get()
    if recording is None:
        yield _NOTHING
        return
    index = len(recording.spans)
    parent = recording.open[-1] if recording.open else -1
    recording.spans.append(Recorded(name, time.time_ns(), 0, tuple(attributes.items()), parent))
    recording.open.append(index)
    error = ""
    try:
        yield _Recorder(recording, index)
    except BaseException as err:
        error = type(err).__name__
        raise
    finally:
        recording.open.pop()
        recording.spans[index] = _with(recording.spans[index], end_ns=time.time_ns(), error=error)


@contextlib.contextmanager
def step(name: str, **attributes: AttrValue) -> Iterator[SpanHandle]:
    """A span for one step of an analysis (parse, analyse, verify, render ...), whose time also goes
    to the ``mcem.step.duration`` histogram (here, or where a recording of it is replayed)."""
    started = time.perf_counter()
    outcome = "error"
    try:
        with span(name, **{STEP: name}, **attributes) as handle:
            yield handle
            outcome = "ok"
    finally:
        observe("mcem.step.duration", time.perf_counter() - started, **{STEP: name, "outcome": outcome})


def _failed(live: Span, err: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    live.set_attribute("error.type", type(err).__name__)
    live.set_status(Status(StatusCode.ERROR))  # no description: the message may quote the transcript


@contextlib.contextmanager
def recording() -> Iterator[list[Recorded]]:
    """Collect the spans opened in the block (in a process without providers); the list fills as
    they end."""
    mine = _Recording()
    token = _recording.set(mine)
    try:
        yield mine.spans
    finally:
        _recording.reset(token)


def replay(spans: Sequence[Recorded]) -> None:
    """Turn spans recorded in another process into children of the current span, at their times."""
    providers = _providers
    if providers is None or not spans:
        return
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode

    made: list[Span] = []
    for entry in spans:
        context = trace.set_span_in_context(made[entry.parent]) if entry.parent >= 0 else None
        live = providers.tracer.start_span(
            entry.name, context=context, attributes=dict(entry.attributes), start_time=entry.start_ns
        )
        if entry.error:
            live.set_attribute("error.type", entry.error)
            live.set_status(Status(StatusCode.ERROR))
        made.append(live)
    for live, entry in zip(made, spans, strict=True):
        end = max(entry.end_ns, entry.start_ns)
        live.end(end_time=end)
        name = dict(entry.attributes).get(STEP)
        if isinstance(name, str):
            outcome = "error" if entry.error else "ok"
            observe("mcem.step.duration", (end - entry.start_ns) / 1e9, **{STEP: name, "outcome": outcome})


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the span this code runs in, for log lines; None without one."""
    if _providers is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def count(name: str, value: float = 1, **attributes: AttrValue) -> None:
    providers = _providers
    if providers is not None and value:
        providers.instruments[name].add(value, attributes)


def observe(name: str, value: float, **attributes: AttrValue) -> None:
    providers = _providers
    if providers is not None:
        providers.instruments[name].record(value, attributes)
