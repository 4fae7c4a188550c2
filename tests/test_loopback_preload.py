"""devtools/loopback-only.cjs, the preload every Node program of the demo and the tests runs under.

Each test starts ``node`` with the preload, as devtools/devstack.py and tests/support/azurite.py do,
and looks at what the program saw and what the preload logged. Non-loopback targets are refused
before any packet leaves, so these tests themselves never reach outside the machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from devtools.devstack import loopback_guard
from tests.conftest import ROOT

PRELOAD = ROOT / "devtools" / "loopback-only.cjs"
# A TEST-NET style address that nothing answers: without the preload a connect would hang.
UNREACHABLE = "10.255.255.1"


def _node(script: str, *, log: Path | None = None, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: run `make node` (scripts/ensure_node.sh)")
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "LOOPBACK_ONLY_LOG")}
    env["NODE_OPTIONS"] = f"--require {PRELOAD}"
    if log is not None:
        env["LOOPBACK_ONLY_LOG"] = str(log)
    return subprocess.run(
        [node, "-e", script], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


# A connect that would otherwise wait: the socket's own 8 s timeout prints "timeout" instead.
CONNECT = """
const s = require('net').connect(80, '%s');
s.setTimeout(8000, () => { console.log('timeout'); s.destroy(); });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('error', (e) => console.log('error ' + e.code + ' ' + e.message));
"""


def test_the_dev_stack_and_azurite_use_the_repos_own_preload() -> None:
    assert loopback_guard() == PRELOAD and PRELOAD.is_file()


def test_a_non_loopback_connect_is_refused_at_once_and_logged_to_stderr() -> None:
    result = _node(CONNECT % UNREACHABLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("error ECONNREFUSED"), result.stdout
    assert "loopback-only refused connect 10.255.255.1:80" in result.stdout
    assert f"[loopback-only] refused connect {UNREACHABLE}:80" in result.stderr


def test_refusals_go_to_the_log_file_when_one_is_named(tmp_path: Path) -> None:
    log = tmp_path / "refusals.log"
    script = f"""
fetch('http://{UNREACHABLE}:8080/x').catch((e) => console.log('fetch ' + (e.cause && e.cause.code)));
require('dns').lookup('example.com', (e) => console.log('lookup ' + (e && e.code)));
require('http').get('http://example.org/').on('error', (e) => console.log('http ' + e.code));
require('dns').promises.resolve4('example.net').catch((e) => console.log('resolve ' + e.code));
"""
    result = _node(script, log=log)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split("\n")[:-1]) == [
        "fetch ECONNREFUSED",
        "http ECONNREFUSED",
        "lookup ENOTFOUND",
        "resolve ECONNREFUSED",
    ]
    assert "[loopback-only]" not in result.stderr
    logged = log.read_text()
    for what in (f"{UNREACHABLE}:8080", "lookup example.com", "example.org:80", "resolve4 example.net"):
        assert what in logged


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_allowed(host: str) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def greet() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"hello from python")

        thread = threading.Thread(target=greet, daemon=True)
        thread.start()
        script = f"""
const s = require('net').connect({{ port: {port}, host: '{host}', family: 4 }});
s.on('data', (d) => {{ console.log('got ' + d); s.destroy(); }});
s.on('error', (e) => console.log('error ' + e.code));
"""
        result = _node(script)
        thread.join(5)
    assert result.stdout.strip() == "got hello from python", result.stdout + result.stderr
    assert "[loopback-only]" not in result.stderr


def test_an_unwritable_log_still_reports_on_stderr(tmp_path: Path) -> None:
    result = _node(CONNECT % "192.0.2.10", log=tmp_path / "no-such-dir" / "refusals.log")
    assert result.stdout.startswith("error ECONNREFUSED")
    assert "[loopback-only] refused connect 192.0.2.10:80" in result.stderr
