"""The Teams bot demo: Graph emulator + bot + Microsoft 365 Agents Playground, all on 127.0.0.1.

    python scripts/demo.py            start everything, print the URL to open, stop on Ctrl-C
    python scripts/demo.py --check    run the journey once through the Playground's API, exit 0/1

Everything runs offline (the offline analyzer, the local Graph emulator); nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import docx

from devtools.devstack import ROOT, DevStack, DevStackError
from devtools.playground_client import PlaygroundClient, card_of

TITLE = "Interview Analysis –"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="run the journey headlessly once and exit")
    parser.add_argument("--port", type=int, default=56150, help="Playground port (default 56150)")
    parser.add_argument("--bot-port", type=int, default=3978, help="bot port (default 3978)")
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".demo", help="logs and Playground files")
    args = parser.parse_args(argv)

    if not args.check:
        for flag, port in (("--port", args.port), ("--bot-port", args.bot_port)):
            if port and _in_use(port):
                print(
                    f"demo: port {port} on 127.0.0.1 is already in use (another demo still running?): "
                    f"stop that program or pass {flag} with a free port",
                    file=sys.stderr,
                )
                return 2
    # The fixed ports are for people; a check run (CI) takes free ones so it never collides.
    stack = DevStack(
        args.run_dir,
        bot_port=0 if args.check else args.bot_port,
        playground_port=0 if args.check else args.port,
    )
    signal.signal(signal.SIGTERM, _stop)
    try:
        with stack:
            if args.check:
                return asyncio.run(check(stack))
            return wait(stack)
    except DevStackError as err:
        print(f"demo: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped the Playground, the bot and the Graph emulator.")
        return 0


def _auto_analysis_hint(stack: DevStack) -> str:
    """A curl line that makes the emulator announce a new transcript of a meeting Alex organised."""
    from graph.emulator.seed import DEMO_USER_ID, build_seed

    meeting = next(
        (m for m in build_seed().meetings if m.organizer_id == DEMO_USER_ID and m.vtt is not None),
        None,
    )
    if meeting is None:
        return ""
    emulator = stack.graph_base_url.removesuffix("/v1.0")
    return (
        "\n  Automatic analysis after a call: say help to the bot first, then announce a new transcript:\n"
        f"    curl -X POST {emulator}/_emulator/transcripts -H 'Content-Type: application/json' \\\n"
        f'         -d \'{{"meeting_id": "{meeting.meeting_id}"}}\'\n'
        "  and the summary card arrives in the personal chat unprompted.\n"
    )


def _in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait(stack: DevStack) -> int:
    print(
        f"""
  Microsoft 365 Agents Playground:  http://localhost:{stack.playground_port}
  Bot endpoint:                     {stack.bot_endpoint}  (anonymous local mode)
  Graph emulator:                   {stack.graph_base_url}
  Logs:                             {stack.run_dir}

  Open the Playground URL in a browser and type:   analyze last meeting
  Also try:  meetings   ·   analyze Litware   ·   help
{_auto_analysis_hint(stack)}
  Ctrl-C stops everything.
""",
        flush=True,
    )
    while True:
        time.sleep(3600)


async def check(stack: DevStack) -> int:
    """The demo journey once: analyze last meeting -> progress card -> summary -> .docx."""
    started = time.monotonic()
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        await pg.send(chat, "analyze last meeting")
        try:
            async with asyncio.timeout(90):
                first = await pg.next_message()
                progress_at = time.monotonic() - started
                final = await pg.next_message(
                    lambda m: m.message_id == first.message_id and TITLE in str(card_of(m) or "")
                )
        except TimeoutError:
            print("demo check FAILED: no summary card within 90 s\n" + stack.logs(), file=sys.stderr)
            return 1
    summary_at = time.monotonic() - started
    card = card_of(final) or {}
    urls = [a["url"] for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]
    if not urls:
        print("demo check FAILED: the summary card has no document link", file=sys.stderr)
        return 1
    async with aiohttp.ClientSession() as http, http.get(urls[0]) as response:
        content = await response.read()
        status = response.status
    try:
        title = docx.Document(io.BytesIO(content)).paragraphs[0].text
    except Exception as err:  # a broken download is the failure being checked for
        print(f"demo check FAILED: the document link gave no Word file ({status}, {err})", file=sys.stderr)
        return 1
    print(f"progress card after {progress_at:.2f} s (first bot message: {first.action})")
    print(f"summary card after  {summary_at:.2f} s, replacing the same message {final.message_id}")
    print(f"document: {urls[0]}")
    print(f"          {len(content):,} bytes, Word title: {title}")
    print("demo check OK")
    return 0


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


if __name__ == "__main__":
    sys.exit(main())
