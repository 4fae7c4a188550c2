"""The one Graph client factory: real Graph by default, the emulator when given a loopback URL."""

from __future__ import annotations

import pytest

from graph.client import graph_client, make_graph_client
from graph.credentials import StaticTokenCredential
from graph.emulator.seed import DEMO_USER_ID
from mcem.errors import ConfigError
from tests.support.graph import Emulator, emulator

__all__ = ["emulator"]  # fixture, used by name


def test_default_is_the_real_graph() -> None:
    client = make_graph_client(StaticTokenCredential())
    assert client.request_adapter.base_url == "https://graph.microsoft.com/v1.0"


def test_emulator_url_loses_its_trailing_slash() -> None:
    client = make_graph_client(StaticTokenCredential(), base_url="http://127.0.0.1:5090/v1.0/")
    assert client.request_adapter.base_url == "http://127.0.0.1:5090/v1.0"


def test_plain_http_only_on_loopback() -> None:
    with pytest.raises(ConfigError, match="only a loopback emulator"):
        make_graph_client(StaticTokenCredential(), base_url="http://graph.example.com/v1.0")
    with pytest.raises(ConfigError, match="not a Graph base URL"):
        make_graph_client(StaticTokenCredential(), base_url="ftp://127.0.0.1/v1.0")
    with pytest.raises(ConfigError, match="needs a credential"):
        graph_client()


async def test_the_token_reaches_the_emulator(emulator: Emulator) -> None:
    # The SDK sends tokens only to its allowed hosts; the factory adds the emulator's.
    client = graph_client(base_url=emulator.base_url)
    user = await client.users.by_user_id(DEMO_USER_ID).get()
    assert user is not None and user.display_name == "Alex Wilber"
    assert (await emulator.requests())[-1]["status"] == 200
