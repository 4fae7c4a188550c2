"""The loopback check that gates plain http and the bot's anonymous mode."""

from __future__ import annotations

import pytest

from mcem.loopback import is_loopback_host


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    [None, "", "0.0.0.0", "10.0.0.1", "192.168.1.2", "169.254.169.254", "example.com", "localhost.evil.com"],
)
def test_everything_else_is_not(host: str | None) -> None:
    assert not is_loopback_host(host)
