"""Many analyses at once: how fast the bot acknowledges, how long the cards take, how much it does per
second, how long its event loop stalls and how much memory it takes.

Starts the Graph emulator seeded with load users (devtools/load_seed.py) and the bot (``python -m bot``,
anonymous local mode, offline analyzer, SQLite state in a temporary folder) as subprocesses through the
dev stack (devtools/devstack.py, without the Playground), and a Bot Connector stand-in
(devtools/connector.py) in this process. For each N in --levels, N distinct users send
``analyze last meeting`` at the same moment; a thread GETs /api/health every 20 ms throughout. Each level
runs --rounds times (after one unmeasured warm-up analysis) and the table gives the median of the rounds:

  ack p50/p95/p99  ms from POSTing the message to the bot's HTTP answer
  first card       ms from POSTing to the progress card reaching the connector (median, max)
  summary          s from POSTing to the summary card (median, max)
  analyses/s       N / seconds from the first POST to the last summary card
  lag p50/p99/max  ms round trip of the health GETs while the level ran (event-loop lag)
  cpu              cores' worth of CPU the bot and its children used while the level ran
  cpu s/analysis   CPU seconds per analysis (less sensitive to a shared machine than the rates):
                   the bot and its workers together, its event-loop process alone, its workers
                   alone; and the harness: the Graph emulator, this process (load + connector)
  peak RSS         MiB, the most the bot and its children held together (sampled every 50 ms)

    .venv/bin/python benchmarks/load.py [--levels 1,10,25,50] [--rounds 3]

The machine may be shared: the figures of one invocation are medians of its rounds; compare runs made
one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.connector import Arrival, BotConnector  # noqa: E402
from devtools.devstack import DevStack, DevStackError  # noqa: E402
from devtools.load_seed import load_user_id  # noqa: E402
from graph.emulator.seed import PLAYGROUND_TENANT_ID  # noqa: E402

BOT = {"id": "28:bot-id", "name": "MCEM"}
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Level:
    n: int
    acks: list[float] = field(default_factory=list)  # ms
    first: list[float] = field(default_factory=list)  # ms
    summary: list[float] = field(default_factory=list)  # s
    rate: float = 0.0
    lag: list[float] = field(default_factory=list)  # ms
    cpu: float = 0.0
    rss: float = 0.0  # MiB
    failed: int = 0
    # CPU seconds per analysis: the bot's process, its workers (children), the emulator, this process
    per: dict[str, float] = field(default_factory=dict)


# -- processes -------------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with suppress(OSError), open(f"/proc/{entry.name}/stat", "rb") as fh:
            stat = fh.read().rsplit(b")", 1)[1].split()
            parents.setdefault(int(stat[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def _stat(pid: int) -> tuple[float, float, float]:
    """(resident MiB, own CPU seconds, CPU seconds of its reaped children) of ``pid``."""
    with suppress(OSError), open(f"/proc/{pid}/stat", "rb") as fh:
        stat = fh.read().rsplit(b")", 1)[1].split()
        # after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14) ... rss(21)
        own = (int(stat[11]) + int(stat[12])) / TICKS
        return int(stat[21]) * PAGE / 2**20, own, (int(stat[13]) + int(stat[14])) / TICKS
    return 0.0, 0.0, 0.0


def _usage(pid: int, tree: list[int] | None = None) -> tuple[float, float]:
    """(resident MiB, CPU seconds) of ``pid`` and its descendants (living, and reaped by them);
    ``tree``: those processes' ids when already known (``_tree`` reads every process's stat)."""
    rss = cpu = 0.0
    for p in tree if tree is not None else _tree(pid):
        mib, own, reaped = _stat(p)
        rss += mib
        cpu += own + reaped
    return rss, cpu


def _cpu_parts(bot: int, emulator: int) -> dict[str, float]:
    """CPU seconds so far of the bot's own process, its descendants, the emulator and this process."""
    _, own, _ = _stat(bot)
    _, everything = _usage(bot)
    times = os.times()
    return {
        "loop": own,
        "workers": everything - own,
        "emulator": _usage(emulator)[1],
        "harness": times.user + times.system,
    }


class Sampler(threading.Thread):
    """Health GETs every 20 ms (their round trip is the loop's lag) and the bot's RSS every 50 ms."""

    def __init__(self, port: int, pid: int) -> None:
        super().__init__(daemon=True)
        self._port, self._pid = port, pid
        self._stop = threading.Event()
        self.lag: list[float] = []
        self.peak = 0.0

    def reset(self) -> None:
        self.lag, self.peak = [], 0.0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
        next_rss = next_tree = 0.0
        tree: list[int] = []
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", "/api/health")
                conn.getresponse().read()
                self.lag.append((time.perf_counter() - started) * 1000)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
            if started >= next_rss:
                # The bot's processes are looked up once a second, not at every sample: finding them
                # reads every process's stat, CPU this machine's bot would otherwise have had.
                if started >= next_tree:
                    tree, next_tree = _tree(self._pid), started + 1.0
                self.peak = max(self.peak, _usage(self._pid, tree)[0])
                next_rss = started + 0.05
            self._stop.wait(max(0.0, 0.02 - (time.perf_counter() - started)))
        conn.close()

    def stop(self) -> None:
        self._stop.set()


# -- one level ---------------------------------------------------------------------------------------


def _activity(user: int, conversation: str, connector: BotConnector) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"in-{conversation}",
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "from": {"id": f"29:load-{user}", "name": f"Load User {user:02d}", "aadObjectId": load_user_id(user)},
        "recipient": BOT,
        "conversation": {
            "id": conversation,
            "conversationType": "personal",
            "tenantId": PLAYGROUND_TENANT_ID,
        },
        "channelData": {"tenant": {"id": PLAYGROUND_TENANT_ID}},
        "text": "analyze last meeting",
        "textFormat": "plain",
        "locale": "en-US",
    }


def _kind(card: dict[str, Any] | None) -> str:
    if card is None:
        return "text"
    for action in card.get("actions") or []:
        if action.get("verb") == "regenerate":
            return "summary"
    text = repr(card.get("body"))
    return "progress" if "Working on your analysis" in text else "error"


def _finished(arrivals: list[Arrival]) -> bool:
    return any(_kind(a.card) in ("summary", "error", "text") for a in arrivals if a.kind == "update") or any(
        _kind(a.card) in ("error", "text") for a in arrivals if a.kind == "post"
    )


async def run_level(
    n: int,
    tag: str,
    bot_url: str,
    connector: BotConnector,
    sampler: Sampler,
    pids: tuple[int, int],
    limit: float,
) -> Level:
    conversations = [f"load-{tag}-{i}" for i in range(n)]
    for i, conversation in enumerate(conversations):
        connector.members[conversation] = [
            {
                "id": f"29:load-{i}",
                "name": f"Load User {i:02d}",
                "aadObjectId": load_user_id(i),
                "tenantId": PLAYGROUND_TENANT_ID,
                "userRole": "user",
            }
        ]
    level = Level(n)
    bot_pid = pids[0]
    _, cpu_before = _usage(bot_pid)
    parts_before = _cpu_parts(*pids)
    sampler.reset()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http_session:

        async def send(i: int) -> float:
            started = time.perf_counter()
            async with http_session.post(
                bot_url + "/api/messages", json=_activity(i, conversations[i], connector)
            ) as resp:
                await resp.read()
                if resp.status not in (200, 201, 202):
                    raise SystemExit(f"the bot answered {resp.status} to message {i}")
            level.acks.append((time.perf_counter() - started) * 1000)
            return started

        started_all = time.perf_counter()
        starts = await asyncio.gather(*(send(i) for i in range(n)))
        async with asyncio.timeout(limit):
            await connector.wait_for(lambda: all(_finished(connector.arrivals[c]) for c in conversations))
    ended = max(a.at for c in conversations for a in connector.arrivals[c])
    _, cpu_after = _usage(bot_pid)
    parts_after = _cpu_parts(*pids)
    level.per = {k: (parts_after[k] - parts_before[k]) / n for k in parts_after}
    level.per["bot"] = level.per["loop"] + level.per["workers"]
    level.lag = list(sampler.lag)
    level.rss = sampler.peak
    level.cpu = (cpu_after - cpu_before) / (ended - started_all)
    level.rate = n / (ended - started_all)
    for started, conversation in zip(starts, conversations, strict=True):
        arrivals = connector.arrivals[conversation]
        level.first.append((arrivals[0].at - started) * 1000)
        last = arrivals[-1]
        if _kind(last.card) == "summary":
            level.summary.append(last.at - started)
        else:
            level.failed += 1
    return level


# -- report --------------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _row(rounds: list[Level]) -> dict[str, float]:
    def med(f: Any) -> float:
        return statistics.median(f(r) for r in rounds)

    return {
        "ack50": med(lambda r: _pct(r.acks, 50)),
        "ack95": med(lambda r: _pct(r.acks, 95)),
        "ack99": med(lambda r: _pct(r.acks, 99)),
        "first50": med(lambda r: _pct(r.first, 50)),
        "firstmax": med(lambda r: max(r.first)),
        "sum50": med(lambda r: _pct(r.summary, 50)),
        "summax": med(lambda r: max(r.summary, default=float("nan"))),
        "rate": med(lambda r: r.rate),
        "lag50": med(lambda r: _pct(r.lag, 50)),
        "lag99": med(lambda r: _pct(r.lag, 99)),
        "lagmax": med(lambda r: max(r.lag, default=float("nan"))),
        "cpu": med(lambda r: r.cpu),
        "rss": med(lambda r: r.rss),
        "failed": max(r.failed for r in rounds),
    } | {f"per_{k}": med(lambda r, k=k: r.per[k]) for k in ("bot", "loop", "workers", "emulator", "harness")}


def _print(levels: dict[int, list[Level]], idle: list[float], rss_peak: float) -> None:
    print(f"idle loop lag: p50 {_pct(idle, 50):.1f} ms, p99 {_pct(idle, 99):.1f} ms ({len(idle)} GETs)")
    header = (
        "    N | ack p50  p95  p99 ms | first card p50 max ms | summary p50 max s | analyses/s"
        " | lag p50  p99  max ms | cpu  | peak RSS MiB | failed"
    )
    print(header)
    print("-" * len(header))
    for n, rounds in levels.items():
        r = _row(rounds)
        print(
            f"{n:5d} | {r['ack50']:7.1f} {r['ack95']:4.0f} {r['ack99']:4.0f}    |"
            f" {r['first50']:14.0f} {r['firstmax']:5.0f}    | {r['sum50']:11.2f} {r['summax']:5.2f} |"
            f" {r['rate']:10.2f} | {r['lag50']:7.1f} {r['lag99']:4.0f} {r['lagmax']:4.0f}    |"
            f" {r['cpu']:4.2f} | {r['rss']:12.0f} | {r['failed']:6.0f}"
        )
    print(f"peak RSS over the whole run (bot and its children): {rss_peak:.0f} MiB")
    print("CPU seconds per analysis | bot = loop + workers | emulator | harness")
    for n, rounds in levels.items():
        r = _row(rounds)
        print(
            f"{n:5d} | {r['per_bot']:6.3f} = {r['per_loop']:5.3f} + {r['per_workers']:5.3f} |"
            f" {r['per_emulator']:8.3f} | {r['per_harness']:7.3f}"
        )


# -- main -----------------------------------------------------------------------------------------------


async def main(levels: list[int], rounds: int, workers: str | None, limit: float) -> None:
    users = max(levels)
    settings = {"MCEM_LOG_LEVEL": "WARNING"} | ({"MCEM_WORKERS": workers} if workers is not None else {})
    with tempfile.TemporaryDirectory(prefix="mcem-load-") as folder:
        # The demo's stack without the Playground or the transcript subscription: only what a user's
        # "analyze" costs is measured.
        stack = DevStack(
            Path(folder),
            playground=False,
            auto_analyze=False,
            emulator=("devtools.load_seed", "--users", str(users)),
            bot_env=settings,
        )
        connector = BotConnector()
        await connector.start()
        try:
            try:
                await asyncio.to_thread(stack.start)
            except DevStackError as err:
                raise SystemExit(f"{err}\n{stack.logs()}") from None
            port, pid = stack.bot_port, stack.pid("bot")
            pids = (pid, stack.pid("graph-emulator"))
            bot_url = f"http://127.0.0.1:{port}"
            await _wait_health(bot_url)
            sampler = Sampler(port, pid)
            sampler.start()
            await asyncio.sleep(2)  # the bot warms up (Graph models) in the background after start
            idle = list(sampler.lag)
            warm = await run_level(1, "warm", bot_url, connector, sampler, pids, limit)
            if warm.failed:
                raise SystemExit(f"the warm-up analysis failed; the logs:\n{stack.logs()}")
            results: dict[int, list[Level]] = {n: [] for n in levels}
            overall_peak = sampler.peak
            for r in range(rounds):
                for n in levels:
                    level = await run_level(n, f"{r}-{n}", bot_url, connector, sampler, pids, limit)
                    overall_peak = max(overall_peak, level.rss)
                    results[n].append(level)
                    print(
                        f"round {r + 1} N={n}: ack p99 {_pct(level.acks, 99):.0f} ms, "
                        f"{level.rate:.2f} analyses/s, lag p99 {_pct(level.lag, 99):.0f} ms, "
                        f"RSS {level.rss:.0f} MiB, failed {level.failed}, "
                        f"CPU s/analysis bot {level.per['bot']:.3f} (loop {level.per['loop']:.3f}) "
                        f"emulator {level.per['emulator']:.3f} harness {level.per['harness']:.3f}",
                        file=sys.stderr,
                        flush=True,
                    )
                    await asyncio.sleep(1)
            sampler.stop()
            print(f"{os.cpu_count()} cores; medians of {rounds} rounds; offline analyzer", end="")
            print(f"; MCEM_WORKERS={workers}" if workers is not None else "")
            _print(results, idle, overall_peak)
        finally:
            await connector.close()
            await asyncio.to_thread(stack.stop)


async def _wait_health(url: str) -> None:
    async with aiohttp.ClientSession() as http_session:
        for _ in range(200):
            with suppress(aiohttp.ClientError):
                async with http_session.get(url + "/api/health") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise SystemExit("the bot's /api/health did not answer")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,25,50", help="messages sent at once, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default=None, help="MCEM_WORKERS for the bot (default: its own)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one level may take")
    args = parser.parse_args()
    asyncio.run(main([int(x) for x in args.levels.split(",")], args.rounds, args.workers, args.timeout))
