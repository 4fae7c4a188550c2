"""The bot's state stores side by side: SQLite (one instance) and Azure Table Storage (several),
the latter against Azurite on 127.0.0.1, so the figures are the client's and the protocol's cost
without a network (add the round trip to the storage account's region in Azure).

Median and 95th percentile over ``--runs`` of each operation the bot does per turn or per
notification:

  claim      claim_transcript (a new id)                      once per notification
  status     set_transcript_status                             a few per automatic analysis
  chat       personal_chat (read)                              once per notification
  record     record_run                                        once per analysis
  latest     latest_run                                        a typed "refresh"
  lease      hold_lease (renewal by the holder)                every 40 s per instance
  race       two instances claim the same new id at once       (Azure only: one wins)

Goal: every operation well under 50 ms locally, so the state never shows next to a Graph call.

    .venv/bin/python benchmarks/state_backends.py [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.state import BotState, PersonalChat, RunRecord, open_state  # noqa: E402
from bot.state_azure import AzureTableState  # noqa: E402
from tests.support.azurite import start_azurite, stop_azurite  # noqa: E402

Step = Callable[[int], Awaitable[object]]


def steps(state: BotState) -> dict[str, Step]:
    def run(n: int) -> RunRecord:
        created = datetime(2026, 11, 25, tzinfo=UTC) + timedelta(seconds=n)
        return RunRecord(f"r-{n}", "m-1", "org-1", "u-1", "item", "https://x/doc.docx", created)

    return {
        "claim": lambda n: state.claim_transcript(f"t-{n}", "m-1", "org-1"),
        "status": lambda n: state.set_transcript_status(f"t-{n}", "delivered"),
        "chat": lambda n: state.personal_chat("u-1"),
        "record": lambda n: state.record_run(run(n)),
        "latest": lambda n: state.latest_run("u-1"),
        "lease": lambda n: state.hold_lease("subscription", "me", timedelta(minutes=2)),
    }


async def measure(state: BotState, runs: int) -> dict[str, list[float]]:
    await state.save_personal_chat(PersonalChat("u-1", "t-1", {"conversation": {"id": "a:1"}}, {}))
    timings: dict[str, list[float]] = {}
    for name, step in steps(state).items():
        timings[name] = []
        for n in range(runs):
            started = time.perf_counter()
            await step(n)
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


async def race(first: BotState, second: BotState, runs: int) -> tuple[list[float], int]:
    times, winners = [], 0
    for n in range(runs):
        tid = f"race-{n}"
        started = time.perf_counter()
        got = await asyncio.gather(
            first.claim_transcript(tid, "m", "o"), second.claim_transcript(tid, "m", "o")
        )
        times.append((time.perf_counter() - started) * 1000)
        winners += sum(got)
    return times, winners


def line(backend: str, name: str, values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
    return f"{backend:<7} {name:<8} median {statistics.median(values):7.2f} ms   p95 {p95:7.2f} ms"


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await open_state(Path(folder) / "bench.sqlite3")
        for name, values in (await measure(sqlite, runs)).items():
            print(line("sqlite", name, values))
        await sqlite.close()

        server = start_azurite(Path(folder) / "azurite")
        try:
            prefix = "bench" + uuid.uuid4().hex[:8]
            first = AzureTableState(connection_string=server.connection_string, prefix=prefix)
            second = AzureTableState(connection_string=server.connection_string, prefix=prefix)
            await first.start()
            await second.start()
            for name, values in (await measure(first, runs)).items():
                print(line("azure", name, values))
            times, winners = await race(first, second, runs)
            print(line("azure", "race", times) + f"   winners {winners}/{runs} (expected {runs})")
            await first.close()
            await second.close()
        finally:
            stop_azurite(server.process)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    asyncio.run(main(parser.parse_args().runs))
