"""OpenTelemetry for tests: the SDK's in-memory span exporter and metric reader installed in
mcem/telemetry.py, and readers for what they caught."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mcem import telemetry


@dataclass
class Caught:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name == name]

    def points(self, metric: str) -> list[Any]:
        """The data points of one metric (each has .attributes, and .value or .count/.sum)."""
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        found.extend(m.data.data_points)
        return found

    def total(self, metric: str, **attributes: Any) -> float:
        """A counter's sum over the points whose attributes include ``attributes``."""
        return sum(
            p.value
            for p in self.points(metric)
            if all(p.attributes.get(k) == v for k, v in attributes.items())
        )

    def strings(self) -> list[str]:
        """Every string that would leave the process: span names, attribute values, event names and
        attributes, status descriptions, metric point attributes."""
        out: list[str] = []

        def add(value: Any) -> None:
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, (tuple, list)):
                for v in value:
                    add(v)

        for span in self.spans:
            out.append(span.name)
            for key, value in (span.attributes or {}).items():
                out.append(key)
                add(value)
            for event in span.events:
                out.append(event.name)
                for value in (event.attributes or {}).values():
                    add(value)
            add(span.status.description or "")
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    for point in m.data.data_points:
                        for value in point.attributes.values():
                            add(value)
        return out


@pytest.fixture
def otel() -> Iterator[Caught]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    telemetry.install(tracer_provider, meter_provider)
    try:
        yield Caught(exporter, reader, tracer_provider, meter_provider)
    finally:
        telemetry.uninstall()
        tracer_provider.shutdown()
        meter_provider.shutdown()
