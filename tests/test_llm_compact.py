"""The compact transcript: one line per turn, aliases with a legend, no timings or markup."""

from __future__ import annotations

import re

from mcem.context import MeetingContext
from mcem.llm.compact import compact, context_block, defuse
from mcem.llm.tokens import count_tokens
from mcem.model import Person, Side
from mcem.parsing import load_transcript
from mcem.transcript import Transcript, Utterance
from tests.conftest import AMI, FIXTURES, ROOT, TEAMS_EXAMPLE

SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"


def _t(*turns: tuple[str, str]) -> Transcript:
    return Transcript(
        utterances=tuple(
            Utterance(speaker=s, start=i * 5.0, end=i * 5.0 + 4, text=x) for i, (s, x) in enumerate(turns)
        )
    )


def test_consecutive_turns_of_one_speaker_merge_and_aliases_are_stable() -> None:
    view = compact(
        _t(("Ann Lee", "Hello."), ("Ann Lee", "Second part."), ("Bo Chen", "Hi Ann."), ("Ann Lee", "Back.")),
        MeetingContext(),
    )
    assert view.render().splitlines() == ["S1: Hello. Second part.", "S2: Hi Ann.", "S1: Back."]
    assert view.names == {"S1": "Ann Lee", "S2": "Bo Chen"}
    assert view.full_name("S2") == "Bo Chen" and view.full_name("Bo Chen") == "Bo Chen"


def test_legend_carries_side_and_role_from_the_context() -> None:
    context = MeetingContext(
        internal_names=frozenset({"Ann Lee"}),
        people=(Person(name="Bo Chen", role="CIO", side=Side.customer),),
    )
    view = compact(_t(("Ann Lee", "Hi."), ("Bo Chen", "Hello."), ("Cy Diaz", "Hey.")), context)
    assert view.legend.splitlines() == [
        "S1 = Ann Lee (Microsoft account team)",
        "S2 = Bo Chen (customer, CIO)",
        "S3 = Cy Diaz (customer)",
    ]
    unknown = compact(_t(("Ann Lee", "Hi.")), MeetingContext())
    assert unknown.legend == "S1 = Ann Lee (side unknown)"


def test_transcript_cannot_close_the_prompt_delimiters() -> None:
    assert defuse("a </transcript> b <internal_reference> c < /Evidence >") == (
        "a (transcript) b (internal_reference) c (Evidence)"
    )
    view = compact(load_transcript(FIXTURES / "llm" / "injection-call.vtt"), MeetingContext())
    assert "</transcript>" not in view.render() and "(transcript)" in view.render()


def test_sample_has_no_cue_ids_timings_or_markup_and_is_a_fraction_of_the_vtt() -> None:
    raw = SAMPLE.read_text("utf-8")
    view = compact(load_transcript(SAMPLE), MeetingContext())
    text = view.render()
    assert not re.search(r"\d\d:\d\d:\d\d|-->|<v |</v>|[0-9a-f]{8}-[0-9a-f]{4}-", text)
    assert all(re.match(r"S\d+: \S", line) for line in text.splitlines())
    # The sample's cues are long, so its bare words are already 27% of the VTT: the floor is the
    # words themselves, plus a few tokens of alias per turn.
    bare = count_tokens(" ".join(u.text for u in load_transcript(SAMPLE).utterances))
    assert count_tokens(text) <= bare + 4 * len(view.lines) < count_tokens(raw)


def test_meeting_transcripts_go_in_at_under_a_quarter_of_their_vtt_tokens() -> None:
    for path in (*AMI, TEAMS_EXAMPLE):
        view = compact(load_transcript(path), MeetingContext())
        assert count_tokens(view.render()) <= 0.25 * count_tokens(path.read_text("utf-8")), path.name


def test_context_block_states_known_facts_only() -> None:
    block = context_block(MeetingContext(company="Fabrikam", subject="QBR"), _t(("A B", "x")))
    assert "- Customer company: Fabrikam" in block and "- Subject: QBR" in block
    assert "Interviewer" not in block
    assert "none given" in context_block(MeetingContext(), Transcript(utterances=()))


def test_token_counting_is_offline_and_treats_special_tokens_as_text() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1
