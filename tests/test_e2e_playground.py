"""End to end: Graph emulator + bot (python -m bot, anonymous local mode) + Agents Playground.

The Playground plays Teams: messages go in through its own HTTP API, the bot's cards come back on
its WebSocket stream, and the rendered summary card is photographed in its UI in headless Chromium.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import aiohttp
import docx
import pytest

from devtools.devstack import DevStack
from devtools.playground_client import BotMessage, PlaygroundClient, card_of
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID, INTERNAL_DOMAIN, build_seed
from mcem.model import ROLE_TITLES
from mcem.parsing import parse_transcript
from tests.conftest import ROOT
from tests.support.browser import CHROMIUM_FLAGS, require_chromium
from tests.support.cards import texts

pytestmark = pytest.mark.e2e

ARTIFACTS = ROOT / "test-artifacts"
TITLE = "Interview Analysis –"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    if shutil.which("node") is None:
        pytest.fail("node is missing: install Node.js 20+ and run `npm ci` in the repo")
    with DevStack(tmp_path_factory.mktemp("devstack")) as running:
        yield running


def has_card(text: str) -> Any:
    return lambda m: (card := card_of(m)) is not None and text in texts(card)


async def run_to_summary(pg: PlaygroundClient, conversation: str, text: str) -> tuple[BotMessage, BotMessage]:
    """Send ``text``; return (the first card the bot posted, the summary that replaced it)."""
    await pg.send(conversation, text)
    async with asyncio.timeout(60):
        first = await pg.next_message()
        final = await pg.next_message(lambda m: m.message_id == first.message_id and has_card(TITLE)(m))
    return first, final


async def test_analyze_last_meeting_progress_then_summary_with_document(stack: DevStack) -> None:
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        first, final = await run_to_summary(pg, chat, "analyze last meeting")

    assert first.action == "createMessage"
    assert "Working on your analysis" in texts(card_of(first) or {})
    assert final.action == "updateMessage"  # the same card, replaced in place
    summary = card_of(final)
    assert summary is not None
    body = texts(summary)
    positions = [body.find(title) for title in ROLE_TITLES.values()]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), "the seven roles, in order"

    [open_doc] = [a for a in summary.get("actions", []) if a["type"] == "Action.OpenUrl"]
    assert open_doc["url"].startswith(f"http://127.0.0.1:{stack.emulator_port}/")
    async with aiohttp.ClientSession() as http, http.get(open_doc["url"]) as response:
        assert response.status == 200
        content = await response.read()
    document = docx.Document(io.BytesIO(content))
    assert document.paragraphs[0].text.startswith(TITLE)
    assert document.paragraphs[0].style.name in ("Title", "Heading 1")


async def test_meetings_card_button_runs_the_picked_meeting(stack: DevStack) -> None:
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        await pg.send(chat, "meetings")
        async with asyncio.timeout(30):
            picker = await pg.next_message(has_card("Your recent meetings"))
        buttons = [a for a in execute_actions(card_of(picker)) if a.get("verb") == "analyze"]
        assert len(buttons) >= 2  # the demo user has several meetings with transcripts
        picked = buttons[-1]["data"]
        response = await pg.invoke(chat, picker.message_id, "analyze", picked)
        assert response.get("type") == "application/vnd.microsoft.activity.message"
        async with asyncio.timeout(60):
            progress = await pg.next_message(has_card("Working on your analysis"))
            await pg.next_message(lambda m: m.message_id == progress.message_id and has_card(TITLE)(m))


async def test_email_button_mails_the_internal_attendees_only(stack: DevStack) -> None:
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        _, final = await run_to_summary(pg, chat, "analyze last meeting")
        [email] = [a for a in execute_actions(card_of(final)) if a.get("verb") == "email"]
        response = await pg.invoke(chat, final.message_id, "email", email["data"])
    assert response.get("type") == "application/vnd.microsoft.activity.message", response
    assert str(response.get("value", "")).startswith("Sent to "), response

    origin = f"http://127.0.0.1:{stack.emulator_port}"
    async with aiohttp.ClientSession() as http, http.get(f"{origin}/_emulator/mail") as answer:
        assert answer.status == 200
        [sent] = (await answer.json())["messages"]
    recipients = sent["recipients"]
    assert len(recipients) >= 2 and all(r.endswith("@" + INTERNAL_DOMAIN) for r in recipients), recipients
    assert sent["from"] == f"alexw@{INTERNAL_DOMAIN}" and sent["saveToSentItems"] is True
    html = sent["request"]["Message"]["body"]["content"]
    assert email["data"]["document_url"] in html.replace("&amp;", "&")


async def test_refresh_button_shows_the_draft_as_edited_in_sharepoint(stack: DevStack) -> None:
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        _, final = await run_to_summary(pg, chat, "analyze last meeting")
        summary = card_of(final) or {}
        [open_doc] = [a for a in summary.get("actions", []) if a["type"] == "Action.OpenUrl"]
        edited = "Edited in SharePoint by the account team before the review."
        await _edit_first_summary_paragraph(stack, open_doc["url"], edited)
        [refresh] = [a for a in execute_actions(summary) if a.get("verb") == "refresh"]
        response = await pg.invoke(chat, final.message_id, "refresh", refresh["data"])
    assert response.get("type") == "application/vnd.microsoft.card.adaptive", response
    assert edited in texts(response["value"])


async def _edit_first_summary_paragraph(stack: DevStack, url: str, text: str) -> None:
    """What a person does in Word for the web: change a paragraph and save over the same file."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
            document = docx.Document(io.BytesIO(await response.read()))
        paragraphs = document.paragraphs
        heading = next(i for i, p in enumerate(paragraphs) if p.text == "Executive Summary")
        paragraphs[heading + 1].text = text
        out = io.BytesIO()
        document.save(out)
        path = unquote(url.split("/Shared%20Documents/", 1)[1])
        put = f"{stack.graph_base_url}/drives/{DRIVE_ID}/items/root:/{quote(path)}:/content"
        headers = {"Authorization": "Bearer e2e-test"}
        params = {"@microsoft.graph.conflictBehavior": "replace"}
        async with http.put(put, data=out.getvalue(), headers=headers, params=params) as response:
            assert response.status == 200, await response.text()


@pytest.mark.parametrize(
    ("request_text", "title"),
    [
        ("analyze Litware licensing", "No transcript for this meeting"),
        ("analyze Executive briefing", "Neither a policy nor chat consent covers this meeting"),
        ("analyze Tailspin quarterly", "No meeting found"),
    ],
)
async def test_problems_end_in_an_error_card_that_says_what_to_do(
    stack: DevStack, request_text: str, title: str
) -> None:
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        await pg.send(chat, request_text)
        async with asyncio.timeout(30):
            first = await pg.next_message()
            error = await pg.next_message(lambda m: m.message_id == first.message_id and has_card(title)(m))
    assert "What to do" in texts(card_of(error) or {})


@pytest.mark.parametrize("where", ["group chat", "channel"])
async def test_group_chat_and_channel_with_a_mention(stack: DevStack, where: str) -> None:
    async with PlaygroundClient(stack.playground_url) as pg:
        config = await pg.config()
        if where == "group chat":
            conversation = config["groupChats"][0]["id"]
        else:
            conversation = config["teams"][0]["channels"][0]["id"]
        bot = config["bot"]
        at = f"<at>{bot['name']}</at>"
        await pg.send(conversation, f"{at} analyze last meeting", mentions=[{"mentioned": bot, "text": at}])
        async with asyncio.timeout(60):
            first = await pg.next_message()
            await pg.next_message(lambda m: m.message_id == first.message_id and has_card(TITLE)(m))


def test_summary_card_renders_in_the_playground_ui(stack: DevStack) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "playground-summary-card.png"
    shot.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 3000})
            page.goto(stack.playground_url)
            box = page.get_by_role("textbox")
            box.wait_for(timeout=30_000)
            box.click()
            page.keyboard.type("analyze last meeting")
            page.keyboard.press("Enter")
            page.get_by_text(TITLE).last.wait_for(timeout=60_000)
            page.get_by_text("Open the full document").last.wait_for(timeout=10_000)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 50_000, "the screenshot is too small to show a rendered card"


def execute_actions(node: Any) -> list[dict[str, Any]]:
    """Every Action.Execute anywhere in a card."""
    if isinstance(node, list):
        return [a for item in node for a in execute_actions(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == "Action.Execute" else []
    return own + [a for value in node.values() for a in execute_actions(value)]


async def test_a_new_transcript_reaches_the_organizer_unprompted(stack: DevStack) -> None:
    """Journey 2: Alex has chatted with the bot; Graph (the emulator) announces a transcript of a
    meeting he organised; the summary arrives in his personal chat without him asking."""
    seed = build_seed()
    meeting = next(
        m
        for m in seed.meetings
        if m.organizer_id == DEMO_USER_ID and m.vtt is not None and m.key != "litware"
    )
    async with PlaygroundClient(stack.playground_url) as pg, aiohttp.ClientSession() as http:
        chat = await pg.personal_chat_id()
        await pg.send(chat, "help")  # the bot learns where Alex's personal chat is
        async with asyncio.timeout(30):
            await pg.next_message(has_card("analyze last meeting"))
            for _ in range(150):  # the bot subscribes in the background once it listens
                if await _subscribed(http, stack.emulator_url):
                    break
                await asyncio.sleep(0.2)
        async with http.post(
            stack.emulator_url + "/_emulator/transcripts", json={"meeting_id": meeting.meeting_id}
        ) as resp:
            assert resp.status == 200
            assert [d.get("status") for d in (await resp.json())["delivered"]] == [202]
        async with asyncio.timeout(60):
            arrived = await pg.next_message(has_card(TITLE))
    assert arrived.action == "createMessage"  # a new message, not a reply to anything Alex sent
    summary = card_of(arrived)
    assert summary is not None and meeting.subject.split(" – ")[0] in texts(summary)


async def _subscribed(http: aiohttp.ClientSession, emulator: str) -> bool:
    async with http.get(emulator + "/_emulator/requests") as resp:
        calls = (await resp.json())["requests"]
    return any(
        c["method"] == "POST" and c["path"] == "/v1.0/subscriptions" and c["status"] == 201 for c in calls
    )


def test_nothing_tried_to_leave_the_machine_and_no_transcript_was_logged(stack: DevStack) -> None:
    """Runs last in this module, after every journey above has gone through the stack."""
    refusals = stack.run_dir / "loopback-refusals.log"
    assert not refusals.exists() or not refusals.read_text().strip(), refusals.read_text()

    sample = ROOT / "samples" / "contoso-manufacturing-call.vtt"  # the call the seed publishes
    transcript = parse_transcript(sample.read_bytes(), sample.name)
    spoken = [u.text for u in transcript.utterances if len(u.text) > 40]
    assert len(spoken) > 20
    logs = "\n".join(p.read_text(errors="replace") for p in stack.run_dir.glob("*.log"))
    leaked = [text for text in spoken if text in logs or text[:40] in logs]
    assert leaked == [], f"transcript text in the logs: {leaked[:2]}"


DEMO = ROOT / "scripts" / "demo.py"


def test_demo_check_runs_the_whole_journey(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO), "--check", "--run-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo check OK" in result.stdout
    assert re.search(r"Word title: Interview Analysis – .+, .+", result.stdout)


def test_demo_prints_the_url_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "demo.out"
    with out.open("w") as sink:
        demo = subprocess.Popen(
            [sys.executable, str(DEMO), "--port", "0", "--bot-port", "0", "--run-dir", str(tmp_path / "run")],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything" not in out.read_text():
            assert demo.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        printed = out.read_text()
        # Playground, bot and emulator; the emulator again in the automatic-analysis curl line.
        urls = sorted(set(re.findall(r"http://(?:localhost|127\.0\.0\.1):\d+", printed)))
        assert len(urls) == 3 and "analyze last meeting" in printed
        assert "/_emulator/transcripts" in printed
        for url in urls:
            assert _answers(url), f"{url} is not up"
        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert demo.wait(timeout=30) == 0
        assert "Stopped the Playground, the bot and the Graph emulator." in out.read_text()
        assert [url for url in urls if _answers(url)] == []
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # an HTTP error is still an answer
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


async def test_transcript_access_off_names_the_cause_and_the_admin_step(stack: DevStack) -> None:
    """The tenant-wide switch Graph added in 2026, played by the emulator with Graph's 403 body."""
    refusals = f"http://127.0.0.1:{stack.emulator_port}/_emulator/refusals"
    async with aiohttp.ClientSession() as http:
        async with http.post(refusals, json={"refusal": "transcripts_disabled"}) as response:
            assert response.status == 200
        try:
            async with PlaygroundClient(stack.playground_url) as pg:
                chat = await pg.personal_chat_id()
                await pg.send(chat, "analyze last meeting")
                title = "Transcript access is off in this tenant"
                async with asyncio.timeout(30):
                    first = await pg.next_message()
                    error = await pg.next_message(
                        lambda m: m.message_id == first.message_id and has_card(title)(m)
                    )
        finally:  # the stack is shared by this module's other tests
            async with http.post(refusals, json={"clear": True}) as response:
                assert response.status == 200
    body = texts(card_of(error) or {})
    assert "GraphAccessToTranscriptsDisabled" in body
    assert "Set-CsTeamsMeetingConfiguration -Identity Global -EnableGraphTranscriptAccess $true" in body
    assert "Ask your Microsoft 365 admin" in body
