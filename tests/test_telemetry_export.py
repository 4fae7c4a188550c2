"""Where telemetry goes: the real exporters over HTTP to local stand-ins of an OTLP receiver and of
Application Insights' ingestion endpoint, both on 127.0.0.1; off (and not even imported) otherwise."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from mcem import telemetry
from mcem.errors import ConfigError
from mcem.telemetry_export import setup_telemetry, telemetry_wanted
from tests.conftest import ROOT


@dataclass
class Receiver:
    """Answers 200 to every POST and keeps (path, body) — the body un-gzipped."""

    url: str = ""
    received: list[tuple[str, bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((request.path, body))
        if request.path.endswith("/track"):  # Application Insights answers with what it accepted
            count = len(body.splitlines()) if not body.lstrip().startswith(b"[") else len(json.loads(body))
            return web.json_response({"itemsReceived": count, "itemsAccepted": count, "errors": []})
        return web.Response(status=200)

    def paths(self) -> set[str]:
        return {p for p, _ in self.received}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    sink = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", sink.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sink.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield sink
    finally:
        await runner.cleanup()


def _one_analysis_worth() -> None:
    with telemetry.span("analysis", **{"mcem.trigger": "last"}), telemetry.step("verify") as span:
        span.set("mcem.quotes.checked", 12)
    telemetry.count("mcem.analyses", outcome="ok")
    telemetry.count("mcem.transcript.minutes", 33.5)


async def test_otlp_sends_spans_and_metrics_to_the_endpoint(receiver: Receiver) -> None:
    exporting = setup_telemetry({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}, service="mcem-test")
    assert exporting is not None and exporting.destinations == ("OTLP",)
    _one_analysis_worth()
    await asyncio.to_thread(exporting.shutdown)  # flushes; the receiver runs on this loop meanwhile

    assert receiver.paths() == {"/v1/traces", "/v1/metrics"}
    traces = ExportTraceServiceRequest()
    traces.ParseFromString(next(b for p, b in receiver.received if p == "/v1/traces"))
    [resource] = traces.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    assert service == "mcem-test"
    names = [s.name for scope in resource.scope_spans for s in scope.spans]
    assert sorted(names) == ["analysis", "verify"]
    assert {scope.scope.name for scope in resource.scope_spans} == {"mcem"}
    metrics = ExportMetricsServiceRequest()
    metrics.ParseFromString(next(b for p, b in receiver.received if p == "/v1/metrics"))
    sent = {m.name for r in metrics.resource_metrics for s in r.scope_metrics for m in s.metrics}
    assert {"mcem.analyses", "mcem.transcript.minutes", "mcem.step.duration"} <= sent
    assert not telemetry.enabled()  # shut down: back to no-ops


async def test_azure_monitor_sends_to_the_ingestion_endpoint_and_nowhere_else(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The SDK reads its switches from the process environment; the code under test sets them only
    # where unset, so start from unset (monkeypatch restores whatever was there).
    switches = (
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL",
        "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED",
        "APPLICATIONINSIGHTS_SDKSTATS_DISABLED",
    )
    for name in switches:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # its retry storage, should a send fail
    connection = (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        f"IngestionEndpoint={receiver.url};LiveEndpoint={receiver.url}"
    )
    exporting = setup_telemetry({"APPLICATIONINSIGHTS_CONNECTION_STRING": connection}, service="mcem-test")
    assert exporting is not None and exporting.destinations == ("Azure Monitor",)
    # Usage reports to Microsoft and its remote settings: off, since the operator did not ask for them.
    assert all(os.environ[name] == "true" for name in switches)
    _one_analysis_worth()
    await asyncio.to_thread(exporting.shutdown)

    assert receiver.paths() == {"/v2.1/track"}
    envelopes = [
        e
        for _, body in receiver.received
        for e in (json.loads(body) if body.lstrip().startswith(b"[") else map(json.loads, body.splitlines()))
    ]
    kinds = {e["data"]["baseType"] for e in envelopes}
    assert kinds == {"RemoteDependencyData", "MetricData"}  # our spans are in-process steps (InProc)
    span_names = {
        e["data"]["baseData"].get("name") for e in envelopes if e["data"]["baseType"] != "MetricData"
    }
    assert {"analysis", "verify"} <= span_names
    metric_names = {
        m["name"]
        for e in envelopes
        if e["data"]["baseType"] == "MetricData"
        for m in e["data"]["baseData"]["metrics"]
    }
    assert "mcem.analyses" in metric_names


def test_an_operator_who_wants_statsbeat_keeps_it() -> None:
    env = {"APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "false"}
    with pytest.raises(ConfigError, match="InstrumentationKey"):
        setup_telemetry({"APPLICATIONINSIGHTS_CONNECTION_STRING": "not-one"}, service="t", process_env=env)
    assert env == {"APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "false"}  # refused before touching it


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x"}, True),
        (
            {"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x", "OTEL_SDK_DISABLED": "true"},
            False,
        ),
    ],
)
def test_telemetry_is_on_only_when_a_destination_is_named(environ: dict[str, str], wanted: bool) -> None:
    assert telemetry_wanted(environ) is wanted


def test_grpc_is_refused_with_what_to_set() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    with pytest.raises(ConfigError, match="http/protobuf"):
        setup_telemetry(env, service="t")
    assert not telemetry.enabled()


HEAVY = ("opentelemetry.exporter", "azure.monitor", "opentelemetry.sdk.trace.export")


def _loaded(code: str) -> dict[str, list[str]]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        "print(json.dumps({p: sorted(m for m in sys.modules if m == p or m.startswith(p + '.'))"
        " for p in ('opentelemetry',) + " + repr(HEAVY) + "}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATIONINSIGHTS_"))}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cli_loads_no_opentelemetry_at_all(tmp_path: Path) -> None:
    sample = next((ROOT / "samples").glob("*.vtt"))
    loaded = _loaded(
        "from mcem.cli import main\n"
        f"assert main(['analyze', {str(sample)!r}, '--engine', 'offline', '--out', {str(tmp_path)!r}]) == 0"
    )
    assert loaded["opentelemetry"] == []
    assert (tmp_path / "analysis.docx").stat().st_size > 0


def test_the_bot_without_a_destination_loads_no_exporter() -> None:
    loaded = _loaded(
        "import os\n"
        "from bot.__main__ import main\n"  # everything the bot's entry point imports
        "from mcem.telemetry_export import setup_telemetry\n"
        "assert setup_telemetry(dict(os.environ), service='t') is None\n"
    )
    assert all(loaded[p] == [] for p in HEAVY), loaded
