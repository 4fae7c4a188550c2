"""How long the account brief takes for an account with 20 calls, once the sidecars are read.

Analyses the three seeded Contoso calls (samples/contoso-account/) offline, then writes 20 sidecars
into a temporary account folder (the three calls again and again, a week apart, as 20 calls of one
account would be), then times, separately:
  read     reading and validating the 20 ``*.analysis.json`` sidecars from disk
  brief    AccountHistory + Markdown + the Word brief + the Teams card (what ``mcem account`` and the
           bot do after reading) — the goal is < 1 s
Prints the median and the slowest of --runs for each, the card's size and the brief's size.
--marks: every next step of every call marked done by a person (as the summary email's "Next steps
done" in Outlook does), a week after its call: the most marks an account can carry.

Run: .venv/bin/python benchmarks/account_brief.py [--calls 20] [--runs 5] [--marks]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcem.account.history import CallSource, StepMark, account_history  # noqa: E402
from mcem.account.sidecars import call_stem, read_account_folder  # noqa: E402
from mcem.render.account_docx import account_docx  # noqa: E402
from mcem.render.account_markdown import account_markdown  # noqa: E402
from mcem.render.card import card_bytes  # noqa: E402
from mcem.render.card.account import account_card  # noqa: E402
from tests.support.accounts import contoso_analyses  # noqa: E402

GOAL_SECONDS = 1.0


def _write_sidecars(folder: Path, calls: int) -> None:
    seeded = contoso_analyses()
    first = seeded[0].details.date_time
    assert first is not None
    for k in range(calls):
        a = seeded[k % len(seeded)]
        when = first + timedelta(days=7 * k)
        subject = f"{a.details.subject} ({k + 1})"
        dated = a.model_copy(
            update={"details": a.details.model_copy(update={"date_time": when, "subject": subject})}
        )
        (folder / f"{call_stem(when, subject)}.analysis.json").write_text(
            dated.model_dump_json(indent=2), "utf-8"
        )


def _marked(source: CallSource) -> CallSource:
    when = source.analysis.details.date_time
    assert when is not None
    marks = [
        StepMark(step=k, by="Sofia Farías", at=when + timedelta(days=7))
        for k in range(len(source.analysis.next_steps))
    ]
    return replace(source, marks=marks)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--marks", action="store_true", help="every next step marked done by a person")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Contoso"
        folder.mkdir()
        _write_sidecars(folder, args.calls)
        reads, briefs = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            sources = read_account_folder(folder)
            if args.marks:
                sources = [_marked(s) for s in sources]
            read_done = time.perf_counter()
            history = account_history("Contoso", sources)
            markdown = account_markdown(history)
            brief = account_docx(history)
            card = account_card(history, "https://contoso.sharepoint.com/Account%20brief.docx")
            finished = time.perf_counter()
            reads.append(read_done - started)
            briefs.append(finished - read_done)
    median = statistics.median(briefs)
    ms = 1000
    marked = ", every next step marked done" if args.marks else ""
    print(f"account with {args.calls} calls, {args.runs} runs{marked}")
    print(
        f"  read sidecars : median {statistics.median(reads) * ms:7.1f} ms, slowest {max(reads) * ms:7.1f} ms"
    )
    print(
        f"  brief         : median {median * ms:7.1f} ms, slowest {max(briefs) * ms:7.1f} ms (goal < 1000 ms)"
    )
    print(
        f"  outputs       : card {card_bytes(card)} bytes, Word brief {len(brief)} bytes,"
        f" Markdown {len(markdown)} chars"
    )
    print(f"  next steps    : {len(history.closed)} done, {len(history.open)} open")
    print("  goal met" if median < GOAL_SECONDS else "  GOAL MISSED")
    return 0 if median < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
