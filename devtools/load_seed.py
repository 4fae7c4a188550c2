"""The Graph emulator seeded for load: the demo tenant plus ``users`` account-team members, each the
organiser of their own copy of the bundled sample call (ended two hours ago, transcript published).

Each load user's meeting has its own subject, so their drafts land under distinct file names.

    python -m devtools.load_seed --users 50 --port 0   # prints the emulator's address
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aiohttp import web

from graph.emulator.app import create_app
from graph.emulator.seed import INTERNAL_DOMAIN, SeedData, SeedUser, build_seed

__all__ = ["load_seed", "load_user_id", "main"]


def load_user_id(n: int) -> str:
    """The Entra object id of load user ``n`` (0-based)."""
    return f"10000000-0000-0000-0000-{n:012d}"


def load_seed(users: int, now: datetime | None = None) -> SeedData:
    seed = build_seed(now)
    sample = next((m for m in seed.meetings if m.key == "sample"), None)
    if sample is None:
        raise SystemExit("the load seed needs the bundled sample call in samples/")
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    for n in range(users):
        mail = f"load{n:02d}@{INTERNAL_DOMAIN}"
        user = SeedUser(load_user_id(n), f"Load User {n:02d}", mail, "Account Executive")
        seed.users[user.id] = user
        start = now - timedelta(hours=2, minutes=40)
        meeting = replace(
            sample,
            key=f"load-{n}",
            subject=f"{sample.subject} {n:02d}",
            start=start,
            end=start + timedelta(minutes=35),
            attendees=[*sample.attendees],
            calendars=[user.id],
        )
        meeting.organizer_id = sample.organizer_id
        seed.meetings.append(meeting)
        # The user attends rather than organises: the organiser's copy stays the sample's.
        meeting.attendees.append(type(sample.organizer)(user.name, user.mail))
    return seed


async def _serve(users: int, port: int) -> None:
    runner = web.AppRunner(create_app(lambda: load_seed(users)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    bound = runner.addresses[0][1]
    print(f"Graph emulator on http://127.0.0.1:{bound}/v1.0 ({users} load users)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.load_seed", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.users, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
