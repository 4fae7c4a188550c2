"""How long the offline analyzer and the verifier take, per transcript.

Runs each AMI meeting in samples/ami/, the bundled sample call, and synthetic one-hour and
three-hour meetings (the sample and the AMI files repeated with shifted times). Prints the median
of several runs. Usage: .venv/bin/python benchmarks/offline_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from mcem.context import MeetingContext
from mcem.model import Quote
from mcem.offline import OfflineAnalyzer
from mcem.offline.sentiment import compound
from mcem.parsing import load_transcript
from mcem.transcript import Transcript, Utterance
from mcem.verify import verify

ROOT = Path(__file__).resolve().parent.parent
AMI = ROOT / "samples" / "ami"


def stretched(parts: list[Transcript], seconds: float, name: str) -> Transcript:
    """The given meetings one after another, repeated until ``seconds`` long."""
    out: list[Utterance] = []
    offset = 0.0
    while offset < seconds:
        for t in parts:
            out += [
                u.model_copy(update={"start": u.start + offset, "end": u.end + offset}) for u in t.utterances
            ]
            offset += t.duration + 5
            if offset >= seconds:
                break
    return Transcript(utterances=tuple(out), source=name)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = sorted(AMI.glob("*.vtt")) + sorted((ROOT / "samples").glob("*.vtt"))
    loaded = {p.name: load_transcript(p) for p in files}
    cases = dict(loaded)
    parts = list(loaded.values())
    cases["synthetic-1h"] = stretched(parts, 3600, "synthetic-1h")
    cases["synthetic-3h"] = stretched(parts, 3 * 3600, "synthetic-3h")
    analyzer = OfflineAnalyzer()
    ctx = MeetingContext()
    analyzer.analyze_sync(parts[0], ctx)  # warm the lexicon and VADER caches once
    print(f"{'transcript':34} {'minutes':>7} {'words':>7} {'analyse ms':>11} {'verify ms':>10}")
    for name, t in cases.items():
        draft = analyzer.analyze_sync(t, ctx)
        # The sentence-score cache is cleared each run: every meeting is new in real use.
        a_ms = median_ms(lambda t=t: (compound.cache_clear(), analyzer.analyze_sync(t, ctx)), args.runs)
        v_ms = median_ms(lambda t=t, d=draft: verify(d, t), args.runs)
        print(f"{name:34} {t.duration / 60:7.1f} {t.word_count:7d} {a_ms:11.1f} {v_ms:10.1f}")
    # The verifier's worst case: quotes that are not in the transcript go through the fuzzy search.
    long = cases["synthetic-3h"]
    draft = analyzer.analyze_sync(long, ctx)
    fake = [
        Quote(text=f"We would like to expand the partnership to {n} new regions next year.", speaker="X")
        for n in range(25)
    ]
    first = draft.stages[0].model_copy(update={"quotes": fake})
    bad = draft.model_copy(update={"stages": [first, *draft.stages[1:]]})
    ms = median_ms(lambda: verify(bad, long), args.runs)
    print(f"verify, 25 made-up quotes, synthetic-3h: {ms:.1f} ms")


if __name__ == "__main__":
    main()
