"""Shared by the tests/test_graph_*.py files: the emulator on a real port, an SDK client pointed at
it, and the published Graph OpenAPI subset turned into JSON Schema validators."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import jsonschema
import pytest
import yaml
from aiohttp import web
from msgraph import GraphServiceClient
from referencing import Registry, Resource

from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.emulator import create_app
from tests.conftest import SPECS

SPEC_PATH = SPECS / "graph-v1.0-subset.yaml"
CSDL_PATH = SPECS / "graph-v1.0-csdl-subset.xml"
SPEC_URI = "urn:graph-v1.0-subset"


@dataclass
class Emulator:
    origin: str  # http://127.0.0.1:PORT
    app: web.Application

    @property
    def base_url(self) -> str:
        return self.origin + "/v1.0"

    async def requests(self) -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.get(self.origin + "/_emulator/requests") as resp:
            assert resp.status == 200
            return (await resp.json())["requests"]


async def start_emulator(
    token: str | None = None, *, organizer_lookup_only: bool = False
) -> tuple[Emulator, web.AppRunner]:
    app = create_app(token=token, organizer_lookup_only=organizer_lookup_only)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    return Emulator(f"http://127.0.0.1:{port}", app), runner


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu, runner = await start_emulator()
    try:
        yield emu
    finally:
        await runner.cleanup()


@pytest.fixture
def client(emulator: Emulator) -> GraphServiceClient:
    return make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)


# -- the OpenAPI subset as JSON Schema --------------------------------------------------------------


@functools.cache
def spec() -> dict[str, Any]:
    """Loaded once per test session (the file is 745 KB)."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        document = _to_json_schema(yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    schemas = document["components"]["schemas"]
    _flatten_inheritance(schemas)
    # "The structure of this object is service-specific": Graph sends date and request ids as
    # strings there, which the published additionalProperties {type: object} would refuse.
    schemas["microsoft.graph.ODataErrors.InnerError"]["additionalProperties"] = {"type": "string"}
    return document


def _flatten_inheritance(schemas: dict[str, Any]) -> None:
    """Merge ``allOf`` (entity -> directoryObject -> user) into one object schema: each part has
    ``additionalProperties``, so as published every part rejects the other parts' properties."""
    done: dict[str, dict[str, Any]] = {}

    def flat(name: str) -> dict[str, Any]:
        if name in done:
            return done[name]
        node = schemas[name]
        if "allOf" in node:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in node["allOf"]:
                part = flat(part["$ref"].rsplit("/", 1)[1]) if "$ref" in part else part
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += [r for r in part.get("required", []) if r not in merged["required"]]
            merged["additionalProperties"] = {"type": "object"}
            merged["patternProperties"] = {"^@odata\\.": {}}
            node = merged
        done[name] = node
        return node

    for name in list(schemas):
        schemas[name] = flat(name)


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable`` becomes a null type, and every object also takes
    ``@odata.*`` annotations (the published schemas forbid scalar extras; see specs/NOTES.md)."""
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items()}
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        elif "type" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    if "additionalProperties" in out or out.get("type") == "object":
        out.setdefault("patternProperties", {})["^@odata\\."] = {}
    return out


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.opaque(spec()))


def schema_validator(ref: str) -> jsonschema.Draft7Validator:
    """A validator for ``#/components/...`` in the spec."""
    return jsonschema.Draft7Validator({"$ref": f"{SPEC_URI}{ref}"}, registry=_registry())


def response_schema_ref(path: str, method: str) -> str | None:
    """The JSON schema $ref of a path's success response, or None when it is not JSON (a stream)."""
    response = spec()["paths"][path][method]["responses"]["2XX"]
    if "$ref" in response:
        response = _resolve(response["$ref"])
    content = response.get("content", {})
    if "application/json" not in content:
        return None
    schema = content["application/json"]["schema"]
    return schema.get("$ref") or None


def _resolve(ref: str) -> dict[str, Any]:
    node: Any = spec()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def assert_valid(body: Any, ref: str) -> None:
    errors = sorted(schema_validator(ref).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, (
        "\n".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]) + "\n" + json.dumps(body)[:400]
    )
