"""Shared fixtures: the autouse guard that fails any connection but to loopback, the card schema,
the OpenAI-compatible stand-in. Shared helpers (the Bot Connector stand-in, bot stacks) are in
tests/support/."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The published specs the tests check against, each with its source in SOURCES.tsv beside it.
SPECS = Path(__file__).resolve().parent / "specs"
# Two AMI meetings made Teams-shaped (CC BY 4.0, see samples/ami/SOURCES.tsv); the demo seeds them too.
AMI_DIR = ROOT / "samples" / "ami"
AMI = sorted(AMI_DIR.glob("ami-*.vtt"))
TEAMS_EXAMPLE = FIXTURES / "transcripts" / "teams-format-example.vtt"


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        return True  # AF_UNIX paths and the like never leave the machine
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: would need DNS, refuse it


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to connect to non-loopback address {address!r}")
        return real_connect(self, address)

    def guarded_ex(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to connect to non-loopback address {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    """The published Adaptive Card 1.5 schema every card test validates against."""
    return json.loads((SPECS / "adaptive-card-1.5.0.schema.json").read_text("utf-8"))


@pytest.fixture
async def stub() -> AsyncIterator[object]:
    """The OpenAI-compatible stand-in on 127.0.0.1; fails the test if any request broke the spec."""
    from tests.stubs.openai_stub import OpenAIStub

    server = OpenAIStub()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == []
