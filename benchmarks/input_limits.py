"""What hostile input costs now: time and memory until each zip bomb or oversized file is refused.

Builds the inputs of issue 10 item 3 in memory — the 190 MB docx bomb (before: 213 s and 4.3 GB), a
docx over 100 times its size, a bomb whose headers lie about its size, 50,001 empty paragraphs —
and times the refusal through parse_transcript (what the CLI and the bot call) and
analysis_from_docx (Refresh and Email). Prints the median of --runs, the peak of Python's traced
memory, and the one-line message.

Run: .venv/bin/python benchmarks/input_limits.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcem.errors import MCEMError  # noqa: E402
from mcem.parsing import parse_transcript  # noqa: E402
from mcem.render.docx_reader import analysis_from_docx  # noqa: E402
from tests.security.bombs import docx_bomb, docx_with_paragraphs, lying_docx_bomb  # noqa: E402

MB = 1024 * 1024


def _measure(call: Callable[[], object], runs: int) -> tuple[float, float, str]:
    times: list[float] = []
    message = "accepted"
    for _ in range(runs):
        started = time.perf_counter()
        try:
            call()
        except MCEMError as err:
            message = str(err)
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    with contextlib.suppress(MCEMError):
        call()
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return statistics.median(times), peak, message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    inputs = {
        "docx bomb, 190 MB unpacked": docx_bomb(190 * MB),
        "docx 8 MB unpacked, >100x": docx_bomb(8 * MB),
        "docx lying: 300 MB as 4 KB": lying_docx_bomb(300 * MB),
        "docx 50,001 paragraphs": docx_with_paragraphs(50_001),
    }
    print(f"{'input':<30} {'on disk':>9}  {'reader':<10} {'median ms':>10} {'peak MB':>8}  message")
    for name, data in inputs.items():
        readers: dict[str, Callable[[], object]] = {
            "transcript": lambda d=data: parse_transcript(d, "input.docx"),
            "draft": lambda d=data: analysis_from_docx(d),
        }
        for reader, call in readers.items():
            ms, peak, message = _measure(call, runs)
            size = f"{len(data) / 1024:>6.0f} KB"
            print(f"{name:<30} {size}  {reader:<10} {ms:>10.1f} {peak:>8.1f}  {message[:80]}")


if __name__ == "__main__":
    main()
