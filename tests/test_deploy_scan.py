"""deploy/ under checkov's policies, offline: nothing fails unless it is suppressed inline with a reason.

checkov runs once per session in its own environment (``make checkov``) through tests/checkov_offline.py,
which switches off its vendor calls and refuses any connection that is not loopback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from tests.checkov_offline import MARKER, REFUSED_EXIT_CODE, inline_suppressions
from tests.conftest import ROOT

CHECKOV_PYTHON = ROOT / ".venv-checkov" / "bin" / "python"
FRAMEWORKS = ("bicep", "dockerfile", "secrets")


@dataclass
class Scan:
    returncode: int
    reports: dict[str, dict[str, Any]]
    stderr: str

    def checks(self, outcome: str) -> list[dict[str, Any]]:
        return [c for r in self.reports.values() for c in r["results"].get(f"{outcome}_checks", [])]


@pytest.fixture(scope="module")
def scan() -> Scan:
    if not CHECKOV_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail("checkov is not installed: `make checkov` (make test does it first)")
        pytest.skip("checkov is not installed here: `make checkov` (make test does it first)")
    # No inherited setting may give checkov an API key or a platform to talk to.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "CKV_", "PRISMA_", "CHECKOV_"))}
    result = subprocess.run(
        [
            str(CHECKOV_PYTHON),
            "tests/checkov_offline.py",
            "-d",
            "deploy",
            "-o",
            "json",
            "--framework",
            *FRAMEWORKS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.strip(), f"checkov printed no report: {result.stderr[-2000:]}"
    parsed = json.loads(result.stdout)
    # A framework with nothing to report prints a bare summary without its check_type.
    reports = {
        r["check_type"]: r for r in (parsed if isinstance(parsed, list) else [parsed]) if "check_type" in r
    }
    return Scan(result.returncode, reports, result.stderr)


def _where(check: dict[str, Any]) -> str:
    lines = check.get("file_line_range") or ["?"]
    return f"deploy{check['file_path']}:{lines[0]}: {check['check_id']} on {check['resource']}"


def test_checkov_reached_nothing_outside_the_machine(scan: Scan) -> None:
    refused = [line for line in scan.stderr.splitlines() if line.startswith(MARKER) and "refused" in line]
    assert refused == [] and scan.returncode != REFUSED_EXIT_CODE


def test_checkov_read_every_file_of_deploy(scan: Scan) -> None:
    unparsed = [line for line in scan.stderr.splitlines() if "cannot parse" in line]
    assert unparsed == [], "\n".join(unparsed)
    assert {name: r["summary"]["parsing_errors"] for name, r in scan.reports.items()} == dict.fromkeys(
        ("bicep", "dockerfile"), 0
    ) | ({"secrets": 0} if "secrets" in scan.reports else {})
    assert scan.reports["bicep"]["summary"]["resource_count"] >= 25
    assert scan.reports["dockerfile"]["summary"]["passed"] >= 50


def test_no_check_fails(scan: Scan) -> None:
    failed = [f"{_where(c)}: {c['check_name']}" for c in scan.checks("failed")]
    assert failed == [], "fix these, or suppress one inline with a reason:\n" + "\n".join(failed)
    assert scan.returncode == 0, scan.stderr[-2000:]


def test_a_check_that_crashed_counts_as_failed_unless_suppressed(scan: Scan) -> None:
    """checkov turns a check that raises into UNKNOWN, reported nowhere: here it must be suppressed."""
    crashed = set(re.findall(r"Failed to run check (\w+) on \S+?:(\S+)", scan.stderr))
    skipped = {(c["check_id"], c["resource"]) for c in scan.checks("skipped")}
    assert crashed - skipped == set()


def test_every_skip_is_one_of_the_inline_suppressions_with_its_reason(scan: Scan) -> None:
    inline = {(check, reason) for _file, _line, check, reason in inline_suppressions(ROOT / "deploy")}
    skipped = scan.checks("skipped")
    assert skipped, "the Bicep template has suppressions: checkov must report them as skipped"
    for check in skipped:
        comment = check["check_result"].get("suppress_comment", "")
        assert (check["check_id"], comment.strip()) in inline, _where(check)


def test_the_guard_refuses_other_hosts_and_lets_loopback_through() -> None:
    """Run in a child whose socket functions are all a backstop: nothing can leave even if the guard fails."""
    code = """
import socket, sys
def backstop(*args, **kwargs):
    raise ConnectionAbortedError("backstop")
socket.socket.connect = socket.socket.connect_ex = socket.socket.sendto = backstop
socket.getaddrinfo = backstop
from tests.checkov_offline import refuse_network, refused
refuse_network()
outcomes = []
for attempt in (
    lambda: socket.create_connection(("192.0.2.1", 443), timeout=1),
    lambda: socket.getaddrinfo("api0.prismacloud.io", 443),
    lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 53)),
    lambda: socket.socket().connect(("127.0.0.1", 9)),
):
    try:
        attempt()
    except ConnectionAbortedError:
        outcomes.append("passed")
    except OSError as error:
        outcomes.append("refused" if "refused" in str(error) else repr(error))
print(outcomes, len(refused))
assert sys.modules["aiodns"] is None
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['refused',", "'refused',", "'refused',", "'passed']", "3"]
    assert result.stderr.count(MARKER) == 3
