"""End to end, over HTTP: "analyze last meeting" with the real bot, msgraph-sdk and the Graph emulator
(the offline analyzer writes the draft). A quote's time on the summary card is a link; following it
reaches the recording the emulator stores for that meeting, at the moment the words were said. The
Word draft saved in SharePoint links its quotes to the same recording."""

from __future__ import annotations

import base64
import io
import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp
import docx

from graph.emulator.recordings import PLACEHOLDER, recording_name
from graph.emulator.seed import SAMPLES
from graph.emulator.state import STATE as EMULATOR_STATE
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.verify import normalise
from tests.support.bot import running_stack, settle
from tests.support.cards import texts
from tests.support.connector import message

SAMPLE = SAMPLES / "contoso-manufacturing-call.vtt"
TITLE = "Interview Analysis – Helen Whitaker, Contoso"


def _start(url: str) -> float:
    (nav,) = parse_qs(urlsplit(url).query)["nav"]
    return float(json.loads(base64.b64decode(unquote(nav)))["playbackOptions"]["startTimeInSeconds"])


def _runs(node: Any) -> list[dict[str, Any]]:
    """Every RichTextBlock's inlines, in card order."""
    if isinstance(node, dict):
        own = node.get("inlines", []) if node.get("type") == "RichTextBlock" else []
        return list(own) + [r for k, v in node.items() if k != "inlines" for r in _runs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _runs(v)]
    return []


def _summary(connector: Any) -> dict[str, Any]:
    cards = [
        a["attachments"][0]["content"]
        for a in (*connector.posted, *connector.updates)
        if a.get("attachments") and TITLE in json.dumps(a["attachments"][0]["content"], ensure_ascii=False)
    ]
    shown = [
        texts(a["attachments"][0]["content"])[:200]
        for a in (*connector.posted, *connector.updates)
        if a.get("attachments")
    ]
    assert cards, f"no summary card reached the chat: {shown}"
    return cards[-1]


async def test_a_quote_link_on_the_card_opens_the_recording_where_it_was_said() -> None:
    # Not subscribed to transcripts: this journey is asked for in the chat.
    async with running_stack(analyzer=OfflineAnalyzer(), subscribed=False) as stack:  # type: ignore[arg-type]
        activity = message("analyze last meeting", stack.connector)
        async with (
            aiohttp.ClientSession() as http,
            http.post(stack.url + "/api/messages", json=activity) as r,
        ):
            assert r.status in (200, 202)
        # A whole offline analysis of a 33-minute call: give a loaded machine time (no timing asserted).
        await settle(stack.app, 180)  # the turn runs after the POST is answered, then its analysis
        card = _summary(stack.connector)
        state = stack.emulator.app[EMULATOR_STATE]
        sample = next(m for m in state.seed.meetings if m.key == "sample")
        runs = _runs(card)
        linked = [(i, r) for i, r in enumerate(runs) if "selectAction" in r]
        assert linked, "no quote on the card links to its moment"

        transcript = load_transcript(SAMPLE)
        async with aiohttp.ClientSession() as http:
            for i, run in linked:
                action = run["selectAction"]
                assert action["type"] == "Action.OpenUrl"
                url = action["url"]
                # The emulator's recording of this meeting, in its organizer's OneDrive.
                assert unquote(urlsplit(url).path).endswith("/Documents/Recordings/" + recording_name(sample))
                async with http.get(url) as resp:  # following the link
                    assert resp.status == 200 and resp.content_type == "video/mp4"
                    assert await resp.read() == PLACEHOLDER
                # The offset lands inside the turn in which the quoted words were said.
                quoted = normalise(runs[i - 2]["text"].strip("“”…"))
                turn = next(u for u in transcript.utterances if quoted[:60] in normalise(u.text))
                # (Links start at the tenth of a second at or before the quote: up to 0.1 s early.)
                assert turn.start - 0.1 <= _start(url) <= turn.end, (turn.start, _start(url), turn.end)
                # The link's text is the time it opens at (shown to the second, sent to the tenth).
                minutes, seconds = (int(x) for x in run["text"].split(":"))
                assert 60 * minutes + seconds <= _start(url) < 60 * minutes + seconds + 1

            # The Word draft in SharePoint links its quotes to the same recording.
            (document_url,) = [a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"]
            async with http.get(document_url) as resp:
                assert resp.status == 200
                draft = docx.Document(io.BytesIO(await resp.read()))
        targets = [r.target_ref for r in draft.part.rels.values() if "hyperlink" in r.reltype]
        recording = linked[0][1]["selectAction"]["url"].split("?")[0]
        assert targets and all(t.split("?")[0] == recording for t in targets)
