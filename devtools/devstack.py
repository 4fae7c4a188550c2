"""The local stack for the demo, the end-to-end tests and the load benchmark: Graph emulator, bot,
Agents Playground (the benchmark leaves the Playground out and brings its own connector).

Each runs as its own process group on 127.0.0.1, with its log in a run directory; ``DevStack``
starts them in order, waits until each answers, and stops all of them (and their children) on
exit. Node programs run under devtools/loopback-only.cjs, and the Playground always with
telemetry off. Only for development: nothing in production imports it, and the image leaves
devtools/ out.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from graph.emulator.seed import DRIVE_ID

__all__ = ["ROOT", "DevStack", "DevStackError", "free_port", "loopback_guard"]

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND_CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
# A developer's own settings must not leak into the self-contained stack: the bot would leave
# anonymous local mode, or look for a SharePoint library the emulator does not have.
_STACK_OWNED = (
    "CONNECTIONS__",
    "CONNECTIONSMAP",
    "AGENTAPPLICATION__",
    "MCEM_BOT_",
    "MCEM_ALLOWED_TENANTS",
    "MCEM_GRAPH_",
    "MCEM_SHAREPOINT_",
    "MCEM_TENANT_DOMAINS",
    "MCEM_AUTO_ANALYZE",
    "MCEM_PUBLIC_URL",
    "MCEM_NOTIFICATION_CLIENT_STATE",
    "MCEM_STATE_",  # a developer's Azure state backend too: the stack keeps its own SQLite file
)
# And, for an offline run, nothing that would make it call a language model.
_LLM = ("AZURE_OPENAI", "OPENAI_", "MCEM_LLM", "MCEM_MODEL")


class DevStackError(RuntimeError):
    """A part of the local stack did not start; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_guard() -> Path:
    guard = ROOT / "devtools" / "loopback-only.cjs"
    if not guard.is_file():
        raise DevStackError(f"{guard} is missing: restore it with `git checkout -- devtools`")
    return guard


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class DevStack:
    """``with DevStack(run_dir) as stack:`` — everything is up inside the block, down after it."""

    run_dir: Path
    emulator_port: int = 0  # 0: pick a free one
    bot_port: int = 0
    playground_port: int = 0
    offline: bool = True  # strip language-model settings so the offline analyzer runs
    timeout: float = 60.0
    playground: bool = True  # False: the emulator and the bot only (a benchmark brings its client)
    auto_analyze: bool = True  # journey 2: the bot subscribes to the emulator's transcripts
    # The emulator's module and arguments; benchmarks/load.py seeds many users (devtools/load_seed.py).
    emulator: tuple[str, ...] = ("graph.emulator",)
    bot_env: dict[str, str] = field(default_factory=dict)  # more settings for the bot (MCEM_WORKERS, ...)
    _processes: list[_Process] = field(default_factory=list)

    @property
    def graph_base_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}/v1.0"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def bot_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.bot_port}/api/messages"

    @property
    def playground_url(self) -> str:
        return f"http://127.0.0.1:{self.playground_port}"

    def __enter__(self) -> DevStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def pid(self, name: str) -> int:
        """The process id of a part ("graph-emulator", "bot", "playground"), for measuring it."""
        return next(p.popen.pid for p in self._processes if p.name == name)

    def start(self) -> None:
        if self.playground and not PLAYGROUND_CLI.is_file():
            raise DevStackError("the Agents Playground is not installed: run `npm ci` in the repo")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.emulator_port = self.emulator_port or free_port()
        self.bot_port = self.bot_port or free_port()
        self.playground_port = self.playground_port or free_port()
        env = self._base_env()

        emulator = self._spawn(
            "graph-emulator",
            [sys.executable, "-m", *self.emulator, "--port", str(self.emulator_port)],
            env,
        )
        self._wait_http(emulator, f"http://127.0.0.1:{self.emulator_port}/", any_status=True)

        bot_env = {
            **env,
            "MCEM_BOT_HOST": "127.0.0.1",
            "MCEM_BOT_PORT": str(self.bot_port),
            "MCEM_GRAPH_BASE_URL": self.graph_base_url,
            "MCEM_SHAREPOINT_DRIVE_ID": DRIVE_ID,  # the emulator's one library
            "MCEM_STATE_PATH": str(self.run_dir / "bot-state.sqlite3"),
            **self.bot_env,
        }
        if self.auto_analyze:
            # Journey 2: the emulator subscribes the bot to transcripts, as Graph would.
            bot_env["MCEM_AUTO_ANALYZE"] = "on"
            bot_env["MCEM_PUBLIC_URL"] = f"http://127.0.0.1:{self.bot_port}"
            bot_env["MCEM_NOTIFICATION_CLIENT_STATE"] = secrets.token_urlsafe(24)
        bot = self._spawn("bot", [sys.executable, "-m", "bot"], bot_env)
        self._wait_http(bot, f"http://127.0.0.1:{self.bot_port}/api/health")
        if not self.playground:
            return

        self.playground_port = self._start_playground("playground", self.playground_port, self.run_dir)

    def add_playground(self, user_id: str) -> str:
        """Another Playground on the same bot, signed in as ``user_id`` (one of ``PLAYGROUND_USERS``):
        the Playground sends every typed message as its current user, so a second person needs their own.
        Returns its URL."""
        folder = self.run_dir / f"playground-{user_id}"
        folder.mkdir(exist_ok=True)
        (folder / ".m365agentsplayground.yml").write_text(_playground_config(user_id), "utf-8")
        port = self._start_playground(f"playground-{user_id}", free_port(), folder)
        return f"http://127.0.0.1:{port}"

    def _start_playground(self, name: str, port: int, cwd: Path) -> int:
        node_env = {
            **self._base_env(),
            "NODE_OPTIONS": f"--require {loopback_guard()}",
            "LOOPBACK_ONLY_LOG": str(self.run_dir / "loopback-refusals.log"),
            "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
            "TEAMSAPPTESTER_BROWSER": "none",
        }
        argv = ["node", str(PLAYGROUND_CLI), "-e", self.bot_endpoint, "-c", "msteams", "-p", str(port)]
        playground = self._spawn(name, [*argv, "--disable-telemetry"], node_env, cwd=cwd)
        port = self._listening_port(playground)
        self._wait_http(playground, f"http://127.0.0.1:{port}/_internal/v1/config")
        return port

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is still there after a few seconds."""
        for proc in reversed(self._processes):
            if proc.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in reversed(self._processes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Children of the group (node workers) may outlive the leader.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait()
        self._processes.clear()

    def logs(self) -> str:
        """The last lines of every log, for a failing test's message."""
        return "\n".join(f"--- {p.name} ({p.log})\n{p.tail()}" for p in self._processes)

    def _base_env(self) -> dict[str, str]:
        dropped = _STACK_OWNED + (_LLM if self.offline else ())
        env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], *, cwd: Path | None = None) -> _Process:
        log = self.run_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                argv,
                # The Playground writes devTools/ into its working directory, and reads its
                # .m365agentsplayground.yml (who the current user is) from there.
                cwd=cwd or self.run_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches its children
            )
        proc = _Process(name, popen, log)
        self._processes.append(proc)
        return proc

    def _listening_port(self, proc: _Process) -> int:
        """The Playground takes a random port when the asked one is busy; its log says which."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self._check_alive(proc)
            found = re.search(r"Listening on (\d+)", proc.log.read_text(errors="replace"))
            if found:
                return int(found[1])
            time.sleep(0.1)
        raise DevStackError(f"{proc.name} did not start listening within {self.timeout:.0f}s: see {proc.log}")

    def _wait_http(self, proc: _Process, url: str, *, any_status: bool = False) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self._check_alive(proc)
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as err:
                if any_status and err.code < 500:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise DevStackError(f"{proc.name} did not answer on {url} within {self.timeout:.0f}s: see {proc.log}")

    @staticmethod
    def _check_alive(proc: _Process) -> None:
        code = proc.popen.poll()
        if code is not None:
            raise DevStackError(f"{proc.name} exited with code {code}:\n{proc.tail()}")


# The Playground's built-in users (@microsoft/m365agentsplayground 0.2.28, its default configuration):
# id, name, sign-in name, aadObjectId. The Graph emulator's seed has the same people and object ids.
PLAYGROUND_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("user-id-0", "Alex Wilber", "alexw@example.com", "00000000-0000-0000-0000-0000000000020"),
    ("user-id-1", "Megan Bowen", "meganb@example.com", "00000000-0000-0000-0000-0000000000021"),
    ("user-id-2", "Adele Vance", "adelev@example.com", "00000000-0000-0000-0000-0000000000022"),
    ("user-id-3", "Isaiah Langer", "isaiahl@example.com", "00000000-0000-0000-0000-0000000000023"),
    ("user-id-4", "Patti Fernandez", "pattif@example.com", "00000000-0000-0000-0000-0000000000024"),
    ("user-id-5", "Lynne Robbins", "lynner@example.com", "00000000-0000-0000-0000-0000000000025"),
)


def _playground_config(current: str) -> str:
    """The Playground's default configuration with ``current`` as the signed-in user (the schema wants
    exactly five others)."""

    def person(user: tuple[str, str, str, str], indent: str) -> str:
        uid, name, upn, oid = user
        given, surname = name.split(" ", 1)
        fields = [f"id: {uid}", f"name: {name}", f"userPrincipleName: {upn}", f"aadObjectId: {oid}"]
        fields += [f"givenName: {given}", f"surname: {surname}", f"email: {upn}"]
        return "\n".join(indent + f for f in fields)

    [me] = [u for u in PLAYGROUND_USERS if u[0] == current]
    others = [u for u in PLAYGROUND_USERS if u[0] != current]
    lines = [
        'version: "0.1.1"',
        "tenantId: 00000000-0000-0000-0000-0000000000001",
        "bot:\n  id: 00000000-0000-0000-0000-00000000000011\n  name: Test Bot",
        "currentUser:\n" + person(me, "  "),
        "users:\n" + "\n".join("  -" + person(u, "    ")[3:] for u in others),
        "personalChat:\n  id: personal-chat-" + current,
        "groupChat:\n  id: group-chat-" + current + "\n  name: Group Chat",
        "team:\n  id: team-id\n  name: My Team\n  aadGroupId: 00000000-0000-0000-0000-000000000031",
        "  channels:\n    - id: channel-announcements-id\n      name: Announcements",
    ]
    return "\n".join(lines) + "\n"
