"""Talk time and listening: measured from cue timings, carried by the model, shown by the renderers
(Word, card and Markdown)."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from pathlib import Path

import docx
import pytest

from mcem.context import MeetingContext
from mcem.llm.schema import analysis_schema
from mcem.model import Person, Side, Stage
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript, parse_transcript
from mcem.pipeline import analyze
from mcem.render import common as c
from mcem.render.card import summary_card
from mcem.render.chart import COLOURS, WIDTH, talk_chart_png
from mcem.render.docx import to_docx
from mcem.render.docx_reader import analysis_from_docx
from mcem.render.markdown import to_markdown
from mcem.talk import measure, with_talk
from tests.support.analyses import make

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

# Priya (Microsoft) talks for 40 s in three cues in a row, Marcus introduces himself as the partner,
# Helen (customer) answers for 10 s and asks one question.
CALL = """WEBVTT

00:00:00.000 --> 00:00:10.000
<v Priya Raman>Hello everyone, I'm Priya from Microsoft. What keeps you up at night?</v>

00:00:10.000 --> 00:00:25.000
<v Priya Raman>Let me tell you about our roadmap in some detail.</v>

00:00:25.000 --> 00:00:40.000
<v Priya Raman>And there is much more to say about it. Isn't there?</v>

00:00:40.000 --> 00:00:45.000
<v Marcus Lee>I'm Marcus from Adatum Consulting, the Microsoft partner on this project.</v>

00:00:45.000 --> 00:00:55.000
<v Helen Whitaker>Reporting is our problem. Can you help with that?</v>
"""

PEOPLE = (
    Person(name="Priya Raman", side=Side.internal),
    Person(name="Marcus Lee", side=Side.internal),
    Person(name="Helen Whitaker", side=Side.customer),
)


def _analysis(stage: Stage | None = Stage.listen_consult, people: tuple[Person, ...] = PEOPLE):
    base = make()
    details = base.details.model_copy(update={"attendees": list(people)})
    return base.model_copy(update={"details": details, "current_stage": stage})


def _call():
    return parse_transcript(CALL.encode(), "call.vtt")


def test_shares_questions_and_monologue_come_from_the_cue_timings() -> None:
    talk = measure(_call(), _analysis())
    assert talk is not None and talk.basis == "time"
    by = {s.side: s for s in talk.sides}
    assert [s.side for s in talk.sides] == ["microsoft", "partner", "customer"]
    assert by["microsoft"].seconds == 40.0 and by["partner"].seconds == 5.0 and by["customer"].seconds == 10.0
    assert by["microsoft"].share == pytest.approx(40 / 55, abs=1e-4)
    assert sum(s.share for s in talk.sides) == pytest.approx(1.0, abs=1e-3)
    assert by["partner"].label == "Adatum Consulting" and by["customer"].label == "Contoso"
    assert (by["microsoft"].questions, by["customer"].questions, by["partner"].questions) == (2, 1, 0)
    # Teams' three cues of one turn are one monologue of 40 s, not three of 10-15 s.
    m = talk.longest_monologue
    assert m is not None and (m.speaker, m.side, m.start, m.seconds) == (
        "Priya Raman",
        "microsoft",
        0.0,
        40.0,
    )


def test_listen_and_consult_call_that_microsoft_talked_through_is_flagged() -> None:
    assert measure(_call(), _analysis(Stage.listen_consult)).listen_flag is True
    # The same talk at a later stage is no listening failure.
    assert measure(_call(), _analysis(Stage.realize_value)).listen_flag is False
    # Nor when the customer spoke most.
    quiet = CALL.replace("00:00:45.000 --> 00:00:55.000", "00:00:45.000 --> 00:02:55.000")
    talk = measure(parse_transcript(quiet.encode(), "call.vtt"), _analysis(Stage.listen_consult))
    assert talk is not None and talk.listen_flag is False


def test_flag_reaches_the_word_draft_and_the_card() -> None:
    analysis = with_talk(_analysis(), _call())
    flag = c.listen_flag_text(analysis.talk)
    assert flag.startswith(c.LISTEN_FLAG) and "(73%)" in flag
    document = docx.Document(io.BytesIO(to_docx(analysis)))
    texts = [p.text for p in document.paragraphs]
    assert flag in texts and c.TALK_LABEL in texts
    assert "■ Microsoft — 73% of the talk time (0:40), 2 questions" in texts
    images = [r for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == 1 and images[0].target_part.blob == talk_chart_png(analysis.talk)
    card = str(summary_card(analysis, None))
    assert flag in card and "Talk time: Microsoft 73% · Adatum Consulting 9% · Contoso 18%" in card
    assert "questions: Microsoft 2, Contoso 1" in card

    md = to_markdown(analysis)
    assert f"**{flag}**" in md and "- Microsoft — 73% of the talk time (0:40), 2 questions" in md

    calm = with_talk(_analysis(Stage.realize_value), _call())
    assert c.TALK_LABEL in to_markdown(calm) and c.LISTEN_FLAG not in to_markdown(calm)
    assert c.LISTEN_FLAG not in str(summary_card(calm, None))
    assert not any(c.LISTEN_FLAG in p.text for p in docx.Document(io.BytesIO(to_docx(calm))).paragraphs)


def test_chart_bars_are_as_long_as_the_shares() -> None:
    talk = measure(_call(), _analysis())
    png = talk_chart_png(talk)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == WIDTH
    pixels = _decode(png, width, height)
    for i, side in enumerate(talk.sides):
        row = pixels[10 + i * 40 + 14]  # the middle of bar i
        coloured = sum(1 for px in row if px == COLOURS[side.side])
        assert coloured == pytest.approx((WIDTH - 2 * 10 - 64) * side.share, abs=1.5)


def _decode(png: bytes, width: int, height: int) -> list[list[tuple[int, int, int]]]:
    pos, data = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = 1 + width * 3
    rows = []
    for r in range(height):
        line = raw[r * stride : (r + 1) * stride]
        assert line[0] == 0  # filter "None", as written
        rows.append([tuple(line[1 + x * 3 : 4 + x * 3]) for x in range(width)])
    return rows


def test_a_transcript_without_times_is_counted_in_words_and_says_so() -> None:
    plain = parse_transcript(b"Priya Raman: one two three four\nHelen Whitaker: five six\n", "call.txt")
    talk = measure(plain, _analysis())
    assert talk is not None and talk.basis == "words" and talk.longest_monologue is not None
    assert [(s.side, s.words, s.share) for s in talk.sides] == [
        ("microsoft", 4, 0.6667),
        ("customer", 2, 0.3333),
    ]
    assert c.talk_basis_note(talk) and "Share of words" in c.talk_line(talk)


def test_only_unattributed_speech_gives_no_talk_time() -> None:
    unknown = parse_transcript(
        b"WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n<v Unknown>hello there</v>\n", "x.vtt"
    )
    assert measure(unknown, _analysis()) is None


def test_the_language_model_is_never_asked_for_talk_time() -> None:
    assert "talk" not in analysis_schema()["properties"]


def test_refresh_from_the_edited_draft_keeps_the_measured_talk_time() -> None:
    analysis = with_talk(_analysis(), _call())
    assert analysis_from_docx(to_docx(analysis), analysis).talk == analysis.talk


@pytest.mark.parametrize(
    ("name", "internal", "customer_share"),
    [
        ("contoso-manufacturing-call.vtt", "", (0.7, 0.8)),
        ("ami/ami-IS1000a.vtt", "Dana Whitfield", (0.4, 0.5)),
    ],
)
def test_samples_through_the_pipeline(name: str, internal: str, customer_share: tuple[float, float]) -> None:
    transcript = load_transcript(SAMPLES / name)
    context = MeetingContext(internal_names=frozenset({internal} if internal else set()))
    analysis = asyncio.run(analyze(transcript, context, OfflineAnalyzer()))
    talk = analysis.talk
    assert talk is not None and talk.basis == "time"
    customer = talk.side("customer")
    assert customer is not None and customer_share[0] < customer.share < customer_share[1]
    assert sum(s.seconds for s in talk.sides) == pytest.approx(
        sum(u.end - u.start for u in transcript.utterances), abs=0.5
    )
    # Questions Microsoft asked against the customer's, as the transcript has them.
    asked = sum(u.text.count("?") for u in transcript.utterances)
    assert sum(s.questions for s in talk.sides) <= asked and talk.side("microsoft").questions > 0
