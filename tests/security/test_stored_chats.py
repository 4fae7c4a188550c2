"""A personal chat stored before serviceUrls were checked may name any host: nothing goes there.

Journey 2 over HTTP (Graph emulator, connector stand-in, the live bot): the organizer's stored
reference names a host that is not the channel's, so the automatic analysis is neither run nor
delivered, and the transcript is recorded with the reason.
"""

from __future__ import annotations

from bot.app import STATE
from bot.state import PersonalChat
from tests.support.bot import running_stack
from tests.support.connector import USER


async def test_a_stored_chat_on_a_foreign_host_gets_no_automatic_analysis() -> None:
    async with running_stack() as stack:
        legacy = {"serviceUrl": "https://smba.attacker.example/emea/", "conversation": {"id": "a:1"}}
        await stack.app[STATE].save_personal_chat(
            PersonalChat(str(USER["aadObjectId"]).lower(), "tenant-1", legacy, {})
        )
        published = await stack.publish("litware")
        assert await stack.app[STATE].transcript_status(published["transcript_id"]) == "service_url_refused"
        assert stack.connector.posted == []
        assert not any("/transcripts/" in c for c in await stack.graph_calls())  # nothing read for nobody
