"""LLM analyzer: tokens sent vs raw VTT, and end-to-end time vs the model's own latency.

For each transcript in samples/ami/ and samples/, plus a ~3-hour meeting made by joining
them, run the real LLMAnalyzer (real openai client, real HTTP) against the local stand-in answering
after a fixed latency, and print:

  raw      tokens of the .vtt file as Teams delivers it (o200k_base)
  sent     tokens of the transcript as the model receives it (compact lines), and its share of raw
  request  every message token of every call (instructions + transcript or evidence), all calls
  calls    model calls (1, or parts + 1 synthesis for long meetings)
  time     end-to-end seconds; "x lat" is time / latency; "overhead" is time beyond the model's own
           time on the critical path (1 latency for one call, 2 for map -> reduce), as a share of it

Goals: sent <= 25% of raw on the AMI meetings; overhead <= 5%; 3-hour meeting <= 2.2 x latency.

    .venv/bin/python benchmarks/llm_tokens_latency.py [--latency 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcem.context import MeetingContext  # noqa: E402
from mcem.llm import LLMAnalyzer, llm_settings_from_env  # noqa: E402
from mcem.llm.schema import analysis_schema  # noqa: E402
from mcem.llm.tokens import count_tokens  # noqa: E402
from mcem.parsing import load_transcript  # noqa: E402
from mcem.transcript import Transcript, Utterance  # noqa: E402
from tests.stubs.openai_stub import API_KEY  # noqa: E402

AMI = ROOT / "samples" / "ami"
THREE_HOURS = 3 * 3600


def sources() -> list[Path]:
    return sorted(AMI.glob("*.vtt")) + sorted((ROOT / "samples").glob("*.vtt"))


def joined(paths: list[Path]) -> tuple[Transcript, int]:
    """Meetings back to back until three hours, with their raw VTT token total."""
    utterances: list[Utterance] = []
    offset, raw = 0.0, 0
    while offset < THREE_HOURS:
        for path in paths:
            t = load_transcript(path)
            if not t.utterances:
                continue
            raw += count_tokens(path.read_text("utf-8"))
            for u in t.utterances:
                utterances.append(u.model_copy(update={"start": u.start + offset, "end": u.end + offset}))
            offset += t.duration + 60
            if offset >= THREE_HOURS:
                break
    return Transcript(utterances=tuple(utterances), source="joined-3h"), raw


async def measure(analyzer: LLMAnalyzer, transcript: Transcript, latency: float) -> dict[str, float]:
    started = time.perf_counter()
    await analyzer.analyze(transcript, MeetingContext())
    elapsed = time.perf_counter() - started
    stats = analyzer.last_stats
    critical = latency * (1 if stats.calls == 1 else 2)
    return {
        "sent": stats.transcript_tokens,
        "request": stats.tokens_sent,
        "calls": stats.calls,
        "time": elapsed,
        "x": elapsed / latency,
        "overhead": (elapsed - critical) / critical,
    }


async def start_stand_in(latency: float) -> tuple[asyncio.subprocess.Process, str]:
    """The stand-in in its own process, so its request checking never competes with the client."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.stubs.openai_stub", "--port", str(port), "--latency", str(latency),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    await asyncio.wait_for(process.stdout.readline(), 30)  # "OpenAI stub on ..." once it listens
    return process, f"http://127.0.0.1:{port}"


async def main(latency: float) -> None:
    process, endpoint = await start_stand_in(latency)
    env = {
        "AZURE_OPENAI_ENDPOINT": endpoint,
        "AZURE_OPENAI_DEPLOYMENT": "bench",
        "AZURE_OPENAI_API_KEY": API_KEY,
    }
    settings = llm_settings_from_env(env)
    assert settings is not None
    # One analyzer (one client) for every run, as the bot builds it once at start-up.
    analyzer = LLMAnalyzer(settings)
    rows: list[tuple[str, int, dict[str, float]]] = []
    try:
        # The first run of each path pays one-time costs (tokenizer, schemas, prompts, TLS context);
        # shown separately, then every row is a warm run, as in the long-lived bot.
        long, long_raw = joined(sources())
        started = time.perf_counter()
        await measure(analyzer, load_transcript(sources()[0]), latency)
        cold = time.perf_counter() - started - latency
        started = time.perf_counter()
        await measure(analyzer, long, latency)
        cold_long = time.perf_counter() - started - 2 * latency
        for path in sources():
            raw = count_tokens(path.read_text("utf-8"))
            rows.append((path.name, raw, await measure(analyzer, load_transcript(path), latency)))
        label = f"joined ({long.duration / 3600:.1f} h)"
        rows.append((label, long_raw, await measure(analyzer, long, latency)))
    finally:
        await analyzer.aclose()
        process.terminate()
        await process.wait()
    schema_tokens = count_tokens(json.dumps(analysis_schema()))
    print(f"stand-in latency {latency:g} s per call; response schema: {schema_tokens} tokens per call")
    print(
        f"first run in a fresh process: +{cold * 1000:.0f} ms one call, "
        f"+{cold_long * 1000:.0f} ms first long meeting "
        "(one-time costs, not in the table)"
    )
    head = (
        f"{'transcript':<32}{'raw':>8}{'sent':>8}{'sent%':>7}{'request':>9}{'calls':>6}"
        f"{'time s':>8}{'x lat':>7}{'overhead':>10}"
    )
    print(head)
    print("-" * len(head))
    for name, raw, m in rows:
        print(
            f"{name:<32}{raw:>8}{m['sent']:>8.0f}{m['sent'] / raw:>7.1%}{m['request']:>9.0f}"
            f"{m['calls']:>6.0f}{m['time']:>8.2f}{m['x']:>7.2f}{m['overhead']:>10.1%}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="LLM analyzer tokens and latency against the local stand-in")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds the stand-in waits per call")
    asyncio.run(main(parser.parse_args().latency))
