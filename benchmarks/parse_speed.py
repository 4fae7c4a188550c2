"""How fast a three-hour Teams meeting is parsed.

Builds a ~3 h Teams WebVTT by repeating the AMI meetings in samples/ami/ with shifted
times and fresh utterance ids, then times mcem.parsing.parse_transcript on it (and on the same
meeting as a newer-layout Teams .docx). Prints size, best/median time and utterances per second.

Run: .venv/bin/python benchmarks/parse_speed.py [--hours 3] [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import docx

from mcem.parsing import parse_transcript
from mcem.transcript import Transcript, format_timestamp

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "samples" / "ami"

_TIMING = re.compile(r"^(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})", re.MULTILINE)
_CUE_ID = re.compile(r"^[0-9a-f-]{36}(/\d+-\d+)$", re.MULTILINE)


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def build_vtt(hours: float, min_bytes: int = 0) -> tuple[bytes, int]:
    """The joined VTT (at least ``hours`` long and ``min_bytes`` big) and its utterance-group count."""
    bodies = [path.read_text("utf-8").split("\n", 1)[1] for path in sorted(SOURCES.glob("*.vtt"))]
    out = ["WEBVTT\n"]
    offset = 0.0
    groups = 0
    size = 0
    while offset < hours * 3600 or size < min_bytes:
        for body in bodies:
            guid = str(uuid.uuid4())
            last_end = 0.0

            def shift(match: re.Match[str], base: float = offset) -> str:
                nonlocal last_end
                start = _seconds(*match.group(1, 2, 3, 4)) + base
                end = _seconds(*match.group(5, 6, 7, 8)) + base
                last_end = max(last_end, end)
                return f"{_clock(start)} --> {_clock(end)}"

            copy = _TIMING.sub(shift, body)
            copy = _CUE_ID.sub(lambda match, g=guid: g + match.group(1), copy)
            groups += len(set(re.findall(rf"^{guid}/(\d+)-", copy, re.MULTILINE)))
            out.append(copy)
            size += len(copy)
            offset = last_end + 5.0
            if offset >= hours * 3600 and size >= min_bytes:
                break
    return "\n".join(out).encode("utf-8"), groups


def build_docx(transcript: Transcript) -> bytes:
    document = docx.Document()
    document.add_paragraph("Benchmark meeting-Meeting Transcript")
    for utterance in transcript.utterances:
        document.add_paragraph(f"{utterance.speaker}   {format_timestamp(utterance.start)}")
        document.add_paragraph(utterance.text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def measure(label: str, parse: Callable[[], Transcript], size: int, runs: int) -> Transcript:
    times: list[float] = []
    result = parse()  # warm-up: imports, regex compilation
    for _ in range(runs):
        began = time.perf_counter()
        result = parse()
        times.append(time.perf_counter() - began)
    best, median = min(times), statistics.median(times)
    count = len(result.utterances)
    print(
        f"{label:<22} {size / 1e6:6.2f} MB  {count:6d} utterances  "
        f"best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms  {count / median:10.0f} utterances/s"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    data, groups = build_vtt(args.hours)
    transcript = measure("Teams VTT", lambda: parse_transcript(data, "bench.vtt"), len(data), args.runs)
    assert len(transcript.utterances) == groups, "merged utterances must equal the cue-id groups"
    print(f"{'':<22} meeting length {format_timestamp(transcript.duration)}, {transcript.word_count} words")
    # Real Teams output splits speech into more, shorter cues: a 3 h meeting is about 2 MB.
    dense, dense_groups = build_vtt(args.hours, min_bytes=2_000_000)
    dense_transcript = measure(
        "Teams VTT, 2 MB", lambda: parse_transcript(dense, "dense.vtt"), len(dense), args.runs
    )
    assert len(dense_transcript.utterances) == dense_groups
    docx_data = build_docx(transcript)
    measure(
        "Teams .docx (newer)", lambda: parse_transcript(docx_data, "bench.docx"), len(docx_data), args.runs
    )


if __name__ == "__main__":
    main()
