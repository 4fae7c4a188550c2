"""Email and Refresh on the summary card: how long the work behind each click takes.

For the render fixture (tests/fixtures/render/analysis.json), median over ``--runs`` of:

  read     .docx bytes -> Analysis (mcem/render/docx_reader.py), what Refresh and Email do first
  email    Analysis -> HTML body (mcem/render/email.py)
  refresh  download the draft from the Graph emulator's SharePoint + read it back + build the card
  send     download + read + render + POST sendMail to the emulator (real msgraph-sdk, real HTTP)

Goal: a click answers well within Teams' invoke timeout (about 5 s on the client side): send and
refresh under 300 ms against a local Graph.

    .venv/bin/python benchmarks/draft_actions.py [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from graph.client import make_graph_client  # noqa: E402
from graph.credentials import StaticTokenCredential  # noqa: E402
from graph.documents import GraphDocuments  # noqa: E402
from graph.emulator import create_app  # noqa: E402
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID, INTERNAL_DOMAIN  # noqa: E402
from graph.mail import GraphMail  # noqa: E402
from graph.service import Attendee  # noqa: E402
from mcem.model import Analysis, Side  # noqa: E402
from mcem.render.card import summary_card  # noqa: E402
from mcem.render.docx import to_docx  # noqa: E402
from mcem.render.docx_reader import analysis_from_docx  # noqa: E402
from mcem.render.email import email_subject, to_email_html  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "render" / "analysis.json"
TEAM = [
    Attendee(name="Megan Bowen", email=f"meganb@{INTERNAL_DOMAIN}", side=Side.internal),
    Attendee(name="Adele Vance", email=f"adelev@{INTERNAL_DOMAIN}", side=Side.internal),
]


def median_ms(samples: list[float]) -> str:
    p90 = sorted(samples)[int(len(samples) * 0.9)]
    return f"{statistics.median(samples) * 1000:8.1f} ms (p90 {p90 * 1000:.1f})"


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    await work()  # warm: imports and the SDK's model classes
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - start)
    return samples


async def main(runs: int) -> None:
    analysis = Analysis.model_validate_json(FIXTURE.read_text("utf-8"))
    data = to_docx(analysis)
    runner = web.AppRunner(create_app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        client = make_graph_client(StaticTokenCredential(), base_url=f"http://127.0.0.1:{port}/v1.0")
        documents, mail = (
            GraphDocuments(client, DRIVE_ID),
            GraphMail(client, tenant_domains=[INTERNAL_DOMAIN]),
        )
        stored = await documents.upload("Contoso", "draft.docx", data)

        async def read() -> object:
            return analysis_from_docx(data)

        async def email() -> object:
            return to_email_html(analysis, stored.web_url)

        async def refresh() -> object:
            draft = await asyncio.to_thread(analysis_from_docx, await documents.download(stored.item_id))
            return summary_card(draft, stored.web_url, run_id="bench")

        async def send() -> object:
            draft = await asyncio.to_thread(analysis_from_docx, await documents.download(stored.item_id))
            html = to_email_html(draft, stored.web_url)
            return await mail.send(DEMO_USER_ID, TEAM, email_subject(draft), html)

        print(f"draft {len(data) / 1024:.0f} KiB, {runs} runs each, median (p90)")
        for name, work in (("read", read), ("email", email), ("refresh", refresh), ("send", send)):
            print(f"  {name:8s}{median_ms(await timed(runs, work))}")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
