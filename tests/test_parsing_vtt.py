"""Teams WebVTT: two AMI meetings (samples/ami), a published Teams example, one fixture per quirk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcem.errors import TranscriptError
from mcem.parsing import UNKNOWN_SPEAKER, load_transcript, parse_transcript
from mcem.transcript import Transcript
from tests.conftest import AMI_DIR, FIXTURES, ROOT, TEAMS_EXAMPLE

HERE = FIXTURES / "transcripts"
_GROUP = re.compile(r"^(\S+/\d+)-\d+$", re.MULTILINE)


def _groups(path: Path) -> int:
    return len(set(_GROUP.findall(path.read_text("utf-8"))))


def _rows(transcript: Transcript) -> list[tuple[str, float, float, str]]:
    return [(u.speaker, u.start, u.end, u.text) for u in transcript.utterances]


def _no_markup(transcript: Transcript) -> None:
    for u in transcript.utterances:
        assert not re.search(r"</?v\b|&#?\w+;|-->", u.text), u.text
        assert u.text == " ".join(u.text.split())
        assert u.end >= u.start


# --- the real files -------------------------------------------------------------------------


def test_ami_es2002a() -> None:
    path = AMI_DIR / "ami-ES2002a.vtt"
    t = load_transcript(path)
    assert t.source == "ami-ES2002a.vtt"
    assert len(t.utterances) == _groups(path) == 256
    assert t.speakers == ["Dana Whitfield", "Priya Raman", "Ken O'Brien", "Tomás Ferreira"]
    first, last = t.utterances[0], t.utterances[-1]
    # Parts 7-0 and 7-1 merged: first part's start, last part's end, text joined.
    assert (first.speaker, first.start, first.end) == ("Dana Whitfield", 1.0, 19.8)
    assert first.text == (
        "Okay Right Um well this is the kick-off meeting for our our project. Um and um this is "
        "just what we're gonna be doing over the next twenty five minutes. Um so first of all, "
        "just to kind of make sure that we all know each other,"
    )
    assert _rows(t)[-1] == ("Ken O'Brien", 1167.674, 1168.274, "Cool.")
    assert last.end == t.duration
    _no_markup(t)


def test_ami_is1000a() -> None:
    path = AMI_DIR / "ami-IS1000a.vtt"
    t = load_transcript(path)
    assert len(t.utterances) == _groups(path) == 372
    assert set(t.speakers) == {"Tomás Ferreira", "Ken O'Brien", "Dana Whitfield", "Priya Raman"}
    assert _rows(t)[0] == ("Tomás Ferreira", 1.0, 1.6, "Okay.")
    assert _rows(t)[2] == (
        "Tomás Ferreira",
        4.511,
        13.311,
        "No I don't think so it has to be like that yeah and you have to adjust the length. Okay, and then.",
    )
    assert _rows(t)[-1] == ("Dana Whitfield", 1343.696, 1345.696, "K keep it in mind.")
    _no_markup(t)


def test_teams_format_example() -> None:
    path = TEAMS_EXAMPLE
    t = load_transcript(path)
    assert len(t.utterances) == _groups(path) == 9
    assert t.speakers == ["Sarah Chen", "Emily Watson", "James Kim", "Lisa Patel", "Mike Rodriguez"]
    assert _rows(t)[0] == (
        "Sarah Chen",
        0.0,
        7.2,
        "Welcome to the Morning Coffee Chat! Today we're discussing vacation planning for summer.",
    )
    assert _rows(t)[-1] == (
        "Sarah Chen",
        63.4,
        70.0,
        "Thanks for joining us on the Morning Coffee Chat! See you next week when we talk about "
        "home organization tips.",
    )
    _no_markup(t)


def test_repo_sample_call() -> None:
    path = ROOT / "samples" / "contoso-manufacturing-call.vtt"
    t = load_transcript(path)
    assert len(t.utterances) == _groups(path)
    assert {"Sofia Farías", "Daniel O'Neil", "Tomás Herrera"} <= set(t.speakers)
    _no_markup(t)


def test_bytes_from_graph_equal_file() -> None:
    path = AMI_DIR / "ami-IS1000a.vtt"
    from_bytes = parse_transcript(path.read_bytes(), "meeting-42", content_type="text/vtt")
    assert from_bytes.utterances == load_transcript(path).utterances
    assert from_bytes.source == "meeting-42"


# --- Teams quirks, one fixture each ---------------------------------------------------------


def test_bom_header_text_note_style_and_crlf() -> None:
    data = (HERE / "header_variants.vtt").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfWEBVTT - ") and b"\r\n" in data
    t = load_transcript(HERE / "header_variants.vtt")
    assert _rows(t) == [
        ("Ana Farías", 1.0, 4.0, "Thanks for joining, everyone."),
        ("Ben Okafor", 4.5, 6.0, "Glad to be here."),
    ]


def test_voice_spans_that_wrap_or_never_close() -> None:
    t = load_transcript(HERE / "wrapped_voices.vtt")
    assert _rows(t) == [
        (
            "Ana Farías",
            0.0,
            9.12,
            "We moved the plant scheduling to the new system in March, and the first weeks were "
            "honestly rough for the night shift.",
        ),
        ("Ben Okafor", 9.5, 12.0, "What made it rough?"),
        ("Ana Farías", 12.2, 15.0, "Nobody trained them on the exceptions screen"),
    ]


def test_entities_decoded_and_other_tags_removed() -> None:
    t = load_transcript(HERE / "entities_tags.vtt")
    assert _rows(t) == [
        ("Sofía Farías", 1.0, 3.0, "R&D signed off — finally."),
        ("Ken O'Brien", 3.5, 6.0, "We <really> need the pilot numbers and Vorsprung."),
        ("Ana Farías", 6.5, 8.0, "It's on track."),
    ]


def test_unknown_speaker_and_cues_without_voice() -> None:
    t = load_transcript(HERE / "unknown_speaker.vtt")
    assert UNKNOWN_SPEAKER == "Unknown speaker"
    assert _rows(t) == [
        ("Unknown speaker", 1.0, 4.0, "Can everyone hear me?"),
        # 8-1 has no voice span: it belongs to utterance 8, so it keeps Ana as speaker.
        ("Ana Farías", 4.5, 9.0, "Yes, loud and clear. Let me share my screen first."),
        # 11-0 has no voice span and no earlier part: nobody to attribute it to.
        ("Unknown speaker", 9.5, 11.0, "Is the screen visible?"),
    ]


def test_timestamp_forms_settings_and_bad_ranges() -> None:
    t = load_transcript(HERE / "timestamps.vtt")
    assert [(u.start, u.end) for u in t.utterances] == [
        (0.0, 5.32),  # 0:0:0.0 --> 0:0:5.320, with cue settings after it
        (6.09, 6.5),  # Teams' unpadded milliseconds: 6.90 is 6.090 s
        (7.25, 9.0),  # mm:ss.mmm
        (3723.004, 3725.5),  # h:mm:ss past the first hour
        (0.0, 0.8),  # negative offset (transcription began mid-call) clamps to 0
        (600.0, 600.0),  # end before start: end = start
    ]
    assert t.utterances[0].text == "Old Teams times have no padding."


def test_parts_of_one_utterance_merge_across_an_overlapping_cue() -> None:
    t = load_transcript(HERE / "overlap_parts.vtt")
    assert _rows(t) == [
        ("Ana Farías", 10.0, 18.0, "The budget for the pilot is approved but only through the end of June."),
        ("Ben Okafor", 12.5, 13.2, "Great."),
    ]


def test_same_speaker_cues_without_ids_stay_separate() -> None:
    t = load_transcript(HERE / "no_ids_same_speaker.vtt")
    assert _rows(t) == [
        ("Ana Farías", 1.0, 3.0, "First point."),
        ("Ana Farías", 3.1, 5.0, "Second point."),
        ("Ben Okafor", 5.5, 7.0, "Noted."),
    ]


def test_name_prefix_captions_when_there_are_no_voice_spans() -> None:
    t = load_transcript(HERE / "name_prefix.vtt")
    assert _rows(t) == [
        ("Ana Farías", 1.0, 3.0, "Welcome to the call."),
        ("Ben Okafor", 3.5, 6.0, "Thanks. Let us look at the numbers."),
        ("Ana Farías", 6.5, 8.0, "Sure."),
    ]


def test_multiple_voices_in_one_cue_are_separate_utterances() -> None:
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana>Ready?</v> <v Ben>Yes.</v>\n"
    t = parse_transcript(data, "two.vtt")
    assert _rows(t) == [("Ana", 1.0, 2.0, "Ready?"), ("Ben", 1.0, 2.0, "Yes.")]


def test_headerless_vtt_with_voice_spans_is_still_vtt() -> None:
    data = b"00:00:01.000 --> 00:00:02.000\n<v Ana Far&#237;as>Hi.</v>\n"
    assert _rows(parse_transcript(data, "pasted.txt")) == [("Ana Farías", 1.0, 2.0, "Hi.")]


# --- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no_voices.vtt", "no speaker names found — export the transcript from Teams with speaker"),
        ("header_only.vtt", "the WebVTT file has no cues"),
        (
            "bad_timing.vtt",
            "cue 2 (line 8) has an unreadable time line ('00:00:0x.000 --> 00:00:05.000'); 1 of 2",
        ),
    ],
)
def test_refused_vtt(name: str, expected: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        load_transcript(HERE / name)
    assert caught.value.source == name
    assert expected in caught.value.problem
    assert "\n" not in str(caught.value)


def test_cue_right_after_the_header_line() -> None:
    data = b"WEBVTT\n00:00:01.000 --> 00:00:02.000\n<v Ana>Hi.</v>\n"
    assert _rows(parse_transcript(data, "tight.vtt")) == [("Ana", 1.0, 2.0, "Hi.")]


def test_a_meeting_where_teams_attributed_nobody_is_still_read() -> None:
    # Voice spans exist, so the file is a transcript; the analysis just has no names to use.
    data = (
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v UNKNOWN SPEAKER>Hi.</v>\n\n"
        b"00:00:03.000 --> 00:00:04.000\n<v Unknown Speaker>Hello.</v>\n\n"
        b"00:00:05.000 --> 00:00:06.000\n<v>Anyone?</v>\n"
    )
    t = parse_transcript(data, "anon.vtt")
    assert t.speakers == ["Unknown speaker"]
    assert [u.text for u in t.utterances] == ["Hi.", "Hello.", "Anyone?"]


def test_stray_blank_line_inside_a_cue_keeps_the_text() -> None:
    data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana>First half\n\nsecond half.</v>\n"
    assert _rows(parse_transcript(data, "gap.vtt")) == [("Ana", 1.0, 2.0, "First half second half.")]


def test_content_type_vtt_reads_headerless_cues() -> None:
    data = (
        b"00:00:01.000 --> 00:00:02.000\nAna Far\xc3\xadas: Hi.\n\n00:00:03.000 --> 00:00:04.000\nBen: Yo.\n"
    )
    t = parse_transcript(data, "graph-content", content_type="text/vtt; charset=utf-8")
    assert _rows(t) == [("Ana Farías", 1.0, 2.0, "Hi."), ("Ben", 3.0, 4.0, "Yo.")]


# --- forgiving where Teams is not the author ----------------------------------------------------


def _vtt(times: list[str]) -> bytes:
    """A Teams-shaped file with one cue per time line, speakers taking turns."""
    cues = [
        f"c0ffee00-1111-2222-3333-444455556666/{i}-0\n{time}\n<v {('Ana Farías', 'Ben Okafor')[i % 2]}>"
        f"Point number {i} about the rollout.</v>"
        for i, time in enumerate(times, 1)
    ]
    return ("WEBVTT\n\n" + "\n\n".join(cues) + "\n").encode("utf-8")


def _times(count: int) -> list[str]:
    return [f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 1:02d}.500" for i in range(count)]


def test_sixty_seconds_is_the_next_minute() -> None:
    t = parse_transcript(_vtt(["00:11:60.000 --> 00:12:02.500", "00:59:60.250 --> 01:00:01.000"]), "c.vtt")
    assert [(u.start, u.end) for u in t.utterances] == [(720.0, 722.5), (3600.25, 3601.0)]
    assert t.skipped == ()


def test_one_unreadable_time_line_skips_that_cue_only_and_names_it() -> None:
    times = _times(12)
    times[3] = "00:00:0x.000 --> 00:00:07.500"  # cue 4
    t = parse_transcript(_vtt(times), "converted.vtt")
    texts = [u.text for u in t.utterances]
    assert len(texts) == 11 and "Point number 4 about the rollout." not in texts
    assert texts[3] == "Point number 5 about the rollout."
    # Cue 4's time line is line 3 + 4 * 3 + 1 = 16 of the file (header, blank, then 4-line cues).
    assert t.skipped == (
        "cue 4 (line 16) skipped: its time line '00:00:0x.000 --> 00:00:07.500' cannot be read",
    )
    assert _vtt(times).decode().split("\n")[15] == times[3]


def test_a_stray_text_block_after_a_skipped_cue_goes_with_it() -> None:
    data = _vtt(["00:00:01.000 --> 00:00:02.000", "00:00:61.000 --> 00:00:62.000", *_times(10)[2:]])
    data = data.replace(b"Point number 2 about the rollout.</v>", b"Point number 2</v>\n\nstill cue two")
    t = parse_transcript(data, "stray.vtt")
    assert len(t.skipped) == 1 and "cue 2 " in t.skipped[0]
    assert not any("cue two" in u.text or "number 2" in u.text for u in t.utterances)


def test_ninety_percent_readable_is_enough_and_less_is_refused() -> None:
    times = _times(10)
    times[4] = "garbage --> 00:00:09.500"
    assert len(parse_transcript(_vtt(times), "ok.vtt").skipped) == 1  # 9 of 10 cues readable
    times[6] = "00:00:12.000 --> "
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(_vtt(times), "damaged.vtt")  # 8 of 10
    assert caught.value.problem.startswith(
        "cue 5 (line 20) has an unreadable time line ('garbage --> 00:00:09.500')"
    )
    assert "2 of 10 cues cannot be read" in caught.value.problem
    assert "\n" not in str(caught.value)
