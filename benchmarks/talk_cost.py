"""What talk time adds to an offline analysis: measuring it, drawing the chart, the bigger .docx.

For the bundled sample, each AMI meeting and a synthetic three-hour meeting, prints the median of
several runs, in milliseconds, of ``measure`` (talk time from the cue timings), ``talk_chart_png``
and the Word section that shows them (chart included) added to a fresh document; their sum is what
`mcem analyze` pays per run (the chart needs no plotting library, so there is no import to pay).
Whole ``to_docx`` runs are not compared: on a busy machine their spread is far larger than the section.
The section is printed as median and best run: with other work on the cores a 2 ms step often
takes 10-20 ms (descheduled), and the best run is what the work itself costs.
Usage: .venv/bin/python benchmarks/talk_cost.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from docx import Document

from mcem.context import MeetingContext
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.pipeline import finish
from mcem.render.chart import talk_chart_png
from mcem.render.docx import _talk  # the section alone: a whole document's spread would hide it
from mcem.talk import measure
from mcem.transcript import Transcript, Utterance

ROOT = Path(__file__).resolve().parent.parent


def timed_ms(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed_ms(fn, runs))


def three_hours(t: Transcript) -> Transcript:
    out: list[Utterance] = []
    offset = 0.0
    while offset < 3 * 3600:
        out += [u.model_copy(update={"start": u.start + offset, "end": u.end + offset}) for u in t.utterances]
        offset += t.duration + 5
    return Transcript(utterances=tuple(out), source="three-hours")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sample = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    meetings = [sample, *(load_transcript(p) for p in sorted((ROOT / "samples" / "ami").glob("*.vtt")))]
    meetings.append(three_hours(sample))
    print(f"{'meeting':34} {'measure':>8} {'chart':>7} {'section':>8} {'best':>6} {'added':>7}  (ms, median)")
    for t in meetings:
        analysis = finish(OfflineAnalyzer().analyze_sync(t, MeetingContext()), t)
        assert analysis.talk is not None
        talk = analysis.talk
        m = median_ms(lambda t=t, a=analysis: measure(t, a), args.runs)
        chart = median_ms(lambda k=talk: talk_chart_png(k), args.runs)
        docs = [Document() for _ in range(args.runs)]
        runs = timed_ms(lambda d=docs, k=talk: _talk(d.pop(), k), args.runs)
        section = statistics.median(runs)
        print(f"{t.source[:34]:34} {m:8.2f} {chart:7.2f} {section:8.2f} {min(runs):6.2f} {m + section:7.2f}")


if __name__ == "__main__":
    main()
