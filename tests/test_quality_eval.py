"""The quality benchmark (benchmarks/quality.py): answer keys, the scorer, and a whole run.

The scorer is checked on planted content (a fact, a next step, a forbidden string, a statistic in
prose), so these tests hold whatever the analyzer writes; the run test only checks that every
sample gets a row of parsed numbers, not what the numbers are.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks import quality
from benchmarks.qualitykit.key import AnswerKey, load_key, stage_matches
from benchmarks.qualitykit.outputs import Rendered, render
from benchmarks.qualitykit.score import SampleScore, contains, score, stat_sentences
from mcem.context import MeetingContext
from mcem.model import Quote, Stage
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.verify import verify
from tests.conftest import ROOT
from tests.stubs import openai_stub as stubs
from tests.support.samples import read_cues

SAMPLES = ROOT / "samples"
TRANSCRIPTS = sorted(SAMPLES.glob("*.vtt"))
KEYS = sorted(SAMPLES.glob("*.key.json"))
QUALITY = ROOT / "benchmarks" / "quality.py"


def test_every_sample_has_a_key_and_every_key_a_sample() -> None:
    assert len(TRANSCRIPTS) >= 1
    assert {p.stem for p in TRANSCRIPTS} == {p.name.removesuffix(".key.json") for p in KEYS}


@pytest.mark.parametrize("path", KEYS, ids=lambda p: p.name)
def test_key_parses_and_is_grounded_in_its_transcript(path: Path) -> None:
    key = load_key(path)
    transcript = load_transcript(path.with_name(path.name.removesuffix(".key.json") + ".vtt"))
    spoken = " ".join(u.text for u in transcript.utterances)
    # A fact nobody said would make recall unreachable: one alternative must be the transcript's words.
    ungrounded = [f.id for f in key.facts if not any(contains(spoken, a) for a in f.any_of)]
    assert ungrounded == []
    for step in key.next_steps:
        assert any(contains(spoken, a) for a in step.action), step.id
    for item in key.forbidden:
        if item.id.startswith("confidential"):
            assert any(contains(spoken, a) for a in item.any_of), item.id
    if key.is_customer:
        assert key.current_stage is not None and key.facts and key.next_steps
    else:
        assert key.current_stage is None
    assert set(key.meeting.internal) <= set(transcript.speakers)


def test_a_key_with_an_unknown_field_is_refused_in_one_line(tmp_path: Path) -> None:
    good = json.loads(KEYS[0].read_text("utf-8"))
    good["facts"][0]["anyof"] = ["typo"]
    broken = tmp_path / "x.key.json"
    broken.write_text(json.dumps(good), "utf-8")
    with pytest.raises(ValueError, match=r"^x\.key\.json: facts\.0\.anyof: ") as caught:
        load_key(broken)
    assert "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    sample = SAMPLES / "contoso-manufacturing-call.vtt"
    transcript = load_transcript(sample)
    draft = OfflineAnalyzer(now=datetime(2026, 11, 18, 16, tzinfo=UTC)).analyze_sync(
        transcript, MeetingContext()
    )
    return render(verify(draft, transcript))


def _key(**changes: object) -> AnswerKey:
    base = {
        "meeting": {"date": "2026-03-02T09:00:00Z"},
        "meeting_kind": "customer_engagement",
        "current_stage": "empower_achieve",
    }
    return AnswerKey.model_validate(base | changes)


def test_planted_fact_next_step_and_forbidden_hit_are_counted(rendered: Rendered) -> None:
    texts = dict(rendered.texts)
    texts["markdown"] += "\nThe trial cut scrap by 17.5% at the Zwolle plant."
    texts["card"] += "\nProject Heron is not public yet."
    dump = rendered.dump | {
        "meeting_kind": "customer_engagement",
        "current_stage": "Empower & Achieve",
        "next_steps": [
            {
                "action": "Send the revised pricing sheet",
                "owner": "Ines (Fabrikam)",
                "due": "by Friday 6 March",
            },
            {"action": "Book the security review", "owner": "Tom", "due": None},
        ],
    }
    key = _key(
        facts=[
            {"id": "scrap", "any_of": ["17.5%", "seventeen and a half percent"]},
            {"id": "absent", "any_of": ["Zwolle's 9 lines"]},
        ],
        next_steps=[
            {"id": "pricing", "action": ["pricing"], "owner": ["Ines"], "due": ["Friday", "6 March"]},
            {"id": "review", "action": ["security"], "owner": ["Tom"], "due": None},
            {"id": "review-dated", "action": ["security"], "owner": ["Tom"], "due": ["next week"]},
            {"id": "wrong-owner", "action": ["pricing"], "owner": ["Tom"]},
        ],
        forbidden=[
            {"id": "heron", "any_of": ["Project Heron"], "outputs": ["card", "email"]},
            {"id": "heron-md", "any_of": ["Project Heron"], "outputs": ["markdown"]},
        ],
    )
    result = score("planted", key, Rendered(dump=dump, texts=texts))
    assert (result.facts_found, result.facts_missed) == (["scrap"], ["absent"])
    # Each analysis step answers one key step: "review" takes Tom's step, so "review-dated" finds none.
    assert (result.steps_total, result.steps_action_owner, result.steps_with_due) == (4, 2, 2)
    assert result.steps_missed == ["review-dated", "wrong-owner"]
    assert result.steps_unmatched == []
    extra = dump | {
        "next_steps": [*dump["next_steps"], {"action": "Take that", "owner": "Nadia", "due": None}]
    }
    assert score("planted", key, Rendered(dump=extra, texts=texts)).steps_unmatched == ["Take that"]
    assert result.forbidden_hits == [("heron", "card", "Project Heron")]
    assert result.kind_right and result.stage_right


def test_fields_the_model_lacks_count_as_missed_not_as_a_crash(rendered: Rendered) -> None:
    dump = {
        k: v for k, v in rendered.dump.items() if k not in {"meeting_kind", "current_stage", "next_steps"}
    }
    key = _key(next_steps=[{"id": "x", "action": ["proposal"], "owner": ["Marcus"]}])
    result = score("old-model", key, Rendered(dump=dump, texts=rendered.texts))
    assert not result.kind_right and not result.stage_right
    # Not even for a meeting whose right answer is "no stage": a missing field is no answer.
    no_stage = score(
        "old-model",
        _key(meeting_kind="not_customer_engagement", current_stage=None),
        Rendered(dump=dump, texts=rendered.texts),
    )
    assert not no_stage.stage_right
    assert (result.steps_action_owner, result.steps_missed) == (0, ["x"])


def test_matching_respects_word_boundaries_and_case() -> None:
    assert contains("about 84% of questions", "84%")
    assert not contains("about 184% of questions", "84%")
    assert contains("Nine Days without an answer", "nine days")
    assert contains("a “straight answer”", '"straight answer"')
    assert not contains("VPN access", "VP")


def test_stage_accepts_the_id_or_the_title() -> None:
    assert stage_matches(Stage.realize_value, "realize_value")
    assert stage_matches(Stage.realize_value, "Realize Value")
    assert stage_matches(Stage.listen_consult, "Listen & Consult")
    assert not stage_matches(Stage.realize_value, "manage_optimize")
    assert not stage_matches(Stage.realize_value, None)
    assert stage_matches(None, None)


def test_statistics_in_prose_are_found_and_figures_of_the_meeting_are_not() -> None:
    dump = {
        "executive_summary": [
            "Momentum is clearest in Inspire & Design (average tone +0.12).",
            "5 customer sentences in this call spoke to Listen & Consult. "
            "The 0 strongest sentences are quoted below.",
            "The pilot reached 93% weekly active users and saves 2.5 hours a week; escalations fell by 41%.",
        ],
        "stages": [{"quotes": [{"text": "It scored +0.5 on our scale.", "speaker": "Ana", "start": 1.0}]}],
        "meta": {"note": "3 sentences were scored"},
    }
    assert stat_sentences(dump) == [
        "Momentum is clearest in Inspire & Design (average tone +0.12).",
        "5 customer sentences in this call spoke to Listen & Consult.",
        "The 0 strongest sentences are quoted below.",
    ]


def test_a_quote_shown_twice_in_the_markdown_is_counted(rendered: Rendered) -> None:
    quote = next(q for s in rendered.dump["stages"] for q in s["quotes"])
    texts = dict(rendered.texts)
    before = score("q", _key(), Rendered(dump=rendered.dump, texts=texts)).repeated_quotes
    texts["markdown"] += f"\nAs the customer put it, “{quote['text']}”\n"
    after = score("q", _key(), Rendered(dump=rendered.dump, texts=texts)).repeated_quotes
    assert after == before + 1


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.name)
def test_every_sample_is_a_well_formed_half_hour_teams_transcript(path: Path) -> None:
    cues = read_cues(path)
    assert 25 <= cues[-1].end / 60 <= 40
    assert 3500 <= sum(len(c.text.split()) for c in cues) <= 5500
    assert all(a.end <= b.start for a, b in itertools.pairwise(cues))


_ROW = re.compile(
    r"^(?P<name>\S+)\s+(ok|WRONG)\s+(ok|WRONG)\s+(\d+)/(\d+)\s+\d+%\s+(\d+)/(\d+)\s+\d+%\s+(\d+)/\d+\s+\d+%"
)


def test_the_offline_run_prints_one_row_of_numbers_per_sample() -> None:
    result = subprocess.run(
        [sys.executable, str(QUALITY)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    rows = {m["name"]: m for line in result.stdout.splitlines() if (m := _ROW.match(line))}
    assert set(rows) == {p.stem for p in TRANSCRIPTS}
    for name, m in rows.items():
        key = load_key(SAMPLES / f"{name}.key.json")
        found, total, steps, steps_total = (int(m.group(i)) for i in (4, 5, 6, 7))
        assert total == len(key.facts) and 0 <= found <= total
        assert steps_total == len(key.next_steps) and 0 <= steps <= steps_total
    assert "goals of issue 9" in result.stdout


def test_goals_are_issue_9s_and_check_turns_a_miss_into_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    good = SampleScore(
        name="good",
        is_customer=True,
        facts_found=["a"] * 8,
        facts_missed=["b"] * 2,
        steps_total=5,
        steps_action_owner=4,
        steps_with_due=3,
        kind_expected="customer_engagement",
        kind_found="customer_engagement",
        stage_expected="realize_value",
        stage_found="Realize Value",
    )
    assert quality.missed_goals([good]) == []
    weak = replace(
        good, name="weak", steps_with_due=2, repeated_quotes=1, forbidden_hits=[("x", "card", "y")]
    )
    assert quality.missed_goals([weak]) == [
        "weak: 1 forbidden hit(s)",
        "weak: 1 repeated quote(s)",
        "weak: next-step recall with due date below 60%",
    ]
    # Recall goals are for customer calls; an internal meeting is held to kind, stage and prose only.
    internal = replace(weak, is_customer=False, forbidden_hits=[], repeated_quotes=0)
    assert quality.missed_goals([internal]) == []

    monkeypatch.setattr(quality, "evaluate", _fake_evaluate([weak]))
    assert quality.main([]) == 0
    assert quality.main(["--check"]) == 1
    monkeypatch.setattr(quality, "evaluate", _fake_evaluate([good]))
    assert quality.main(["--check"]) == 0


def _fake_evaluate(scores: list[SampleScore]) -> Callable[..., Coroutine[Any, Any, list[SampleScore]]]:
    async def evaluate(*_args: object, **_kw: object) -> list[SampleScore]:
        return scores

    return evaluate


def test_an_unknown_sample_is_one_line_and_exit_2() -> None:
    unknown = subprocess.run(
        [sys.executable, str(QUALITY), "--sample", "no-such-meeting"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "no-such-meeting" in unknown.stderr


def _env_without_llm() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI_", "OPENAI_", "MCEM_"))}


async def test_the_llm_engine_is_measured_through_the_configured_endpoint(stub: stubs.OpenAIStub) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(QUALITY),
        "--engine",
        "llm",
        "--sample",
        "contoso-manufacturing-call",
        cwd=ROOT,
        env=_env_without_llm() | stubs.azure_env(stub),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    assert stub.received, "the model endpoint was never called"
    rows = [m["name"] for line in out.decode().splitlines() if (m := _ROW.match(line))]
    assert rows == ["contoso-manufacturing-call"]
    assert "engine: llm" in out.decode()


def test_the_llm_engine_without_a_model_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, str(QUALITY), "--engine", "llm"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env_without_llm(),
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--engine llm needs a model" in result.stderr


def test_every_output_is_searched_as_the_reader_sees_it() -> None:
    sample = SAMPLES / "contoso-manufacturing-call.vtt"
    transcript = load_transcript(sample)
    draft = verify(OfflineAnalyzer().analyze_sync(transcript, MeetingContext()), transcript)
    planted = "Project Heron & Sons <starts> in May."
    summary = [f"{draft.executive_summary[0]} {planted}", *draft.executive_summary[1:]]
    texts = render(draft.model_copy(update={"executive_summary": summary})).texts
    # HTML and JSON escapes are undone, so a key names text, not markup.
    for output in ("markdown", "docx", "card", "email"):
        assert contains(texts[output], "Project Heron & Sons <starts>"), output
    assert contains(texts["json"], "Project Heron & Sons"), "json"
    assert "&amp;" not in texts["email"] and "<p" not in texts["email"]


def test_the_word_body_leaves_out_only_the_marked_box_of_confidential_asides() -> None:
    sample = SAMPLES / "contoso-manufacturing-call.vtt"
    transcript = load_transcript(sample)
    draft = verify(OfflineAnalyzer().analyze_sync(transcript, MeetingContext()), transcript)
    aside = Quote(
        text="Project Heron closes in May, keep this within this group.", speaker="Helen Whitaker", start=1.0
    )
    texts = render(draft.model_copy(update={"confidential": [aside]})).texts
    assert contains(texts["docx"], "Project Heron closes in May")
    assert not contains(texts["docx_body"], "Project Heron closes in May")
    # Everything else of the Word draft is still there, the summary table included.
    assert contains(texts["docx_body"], " ".join(draft.executive_summary[0].split()[:8]))
    assert contains(texts["docx_body"], "Customer Success Account Manager (CSAM)")
