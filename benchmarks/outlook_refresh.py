"""The Outlook card's refresh: how long the bot takes to answer when a recipient opens the summary email.

Outlook waits about two seconds for a refreshed card when a mail is opened and keeps the card it has
after that (Microsoft Learn, "Refresh an actionable message when the user opens it"); the bot's own
budget is MCEM_OUTLOOK_DEADLINE_SECONDS (1.8 s). This measures, against the Graph emulator through the
real msgraph-sdk and the real bot app over HTTP on 127.0.0.1, median and p90 over ``--runs`` of:

  refresh   POST of the Outlook-channel invoke (an internal attendee's automatic refresh) to the
            bot's answer: who attended (Graph), the draft from SharePoint, read back, the 1.4 card
  refused   the same for someone who did not attend: Graph's answer and the no-access card
  done      a "Next steps done" click: the same as refresh plus the mark written to SQLite

The draft is the render fixture (tests/fixtures/render/analysis.json) stored in the emulator's
library as the run of the seeded sample call.

    .venv/bin/python benchmarks/outlook_refresh.py [--runs 30]

The machine may be shared: run it three times and compare the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.app import STATE  # noqa: E402
from bot.app import create_app as create_bot  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import settings_from_env  # noqa: E402
from bot.state import RunRecord  # noqa: E402
from graph.client import make_graph_client  # noqa: E402
from graph.credentials import StaticTokenCredential  # noqa: E402
from graph.documents import GraphDocuments  # noqa: E402
from graph.emulator import create_app as create_emulator  # noqa: E402
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID, INTERNAL_DOMAIN  # noqa: E402
from graph.emulator.state import STATE as EMULATOR_STATE  # noqa: E402
from graph.mail import GraphMail  # noqa: E402
from graph.meetings import GraphMeetings  # noqa: E402
from mcem.engines import analyzer_from_env  # noqa: E402
from mcem.model import Analysis  # noqa: E402
from mcem.render.docx import to_docx  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "render" / "analysis.json"
ORIGINATOR = "c9b4352b-a76b-43b9-88ff-80edddaa243b"
BUDGET_S = 1.8
BOT = {"id": "28:bot-id", "name": "MCEM"}


def invoke(user: Any, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": "outlook-1",
        "channelId": "outlook",
        "serviceUrl": "http://127.0.0.1:9/",  # anonymous local mode: loopback; nothing is sent there
        "from": {"id": f"outlook-{user.id[-2:]}", "name": user.name, "aadObjectId": user.id},
        "recipient": BOT,
        "conversation": {"id": "outlook-mail-1"},
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "automatic"},
    }


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def line(name: str, samples: list[float]) -> str:
    p90 = sorted(samples)[int(len(samples) * 0.9)]
    median = statistics.median(samples)
    verdict = "within" if p90 < BUDGET_S else "OVER"
    figures = f"median {median * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"
    return f"  {name:8} {figures}   ({verdict} the {BUDGET_S} s budget)"


async def main(runs: int) -> None:
    emulator = create_emulator()
    emulator_runner, emulator_url = await start(emulator)
    seed = emulator[EMULATOR_STATE].seed
    people = {u.name: u for u in seed.users.values()}
    [sample] = [m for m in seed.meetings if m.key == "sample"]
    client = make_graph_client(StaticTokenCredential(), base_url=emulator_url + "/v1.0")
    documents = GraphDocuments(client, DRIVE_ID)
    services = Services(
        meetings=GraphMeetings(client),
        documents=documents,
        analyzer=analyzer_from_env({}),
        graph=client,
        mail=GraphMail(client, tenant_domains=[INTERNAL_DOMAIN]),
    )
    env = {
        "MCEM_STATE_PATH": ":memory:",
        "MCEM_OUTLOOK_ORIGINATOR": ORIGINATOR,
        "MCEM_OUTLOOK_DEADLINE_SECONDS": "30",  # measure the work, not the cut-off
        "MCEM_WORKERS": "0",
    }
    bot = create_bot(settings_from_env(env), services)
    bot_runner, bot_url = await start(bot)
    try:
        analysis = Analysis.model_validate_json(FIXTURE.read_text("utf-8"))
        stored = await documents.upload("Contoso", "Contoso engagement review.docx", to_docx(analysis))
        run = RunRecord(
            "bench-run", sample.meeting_id, sample.organizer_id, DEMO_USER_ID,
            stored.item_id, stored.web_url, datetime.now(UTC),
        )  # fmt: skip
        await bot[STATE].record_run(run)
        data = {"run_id": run.run_id}
        cases = {
            "refresh": invoke(people["Sofia Farías"], "outlookRefresh", data),
            "refused": invoke(people["Megan Bowen"], "outlookRefresh", data),
            "done": invoke(people["Daniel O'Neil"], "nextStepsDone", data | {"done_steps": "0"}),
        }
        async with aiohttp.ClientSession() as http:

            async def answer(activity: dict[str, Any]) -> dict[str, Any]:
                async with http.post(bot_url + "/api/messages", json=activity) as response:
                    body: dict[str, Any] = await response.json()
                    return body

            print(f"Outlook card answers, {runs} runs each (emulated Graph on 127.0.0.1):")
            for name, activity in cases.items():
                first = await answer(activity)  # warm: Graph's models, the user cache
                assert first["type"] == "application/vnd.microsoft.card.adaptive", first
                samples = []
                for _ in range(runs):
                    began = time.perf_counter()
                    await answer(activity)
                    samples.append(time.perf_counter() - began)
                print(line(name, samples))
    finally:
        await bot_runner.cleanup()
        await emulator_runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
