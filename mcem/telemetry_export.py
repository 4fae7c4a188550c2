"""Where telemetry goes, chosen from the environment: Azure Monitor, OTLP, both, or nowhere.

- ``APPLICATIONINSIGHTS_CONNECTION_STRING``: Application Insights, through the exporters of the
  azure-monitor-opentelemetry distribution. Entra ID sign-in (a resource with local auth off) is the
  SDK's own ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` ("Authorization=AAD;ClientId=...").
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the per-signal ``..._TRACES_ENDPOINT`` / ``..._METRICS_ENDPOINT``):
  any OTLP receiver over HTTP/protobuf (a collector, Jaeger, Aspire's dashboard).
- neither, or ``OTEL_SDK_DISABLED=true``: off; no SDK or exporter is imported and mcem/telemetry.py
  stays a no-op.

Why not the distribution's ``configure_azure_monitor()``: it sets the *global* providers, so the
spans kiota and the Agents SDK make (Graph URLs with user ids and query words, conversation ids)
would be exported with ours, and it instruments HTTP clients and starts live metrics on top. Its
exporters in providers of our own export exactly what mcem/telemetry.py makes, nothing else.

The Azure Monitor SDK also reports its own usage to Microsoft (statsbeat), polls Microsoft for
remote settings (its control plane) and sends stats about itself. All three are turned off unless
the operator set those variables: this app sends telemetry to the resource its operator named, and
only what mcem/telemetry.py makes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mcem import telemetry
from mcem.errors import ConfigError

__all__ = ["Telemetry", "setup_telemetry", "telemetry_wanted"]

AZURE = "APPLICATIONINSIGHTS_CONNECTION_STRING"
# Read by the Azure Monitor SDK itself ("Authorization=AAD;ClientId=..."), named here for the docs.
AZURE_SIGN_IN = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
OTLP = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTLP_TRACES = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
OTLP_METRICS = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
# The Azure Monitor SDK's own switches for what it would send to Microsoft rather than to our resource.
# The third, its stats about itself sent to our resource, runs on a timer of its own that our
# providers' shutdown cannot stop.
_PHONES_HOME_OFF = {
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
    "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
}
OTLP_PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL"
SERVICE_NAME = "OTEL_SERVICE_NAME"
METRIC_INTERVAL = "OTEL_METRIC_EXPORT_INTERVAL"
DISABLED = "OTEL_SDK_DISABLED"
# Metrics every minute by default (the SDK's own default); OTEL_METRIC_EXPORT_INTERVAL overrides it.
METRIC_INTERVAL_MS = 60_000


def telemetry_wanted(environ: Mapping[str, str]) -> bool:
    if environ.get(DISABLED, "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in (AZURE, OTLP, OTLP_TRACES, OTLP_METRICS))


@dataclass
class Telemetry:
    """The providers behind mcem/telemetry.py and where they export; ``shutdown`` flushes them."""

    destinations: tuple[str, ...]
    tracer_provider: object
    meter_provider: object

    def shutdown(self) -> None:
        telemetry.uninstall()
        # Flushes the last batch of spans and one last collection of metrics.
        self.tracer_provider.shutdown()  # type: ignore[attr-defined]
        self.meter_provider.shutdown()  # type: ignore[attr-defined]


def setup_telemetry(
    environ: Mapping[str, str],
    *,
    service: str,
    process_env: MutableMapping[str, str] | None = None,
) -> Telemetry | None:
    """Build the exporters ``environ`` names and install them in mcem/telemetry.py; None when it
    names none. ``process_env``: where the Azure Monitor SDK reads its switches (os.environ).
    Raises ConfigError with what to fix for a setting that cannot work."""
    if not telemetry_wanted(environ):
        return None
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

    name = environ.get(SERVICE_NAME, "").strip() or service
    resource = Resource.create({"service.name": name, "service.version": _version()})
    tracer_provider = TracerProvider(resource=resource)
    spans: list[SpanExporter] = []
    metrics: list[MetricExporter] = []
    destinations: list[str] = []
    connection = environ.get(AZURE, "").strip()
    if connection:
        env = os.environ if process_env is None else process_env
        _azure_monitor(connection, tracer_provider, spans, metrics, env)
        destinations.append("Azure Monitor")
    if any(environ.get(name, "").strip() for name in (OTLP, OTLP_TRACES, OTLP_METRICS)):
        _otlp(environ, spans, metrics)
        destinations.append("OTLP")
    for exporter in spans:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    interval = _int(environ, METRIC_INTERVAL, METRIC_INTERVAL_MS)
    readers = [PeriodicExportingMetricReader(e, export_interval_millis=interval) for e in metrics]
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    telemetry.install(tracer_provider, meter_provider)
    return Telemetry(tuple(destinations), tracer_provider, meter_provider)


def _azure_monitor(
    connection: str,
    tracer_provider: Any,
    spans: list[Any],
    metrics: list[Any],
    process_env: MutableMapping[str, str],
) -> None:
    if "instrumentationkey=" not in connection.lower():
        raise ConfigError(
            f"{AZURE} is not an Application Insights connection string (it has no InstrumentationKey=): "
            "copy it from the resource's Overview page."
        )
    for name, value in _PHONES_HOME_OFF.items():
        process_env.setdefault(name, value)  # the SDK reads them from the process environment
    from azure.monitor.opentelemetry.exporter import AzureMonitorMetricExporter, AzureMonitorTraceExporter

    # It reads the resource (service name -> cloud role) from the provider it is given, else the global one.
    spans.append(AzureMonitorTraceExporter(connection_string=connection, tracer_provider=tracer_provider))
    metrics.append(AzureMonitorMetricExporter(connection_string=connection))


def _otlp(environ: Mapping[str, str], spans: list[Any], metrics: list[Any]) -> None:
    protocol = environ.get(OTLP_PROTOCOL, "http/protobuf").strip() or "http/protobuf"
    if protocol != "http/protobuf":
        raise ConfigError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported: this app exports OTLP over "
            "http/protobuf (port 4318 on a collector); unset it or set it to http/protobuf."
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = environ.get(OTLP, "").strip().rstrip("/")
    traces = environ.get(OTLP_TRACES, "").strip() or (base and f"{base}/v1/traces")
    measured = environ.get(OTLP_METRICS, "").strip() or (base and f"{base}/v1/metrics")
    if traces:
        spans.append(OTLPSpanExporter(endpoint=traces))
    if measured:
        metrics.append(OTLPMetricExporter(endpoint=measured))


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(
            f"{name}={raw!r} is not a number of milliseconds: use e.g. 60000, or leave it unset."
        )
    return int(raw)


def _version() -> str:
    try:
        return version("mcem-analyst")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "0"
