"""The transcript subscription through msgraph-sdk against the emulator, and the emulator's
subscription routes and notifications checked against the published Graph specs."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph import GraphServiceClient

from graph.emulator.state import STATE
from graph.service import GraphError
from graph.subscriptions import (
    ALL_TRANSCRIPTS,
    TranscriptSubscription,
    organizer_of_meeting_id,
    parse_transcript_path,
)
from tests.support.graph import CSDL_PATH, Emulator, assert_valid, client, emulator

__all__ = ["client", "emulator"]  # fixtures, used by name

SUBSCRIPTION = "#/components/schemas/microsoft.graph.subscription"
SECRET = "a-client-state-of-enough-length"


class Endpoint:
    """A notification endpoint: echoes Graph's validation token (or not) and records notifications."""

    def __init__(self, *, echo: bool = True) -> None:
        self.echo = echo
        self.handshakes: list[tuple[str, str]] = []  # (token, content type of the request)
        self.notifications: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            self.handshakes.append((token, request.content_type))
            return web.Response(text=token if self.echo else "nope", content_type="text/plain")
        self.notifications.append(await request.json())
        return web.Response(status=202)


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    found = Endpoint()
    app = web.Application()
    app.router.add_post("/api/notifications", found.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    found.url = str(server.make_url("/api/notifications"))
    yield found
    await server.close()


def subscription(client: GraphServiceClient, url: str, **kw: Any) -> TranscriptSubscription:
    return TranscriptSubscription(client, notification_url=url, client_state=SECRET, **kw)


def meeting_id_of(organizer: str) -> str:
    return base64.b64encode(f"1*{organizer}*0**19:meeting_abc@thread.v2".encode()).decode().rstrip("=")


def test_a_notification_resource_names_the_meeting_and_the_transcript() -> None:
    found = parse_transcript_path("communications/onlineMeetings('MSoxMjM=')/transcripts('MSMjMCMj')")
    assert found is not None and (found.meeting_id, found.transcript_id) == ("MSoxMjM=", "MSMjMCMj")
    assert parse_transcript_path("users('x')/onlineMeetings('y')") is None
    assert parse_transcript_path("communications/onlineMeetings('a')/recordings('b')") is None


def test_the_organizer_is_read_from_the_meeting_id() -> None:
    organizer = "57f9dacc-71bf-4743-b413-53a7d9d6d6e0"
    assert organizer_of_meeting_id(meeting_id_of(organizer)) == organizer
    assert organizer_of_meeting_id(meeting_id_of(organizer.upper())) == organizer  # ids compare lower-case
    assert organizer_of_meeting_id("not base64 at all!") is None
    assert organizer_of_meeting_id(base64.b64encode(b"2*whatever").decode()) is None


async def test_create_validates_the_endpoint_then_returns_the_subscription(
    client: GraphServiceClient, emulator: Emulator, endpoint: Endpoint
) -> None:
    made = await subscription(client, endpoint.url).create()

    assert [kind for _, kind in endpoint.handshakes] == ["text/plain"]  # one URL for both purposes
    assert made.id and made.resource == ALL_TRANSCRIPTS and made.change_type == "created"
    assert made.client_state == SECRET and made.notification_url == endpoint.url
    assert made.expiration_date_time is not None
    lifetime = made.expiration_date_time - datetime.now(UTC)
    assert timedelta(minutes=50) < lifetime <= timedelta(hours=1)  # no lifecycle URL needed below an hour
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{emulator.base_url}/subscriptions/{made.id}", headers={"Authorization": "Bearer t"}
        ) as resp,
    ):
        assert resp.status == 200
        assert_valid(await resp.json(), SUBSCRIPTION)


def test_the_request_body_matches_the_published_schema(client: GraphServiceClient) -> None:
    sub = subscription(client, "https://bot.example.com/api/notifications")
    body = request_body(sub)
    assert_valid(body, SUBSCRIPTION)
    assert body["resource"] == ALL_TRANSCRIPTS and body["includeResourceData"] is False
    assert body["lifecycleNotificationUrl"] == body["notificationUrl"]


def request_body(sub: TranscriptSubscription) -> dict[str, Any]:
    """What the SDK sends for create(), serialised by its own JSON writer."""
    from msgraph.generated.models.subscription import Subscription

    model = Subscription(
        change_type="created",
        notification_url=sub.notification_url,
        lifecycle_notification_url=sub.notification_url,
        resource=ALL_TRANSCRIPTS,
        expiration_date_time=datetime.now(UTC) + sub.lifetime,
        client_state=SECRET,
        include_resource_data=False,
    )
    writer = JsonSerializationWriter()
    writer.write_object_value(None, model)
    return json.loads(writer.get_serialized_content())


async def test_an_endpoint_that_does_not_echo_the_token_gets_no_subscription(
    client: GraphServiceClient, emulator: Emulator, endpoint: Endpoint
) -> None:
    endpoint.echo = False
    with pytest.raises(GraphError, match="400"):
        await subscription(client, endpoint.url).create()
    assert len(endpoint.handshakes) == 1  # asked once, answered wrongly
    assert [r["status"] for r in await emulator.requests()] == [400]


async def test_an_endpoint_nobody_listens_on_gets_no_subscription(
    client: GraphServiceClient, emulator: Emulator
) -> None:
    with pytest.raises(GraphError, match="400"):
        await subscription(client, "http://127.0.0.1:9/api/notifications").create()


async def test_renew_extends_and_delete_removes(
    client: GraphServiceClient, emulator: Emulator, endpoint: Endpoint
) -> None:
    subs = subscription(client, endpoint.url, lifetime=timedelta(minutes=10))
    made = await subs.create()
    subs.lifetime = timedelta(minutes=40)
    renewed = await subs.renew(made.id or "")
    assert renewed.id == made.id
    assert renewed.expiration_date_time and made.expiration_date_time
    assert renewed.expiration_date_time - made.expiration_date_time > timedelta(minutes=29)
    await subs.delete(made.id or "")
    again = await subs.renew_or_create(made.id)  # Graph forgot it: a new one
    assert again.id != made.id
    statuses = [(r["method"], r["status"]) for r in await emulator.requests()]
    assert statuses == [("POST", 201), ("PATCH", 200), ("DELETE", 204), ("PATCH", 404), ("POST", 201)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"expirationDateTime": "+90m", "lifecycleNotificationUrl": None},
            "lifecycleNotificationUrl is required",
        ),
        ({"expirationDateTime": "+5000m"}, "4230 minutes"),
        ({"expirationDateTime": "-1m"}, "in the future"),
        ({"notificationUrl": "http://bot.example.com/api/notifications"}, "https"),
        ({"resource": "/me/messages"}, "not supported"),
        ({"includeResourceData": True}, "encryptionCertificate"),
    ],
)
async def test_the_emulator_refuses_what_graph_refuses(
    emulator: Emulator, endpoint: Endpoint, change: dict[str, Any], message: str
) -> None:
    body: dict[str, Any] = {
        "changeType": "created",
        "notificationUrl": endpoint.url,
        "lifecycleNotificationUrl": endpoint.url,
        "resource": ALL_TRANSCRIPTS,
        "expirationDateTime": "+30m",
        "clientState": SECRET,
    } | change
    offset = body["expirationDateTime"]
    minutes = int(offset[1:-1]) * (1 if offset[0] == "+" else -1)
    body["expirationDateTime"] = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            emulator.base_url + "/subscriptions", json=body, headers={"Authorization": "Bearer t"}
        ) as resp,
    ):
        assert resp.status == 400
        error = await resp.json()
    assert message in error["error"]["message"]
    assert_valid(error, "#/components/schemas/microsoft.graph.ODataErrors.ODataError")
    assert endpoint.handshakes == []  # refused before it called anyone


def _csdl_properties(type_name: str) -> dict[str, bool]:
    """The CSDL's properties of a complex type -> whether each may be null."""
    ns = {"edm": "http://docs.oasis-open.org/odata/ns/edm"}
    root = ET.parse(CSDL_PATH).getroot()
    for node in root.iter(f"{{{ns['edm']}}}ComplexType"):
        if node.get("Name") == type_name:
            return {
                p.get("Name", ""): p.get("Nullable", "true") != "false"
                for p in node.findall("edm:Property", ns)
            }
    raise AssertionError(f"{type_name} is not in {CSDL_PATH}")


async def test_a_published_transcript_notifies_with_graphs_change_notification_shape(
    client: GraphServiceClient, emulator: Emulator, endpoint: Endpoint
) -> None:
    made = await subscription(client, endpoint.url).create()
    meeting = next(m for m in emulator.app[STATE].seed.meetings if m.key == "litware")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            emulator.origin + "/_emulator/transcripts",
            json={
                "meeting_id": meeting.meeting_id,
                "vtt": "WEBVTT\n\n00:00.000 --> 00:02.000\n<v A>Hi.</v>\n",
            },
        ) as resp,
    ):
        assert resp.status == 200
        published = await resp.json()
    assert published["delivered"] == [{"subscriptionId": made.id, "status": 202}]

    [collection] = endpoint.notifications
    allowed = _csdl_properties("changeNotificationCollection")
    assert set(collection) <= set(allowed)
    [item] = collection["value"]
    properties = _csdl_properties("changeNotification")
    required = {name for name, nullable in properties.items() if not nullable}
    assert required <= set(item) and set(item) <= set(properties)
    path = f"communications/onlineMeetings('{meeting.meeting_id}')/transcripts('{meeting.transcript_id}')"
    assert item["resource"] == path and item["resourceData"]["@odata.id"] == path
    assert item["resourceData"]["@odata.type"] == "#Microsoft.Graph.callTranscript"
    assert item["clientState"] == SECRET and item["subscriptionId"] == made.id
    assert organizer_of_meeting_id(meeting.meeting_id) == meeting.organizer_id

    # The transcript is now readable where the notification says.
    found = (
        await client.users.by_user_id(meeting.organizer_id)
        .online_meetings.by_online_meeting_id(meeting.meeting_id)
        .transcripts.get()
    )
    assert found is not None and [t.id for t in found.value or []] == [meeting.transcript_id]
