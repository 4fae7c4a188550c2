"""Validate requests and replies against the published Azure OpenAI inference spec (2024-10-21).

The spec is OpenAPI 3.0, so it is adapted once for a JSON Schema validator: ``nullable: true``
becomes "null is allowed too", and the known upstream slip (``type`` listed as required inside
``ResponseFormatJsonSchema.json_schema``, see tests/specs/NOTES.md) is removed.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SPEC_NAME = "azure-openai-inference-2024-10-21.json"
_URI = "urn:azure-openai-inference"
CHAT_PATH = "/deployments/{deployment-id}/chat/completions"


def spec_path() -> Path:
    # tests/specs, found from this file, so the stand-in also runs by hand from any directory.
    return Path(__file__).resolve().parents[1] / "specs" / SPEC_NAME


@cache
def _spec() -> dict[str, Any]:
    spec = json.loads(spec_path().read_text("utf-8"))
    spec = _nullable(copy.deepcopy(spec))
    fmt = spec["components"]["schemas"]["ResponseFormatJsonSchema"]["properties"]["json_schema"]
    fmt["required"] = [r for r in fmt["required"] if r in fmt["properties"]]
    return spec


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable(v) for k, v in node.items()}
    if node.pop("nullable", False) is True:
        if isinstance(node.get("type"), str) and not any(
            k in node for k in ("oneOf", "anyOf", "allOf", "$ref")
        ):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            return {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _validator(schema_name: str) -> jsonschema.Draft7Validator:
    registry: Registry = Registry().with_resource(_URI, Resource(contents=_spec(), specification=DRAFT7))
    return jsonschema.Draft7Validator(
        {"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=registry
    )


def problems(instance: Any, schema_name: str) -> list[str]:
    """Every way ``instance`` breaks the named component schema (empty when it conforms)."""
    out = []
    for error in _validator(schema_name).iter_errors(instance):
        path = "/".join(str(p) for p in error.absolute_path) or "(body)"
        out.append(f"{schema_name} {path}: {error.message[:300]}")
    return out


def required_query_parameters() -> list[str]:
    post = _spec()["paths"][CHAT_PATH]["post"]
    return [p["name"] for p in post["parameters"] if p["in"] == "query" and p.get("required")]


def auth_headers() -> list[str]:
    """Header names the spec's security schemes accept (api-key; bearer via Authorization)."""
    schemes = _spec()["components"]["securitySchemes"]
    names = [s["name"] for s in schemes.values() if s.get("type") == "apiKey" and s.get("in") == "header"]
    if any(s.get("type") == "oauth2" for s in schemes.values()):
        names.append("Authorization")
    return names
