"""An analysis started from Teams survives the bot process: ``python -m bot`` killed part-way.

The bot runs as its own process (anonymous local mode) against the Graph emulator, the
OpenAI-compatible stand-in (slow, so the kill lands while the model "thinks") and the Bot Connector
stand-in, which records every card update. After SIGKILL a new process resumes the analysis on the
same card; after SIGTERM the process shows "interrupted" with Try again before it exits, or finishes
first when the grace period allows. The same on SQLite and on Azure Table Storage (Azurite).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from devtools.devstack import free_port
from graph.emulator.seed import DRIVE_ID
from tests.conftest import ROOT
from tests.stubs.openai_stub import API_KEY, OpenAIStub
from tests.support.azurite import Azurite, azurite_fixture, new_prefix  # noqa: F401 - the fixture
from tests.support.cards import texts
from tests.support.connector import TENANT, USER, Connector, message
from tests.support.graph import Emulator, start_emulator

SUMMARY = "Interview Analysis"
INTERRUPTED = "Analysis interrupted"
ME = USER | {"tenantId": TENANT, "userRole": "user"}


@dataclass
class Stack:
    emulator: Emulator
    connector: Connector
    stub: OpenAIStub
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def start_bot(self) -> None:
        clean = {
            k: v for k, v in os.environ.items() if not k.startswith(("CONNECTIONS__", "MCEM_", "AZURE_"))
        }
        self.process = spawn(clean | self.env | {"MCEM_BOT_PORT": str(self.port)})
        # Read as it comes: a bot whose pipe fills up blocks in its next log line, mid-shutdown.
        self._reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"the bot exited at start-up: {self.output()}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/api/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        pytest.fail("the bot did not answer within 60 s")

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        if self._reader is not None:
            self._reader.join(5)
        return self.log[-3000:]

    async def ask(self, text: str) -> None:
        activity = message(text, self.connector)
        url = f"http://127.0.0.1:{self.port}/api/messages"
        async with aiohttp.ClientSession() as http, http.post(url, json=activity) as response:
            assert response.status == 202

    async def stop(self, sig: signal.Signals) -> int:
        """Signal the bot and wait for it to exit; its output is kept in ``log``.

        The wait keeps this event loop running: the stand-ins answer the bot's last calls from it.
        """
        assert self.process is not None
        self.process.send_signal(sig)
        await until(lambda: self.process is not None and self.process.poll() is not None, 60, "the exit")
        if self._reader is not None:
            self._reader.join(5)
        return self.process.returncode

    def card(self) -> dict[str, Any]:
        """The latest version of the one progress card the bot posted."""
        [posted] = self.connector.posted
        versions = [u for u in self.connector.updates if u["id"] == posted["id"]]
        latest = versions[-1] if versions else posted
        return latest["attachments"][0]["content"]


def spawn(env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m bot`` with its output kept for the failure message."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture(params=["sqlite", "azure"])
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    if request.param == "azure":
        azurite: Azurite = request.getfixturevalue("azurite")
        state = {
            "MCEM_STATE_BACKEND": "azure",
            "MCEM_STATE_CONNECTION_STRING": azurite.connection_string,
            "MCEM_STATE_TABLE_PREFIX": new_prefix(),
        }
    else:
        state = {"MCEM_STATE_PATH": str(tmp_path / "bot-state.sqlite3")}
    emulator, emulator_runner = await start_emulator()
    connector = Connector()
    connector_server: TestServer = await connector.start()
    connector.members["personal-1"] = [ME]
    stub = OpenAIStub(latency=30.0)  # the model "thinks" long enough for the kill to land mid-way
    stub_url = await stub.start()
    env = {
        **state,
        "MCEM_GRAPH_BASE_URL": emulator.base_url,
        "MCEM_SHAREPOINT_DRIVE_ID": DRIVE_ID,
        "AZURE_OPENAI_ENDPOINT": stub_url,
        "AZURE_OPENAI_DEPLOYMENT": "stub",
        "AZURE_OPENAI_API_KEY": API_KEY,
        "MCEM_RUN_LEASE_SECONDS": "3",
        "MCEM_LOG_LEVEL": "INFO",
    }
    running = Stack(emulator, connector, stub, env)
    try:
        yield running
    finally:
        if running.process is not None and running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)
            if running._reader is not None:
                running._reader.join(5)
        await stub.stop()
        await connector_server.close()
        await emulator_runner.cleanup()


async def analysing(stack: Stack) -> None:
    """Asked, and the model is working on it (the card shows progress, no result yet)."""
    await stack.ask("analyze last meeting")
    await until(lambda: bool(stack.stub.received), 60, "the analysis to reach the model")
    assert SUMMARY not in texts(stack.card())


async def test_after_sigkill_the_next_start_resumes_the_analysis_on_its_card(stack: Stack) -> None:
    await stack.start_bot()
    await analysing(stack)
    assert await stack.stop(signal.SIGKILL) == -signal.SIGKILL
    stack.stub.latency = 0.0
    await stack.start_bot()  # the lease (3 s) lapses; the sweep takes the run over and runs it again
    await until(lambda: SUMMARY in texts(stack.card()), 90, "the resumed analysis to reach its card")
    assert len(stack.connector.posted) == 1  # the same card, updated in place
    assert await stack.stop(signal.SIGTERM) == 0


async def test_sigterm_ends_the_card_with_interrupted_and_try_again(stack: Stack) -> None:
    stack.env["MCEM_SHUTDOWN_GRACE_SECONDS"] = "1"
    await stack.start_bot()
    await analysing(stack)
    assert await stack.stop(signal.SIGTERM) == 0
    card = stack.card()
    assert INTERRUPTED in texts(card), stack.log[-3000:]
    [again] = [a for a in card.get("actions", []) if a.get("verb") == "analyze"]
    assert again["data"]["command"] == "last"
    # Closed, not left for a sweep: a new process does not run it again.
    updates = len(stack.connector.updates)
    await stack.start_bot()
    await asyncio.sleep(4)  # longer than the lease and a sweep
    assert len(stack.connector.updates) == updates
    assert await stack.stop(signal.SIGTERM) == 0


async def test_sigterm_lets_an_analysis_finish_within_the_grace_period(stack: Stack) -> None:
    stack.stub.latency = 3.0
    stack.env["MCEM_SHUTDOWN_GRACE_SECONDS"] = "60"
    await stack.start_bot()
    await analysing(stack)
    assert await stack.stop(signal.SIGTERM) == 0
    assert SUMMARY in texts(stack.card())
    # At INFO the log tells what the bot did, not every state request's URL and headers.
    assert "analysis" in stack.log and "Request URL" not in stack.log
