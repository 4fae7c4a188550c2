"""How good the drafts are: every samples/<name>.vtt that has samples/<name>.key.json, scored against its key.

For each sample the engine analyses the transcript through the same pipeline as the CLI (analyse, then
verify), every output is rendered with the product's renderers (Markdown, Word, card, email, JSON), and
the script prints: fact recall, next-step recall (action + owner, and with the due date), forbidden hits
and where, meeting_kind and current_stage right or wrong, quotes kept and dropped by verification,
quotes shown more than once, and prose sentences that carry a tone score or a count of sentences.
Then one summary row per sample and the goals of issue 9.

Usage:  .venv/bin/python benchmarks/quality.py [--engine offline|llm] [--sample NAME] [--internal] [--check]
        (or `make eval`, `make eval EVAL_ARGS="--engine llm"`)

Exit code: 0 whenever it measured (it is a measurement, not a test); with --check, 1 when a goal is
missed; 2 for bad input (a broken key, an unconfigured LLM, an unknown sample).
The key format is described in benchmarks/qualitykit/key.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable as `benchmarks.*`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.qualitykit.key import AnswerKey, load_key
from benchmarks.qualitykit.outputs import render
from benchmarks.qualitykit.score import SampleScore, score
from mcem.analyzer import Analyzer
from mcem.context import MeetingContext
from mcem.errors import ConfigError, MCEMError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# issue 9, "Goals (measured by make eval, offline engine)"
FACT_RECALL_GOAL = 0.80
STEP_RECALL_GOAL = 0.80
STEP_DUE_RECALL_GOAL = 0.60


@dataclass(frozen=True)
class Sample:
    name: str
    transcript: Path
    key_path: Path


def find_samples(folder: Path = SAMPLES) -> tuple[list[Sample], list[str]]:
    """Samples with a key, and the names of transcripts that have none."""
    found, keyless = [], []
    for vtt in sorted(folder.glob("*.vtt")):
        key = vtt.with_name(vtt.stem + ".key.json")
        if key.is_file():
            found.append(Sample(vtt.stem, vtt, key))
        else:
            keyless.append(vtt.stem)
    return found, keyless


def context_for(key: AnswerKey, *, with_internal: bool) -> MeetingContext:
    """What the bot would know from Graph: when and what; the Microsoft side only when asked for."""
    internal = frozenset(key.meeting.internal) if with_internal else frozenset()
    return MeetingContext(subject=key.meeting.subject, start=key.meeting.date, internal_names=internal)


def make_analyzer(engine: str) -> Analyzer:
    from mcem.engines import analyzer_from_env

    return analyzer_from_env(os.environ, engine)


async def evaluate(samples: list[Sample], analyzer: Analyzer, *, with_internal: bool) -> list[SampleScore]:
    from mcem.parsing import load_transcript
    from mcem.pipeline import analyze

    scores = []
    for sample in samples:
        key = load_key(sample.key_path)
        analysis = await analyze(
            load_transcript(sample.transcript), context_for(key, with_internal=with_internal), analyzer
        )
        scores.append(score(sample.name, key, await asyncio.to_thread(render, analysis)))
    return scores


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} {100 * part / whole:3.0f}%" if whole else "  -   "


def shown(value: object) -> str:
    return "null" if value is None else str(value)


def details(s: SampleScore) -> list[str]:
    kind = "customer engagement" if s.is_customer else "no customer engagement"
    lines = [f"== {s.name} ({kind})"]
    missed = f"  missed: {', '.join(s.facts_missed)}" if s.facts_missed else ""
    lines.append(f"  facts           {pct(len(s.facts_found), s.facts_total)}{missed}")
    steps_missed = f"  missed: {', '.join(s.steps_missed)}" if s.steps_missed else ""
    lines.append(
        f"  next steps      action+owner {pct(s.steps_action_owner, s.steps_total)}, "
        f"with due {pct(s.steps_with_due, s.steps_total)}{steps_missed}"
    )
    if s.steps_unmatched:
        shown_steps = "; ".join(a[:60] for a in s.steps_unmatched[:6])
        more = f" and {len(s.steps_unmatched) - 6} more" if len(s.steps_unmatched) > 6 else ""
        lines.append(f"  extra steps     {len(s.steps_unmatched)} match no key step: {shown_steps}{more}")
    hits = "; ".join(f"{fid} in {out} ({hit!r})" for fid, out, hit in s.forbidden_hits)
    lines.append(f"  forbidden       {len(s.forbidden_hits)} hit(s)" + (f": {hits}" if hits else ""))
    lines.append(
        f"  meeting_kind    {'right' if s.kind_right else 'wrong'} "
        f"(expected {s.kind_expected}, got {shown(s.kind_found)})"
    )
    lines.append(
        f"  current_stage   {'right' if s.stage_right else 'wrong'} "
        f"(expected {shown(s.stage_expected)}, got {shown(s.stage_found)})"
    )
    lines.append(
        f"  quotes          {s.quotes_kept} kept, {s.quotes_dropped} dropped, {s.repeated_quotes} repeated"
    )
    lines.append(f"  stat sentences  {len(s.stat_sentences)}")
    lines += [f"    - {t[:140]}" for t in s.stat_sentences]
    return lines


HEADER = (
    f"{'sample':34} {'kind':5} {'stage':5} {'facts':>10} {'steps':>10} {'with due':>10} "
    f"{'forbid':>6} {'repeat':>6} {'stats':>5} {'quotes kept/dropped':>19}"
)


def row(s: SampleScore) -> str:
    return (
        f"{s.name:34} {'ok' if s.kind_right else 'WRONG':5} {'ok' if s.stage_right else 'WRONG':5} "
        f"{pct(len(s.facts_found), s.facts_total):>10} {pct(s.steps_action_owner, s.steps_total):>10} "
        f"{pct(s.steps_with_due, s.steps_total):>10} {len(s.forbidden_hits):>6} {s.repeated_quotes:>6} "
        f"{len(s.stat_sentences):>5} {f'{s.quotes_kept}/{s.quotes_dropped}':>19}"
    )


def missed_goals(scores: list[SampleScore]) -> list[str]:
    """Each goal of issue 9 a sample misses, as a line; empty when all are met."""
    out = []
    for s in scores:
        problems = []
        if not s.kind_right:
            problems.append("meeting_kind wrong")
        if not s.stage_right:
            problems.append("current_stage wrong")
        if s.forbidden_hits:
            problems.append(f"{len(s.forbidden_hits)} forbidden hit(s)")
        if s.repeated_quotes:
            problems.append(f"{s.repeated_quotes} repeated quote(s)")
        if s.stat_sentences:
            problems.append(f"{len(s.stat_sentences)} prose sentence(s) with statistics")
        if s.is_customer:
            if s.facts_total and len(s.facts_found) < FACT_RECALL_GOAL * s.facts_total:
                problems.append(f"fact recall below {FACT_RECALL_GOAL:.0%}")
            if s.steps_total and s.steps_action_owner < STEP_RECALL_GOAL * s.steps_total:
                problems.append(f"next-step recall below {STEP_RECALL_GOAL:.0%}")
            if s.steps_total and s.steps_with_due < STEP_DUE_RECALL_GOAL * s.steps_total:
                problems.append(f"next-step recall with due date below {STEP_DUE_RECALL_GOAL:.0%}")
        out += [f"{s.name}: {p}" for p in problems]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("offline", "llm"), default="offline")
    parser.add_argument("--sample", metavar="NAME", action="append", help="only this sample (repeatable)")
    parser.add_argument(
        "--internal", action="store_true", help="tell the engine the key's Microsoft-side speakers"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal of issue 9 is missed")
    args = parser.parse_args(argv)
    samples, keyless = find_samples()
    if args.sample:
        unknown = sorted(set(args.sample) - {s.name for s in samples})
        if unknown:
            print(
                f"quality: no sample with a key named {', '.join(unknown)}; see samples/*.key.json",
                file=sys.stderr,
            )
            return 2
        samples = [s for s in samples if s.name in args.sample]
    try:
        analyzer = make_analyzer(args.engine)
        scores = asyncio.run(evaluate(samples, analyzer, with_internal=args.internal))
    except (ValueError, ConfigError) as exc:
        print(f"quality: {exc}", file=sys.stderr)
        return 2
    except MCEMError as exc:
        print(f"quality: the {args.engine} engine failed: {exc}", file=sys.stderr)
        return 1
    for s in scores:
        print("\n".join(details(s)))
    print()
    print(f"engine: {args.engine}" + (", Microsoft side given (--internal)" if args.internal else ""))
    print(HEADER)
    for s in scores:
        print(row(s))
    for name in keyless:
        print(f"{name:34} (no answer key: not scored)")
    missed = missed_goals(scores)
    print()
    print("goals of issue 9: all met" if not missed else f"goals of issue 9 missed ({len(missed)}):")
    for line in missed:
        print(f"  - {line}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
