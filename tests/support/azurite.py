"""Azurite's table service on 127.0.0.1 for the tests of the several-instance state (bot/state_azure.py).

One Azurite per test session, shared by every module that imports the ``azurite`` fixture; it runs
under devtools/loopback-only.cjs with telemetry off and keeps its data in a temporary folder.
Each test gets its own table prefix, so tests never see each other's entities.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.state_azure import AzureTableState
from devtools.devstack import loopback_guard
from tests.conftest import ROOT

# Azurite's documented development account: a public, well-known key, not a secret.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class Azurite:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"TableEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};"
        )


def _free_port() -> int:
    # Azurite reports the port it was given, not the one bound for port 0, so pick one here.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_azurite(location: Path) -> Azurite:
    """Azurite's table service with its data in ``location``; RuntimeError when it cannot start."""
    binary = ROOT / "node_modules" / ".bin" / "azurite-table"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run `npm ci` in {ROOT} (package.json lists azurite)")
    guard = loopback_guard()
    port = _free_port()
    env = os.environ | {"NODE_OPTIONS": f"--require {guard}"}
    args = [str(binary), "--silent", "--disableTelemetry", "--skipApiVersionCheck"]
    args += ["--location", str(location), "--tableHost", "127.0.0.1", "--tablePort", str(port)]
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"Azurite exited with {process.returncode}: {error[-800:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Azurite(port, process)
        except OSError:
            time.sleep(0.1)
    stop_azurite(process)
    raise RuntimeError("Azurite did not listen within 30 s")


def stop_azurite(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: the shim's node child goes too
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    if process.stderr is not None:
        process.stderr.close()


_shared: dict[str, Azurite] = {}
_users: list[int] = []


# Named apart from their fixture names, so a module imports them without shadowing its parameters.
@pytest.fixture(scope="session", name="azurite")
def azurite_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    # Imported by several modules, this is one fixture definition per module: the server is shared.
    if "server" not in _shared:
        try:
            _shared["server"] = start_azurite(tmp_path_factory.mktemp("azurite"))
        except RuntimeError as err:
            pytest.fail(str(err))
    _users.append(1)
    try:
        yield _shared["server"]
    finally:
        _users.pop()
        if not _users:
            stop_azurite(_shared.pop("server").process)


def new_prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]


OpenAzure = Callable[..., Awaitable[AzureTableState]]


@pytest.fixture(name="open_azure")
async def open_azure_fixture(azurite: Azurite) -> AsyncIterator[OpenAzure]:
    """``await open_azure(prefix)``: a started store (one "instance"); all are closed at the end."""
    opened: list[AzureTableState] = []

    async def open_one(prefix: str) -> AzureTableState:
        state = AzureTableState(connection_string=azurite.connection_string, prefix=prefix)
        await state.start()
        opened.append(state)
        return state

    yield open_one
    for state in opened:
        await state.close()
