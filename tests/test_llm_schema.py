"""The strict JSON schema is generated from the model and obeys OpenAI/Azure strict-mode rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from mcem.llm.chunking import evidence_schema
from mcem.llm.schema import ANALYSIS_EXCLUDED, analysis_schema
from mcem.model import (
    ROLE_TITLES,
    AdditionalFeedback,
    Analysis,
    AnalysisMeta,
    InterviewDetails,
    Person,
    Quote,
    Recommendation,
    RoleSummary,
    Stage,
    StageFeedback,
)

ALLOWED = {"type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "$ref",
           "$defs", "description"}  # fmt: skip


def _nodes(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    out += _nodes(sub)
            elif key in ("items",):
                out += _nodes(value)
            elif key == "anyOf":
                for sub in value:
                    out += _nodes(sub)
    return out


@pytest.mark.parametrize("schema", [analysis_schema(), evidence_schema()], ids=["analysis", "evidence"])
def test_strict_mode_rules(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object" and "anyOf" not in schema
    jsonschema.Draft202012Validator.check_schema(schema)
    for node in _nodes(schema):
        assert set(node) <= ALLOWED, set(node) - ALLOWED
        if "$ref" in node:
            assert set(node) == {"$ref"}
            assert node["$ref"].removeprefix("#/$defs/") in schema["$defs"]
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])


def test_projection_follows_the_model() -> None:
    schema = analysis_schema()
    model_fields = set(Analysis.model_fields) - {f for m, f in ANALYSIS_EXCLUDED if m == "Analysis"}
    assert set(schema["properties"]) == model_fields
    assert set(schema["$defs"]["Quote"]["properties"]) == {"text", "speaker"}
    assert "date_time" not in schema["$defs"]["InterviewDetails"]["properties"]
    assert "AnalysisMeta" not in schema["$defs"] and "Verification" not in schema["$defs"]
    assert schema["$defs"]["Stage"]["enum"] == [s.value for s in Stage]
    assert schema["$defs"]["Role"]["enum"] == [r.value for r in ROLE_TITLES]
    # Constraints the schema may not carry survive as words the model reads.
    assert "3 or more items" in schema["properties"]["recommendations"]["description"]
    assert "5 items at most" in schema["properties"]["recommendations"]["description"]


def _analysis() -> Analysis:
    quote = Quote(text="We want a pilot in ten stores.", speaker="Maria Lopez", start=28.1)
    return Analysis(
        participant_name="Maria Lopez",
        company_name="Fabrikam",
        company_background="A retailer.",
        executive_summary=["Summary."],
        details=InterviewDetails(participant=Person(name="Maria Lopez", role="COO")),
        stages=[StageFeedback(stage=s, discussed=True, paragraphs=["P."], quotes=[quote]) for s in Stage],
        insights=["Insight."],
        recommendations=[Recommendation(title=f"R{i}", narrative="N.") for i in range(3)],
        summary_table=[RoleSummary(role=r, excerpt=quote, insight="I.", actions=["A."]) for r in ROLE_TITLES],
        additional_feedback=AdditionalFeedback(overall_mood="Good.", sentiment=[]),
        meta=AnalysisMeta(engine="llm", generated_at=datetime.now(UTC)),
    )


def _project(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """Keep only what the schema names — what a model answering it would send."""
    if "$ref" in schema:
        return _project(value, defs[schema["$ref"].removeprefix("#/$defs/")], defs)
    if "anyOf" in schema:
        if value is None:
            return None
        return _project(value, next(s for s in schema["anyOf"] if s.get("type") != "null"), defs)
    if schema.get("type") == "object":
        return {k: _project(value[k], sub, defs) for k, sub in schema["properties"].items()}
    if schema.get("type") == "array":
        return [_project(v, schema["items"], defs) for v in value]
    return value


def test_a_real_analysis_projected_validates_and_extra_fields_do_not() -> None:
    schema = analysis_schema()
    data = _project(_analysis().model_dump(mode="json"), schema, schema["$defs"])
    jsonschema.validate(data, schema)
    data["stages"][0]["quotes"][0]["start"] = 3.0  # times come from code, never from the model
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_the_hand_written_reply_fixture_still_fits_the_schema() -> None:
    # When mcem.model changes, this fails first and says which fixture field drifted.
    from tests.conftest import FIXTURES

    reply = json.loads((FIXTURES / "llm" / "injection-call.reply.json").read_text("utf-8"))
    jsonschema.validate(reply, analysis_schema())
