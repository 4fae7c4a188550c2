"""The JSON schema the model must answer with, generated from the pydantic models.

OpenAI / Azure OpenAI strict structured output accepts a subset of JSON Schema: every object lists
all its properties as required and forbids extra ones, and length/size/range/format keywords are
not accepted (Azure rejects them). So the pydantic schema is transformed, never written by hand:
fields the model must not fill (meta, verification, talk time, quote times, attendees) are
projected away, constraints become words in the description (pydantic still enforces them on the reply), and
``$ref`` stands alone. A change to mcem.model changes this schema with it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel

from mcem.model import Analysis

# (model title, field) pairs the model never fills: code sets them from the meeting and transcript.
ANALYSIS_SCHEMA_NAME = "mcem_interview_analysis"  # the name the model sees for the whole analysis
ANALYSIS_EXCLUDED: frozenset[tuple[str, str]] = frozenset(
    {
        ("Analysis", "meta"),
        ("Analysis", "verification"),
        ("Analysis", "talk"),
        ("Quote", "start"),
        ("InterviewDetails", "date_time"),
        ("InterviewDetails", "attendees"),
        ("InterviewDetails", "recording_url"),
        ("Person", "side"),
    }
)

# Keywords strict mode accepts; everything else is dropped (constraints are turned into words first).
_KEPT = {"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "$ref",
         "$defs", "description"}  # fmt: skip
_HINTS: dict[str, str] = {
    "minItems": "{} or more items",
    "maxItems": "{} items at most",
    "minLength": "{} or more characters",
    "maxLength": "{} characters at most",
    "minimum": "minimum {}",
    "maximum": "maximum {}",
    "format": "format {}",
}
Schema = dict[str, Any]


def strict_schema(model: type[BaseModel], exclude: frozenset[tuple[str, str]] = frozenset()) -> Schema:
    source = copy.deepcopy(model.model_json_schema(mode="validation"))
    defs: dict[str, Schema] = source.pop("$defs", {})
    root_title = source.get("title", model.__name__)
    out_defs = {name: _object(name, d, exclude) for name, d in defs.items()}
    root = _object(root_title, source, exclude)
    used = _reachable(root, out_defs)
    if used:
        root["$defs"] = {name: out_defs[name] for name in sorted(used)}
    return root


@cache
def analysis_schema() -> Schema:
    """Built once per process (pydantic schema generation is not free); callers must not mutate it."""
    return strict_schema(Analysis, ANALYSIS_EXCLUDED)


def _object(title: str, node: Schema, exclude: frozenset[tuple[str, str]]) -> Schema:
    node = dict(node)
    if "properties" in node:
        node["properties"] = {k: v for k, v in node["properties"].items() if (title, k) not in exclude}
    return _clean(node)


def _clean(node: Any) -> Any:
    if isinstance(node, list):
        return [_clean(x) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        # Strict mode wants $ref on its own; pydantic adds siblings such as description/default.
        return {"$ref": node["$ref"]}
    hints = [h.format(node[k]) for k, h in _HINTS.items() if k in node]
    out: Schema = {}
    for key, value in node.items():
        if key not in _KEPT:
            continue
        if key == "properties":
            out[key] = {name: _clean(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = _clean(value)
        else:
            out[key] = value
    if hints:
        out["description"] = "; ".join([out["description"], *hints] if "description" in out else hints)
    if out.get("type") == "object" or "properties" in out:
        out["type"] = "object"
        out.setdefault("properties", {})
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def _reachable(root: Schema, defs: dict[str, Schema]) -> set[str]:
    seen: set[str] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name not in seen:
                    seen.add(name)
                    stack.append(defs[name])
            stack.extend(v for k, v in node.items() if k != "$defs")
        elif isinstance(node, list):
            stack.extend(node)
    return seen
