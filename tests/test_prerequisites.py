"""What `make demo` and `make test` do on a machine that lacks something they need.

Each test builds a PATH from this machine's own, minus the programs it pretends are missing (and
with small stand-ins where a test needs one to answer a certain way), then runs the real Makefile
or the real scripts/ensure_*.sh with it. Nothing is installed: apt-get is never the real one.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

MISSING_NODE = {"node", "nodejs", "npm", "npx", "corepack"}
PACKAGE_TOOLS = {"apt-get", "apt", "sudo"}


def _path_without(tmp_path: Path, missing: set[str], fakes: dict[str, str] | None = None) -> str:
    """A one-folder PATH with links to every program on this PATH but ``missing``, plus ``fakes``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, script in (fakes or {}).items():
        fake = folder / name
        fake.write_text("#!/bin/sh\n" + script + "\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name not in missing and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(folder)


def _run(
    argv: list[str], path: str, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.fail("make is missing: the README's commands need it")
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Error" not in lines[0] and "not found" not in lines[0] and "Traceback" not in lines[0]
    return lines[0]


def test_make_demo_without_node_does_the_offline_step_then_says_what_the_playground_needs(
    tmp_path: Path,
) -> None:
    path = _path_without(tmp_path, MISSING_NODE | PACKAGE_TOOLS)
    out = tmp_path / "out"
    result = _run(["make", "demo", f"NODE_STAMP={tmp_path / 'stamp'}", f"DEMO_OUT={out}"], path)
    assert result.returncode == 2
    assert "== 1/2  Offline analysis of the bundled sample call" in result.stdout
    assert "Analysed contoso-manufacturing-call.vtt with the offline analyzer." in result.stdout
    assert {p.name for p in out.iterdir()} == {"analysis.md", "analysis.docx", "analysis.json", "card.json"}
    assert "== 2/2" not in result.stdout
    line = _one_line(result.stderr)
    assert "the Playground step of make demo (step 2/2) needs Node.js 20 or newer with npm" in line
    assert "https://nodejs.org/" in line


def test_make_test_without_node_stops_before_the_tests_with_one_line(tmp_path: Path) -> None:
    path = _path_without(tmp_path, MISSING_NODE | PACKAGE_TOOLS)
    result = _run(["make", "test", f"NODE_STAMP={tmp_path / 'stamp'}"], path)
    assert result.returncode == 2
    assert "pytest" not in result.stdout
    assert "make test (the Agents Playground, Azurite and the browser tests) needs Node.js 20" in _one_line(
        result.stderr
    )


def test_without_root_apt_get_is_not_tried_and_the_line_says_why(tmp_path: Path) -> None:
    called = tmp_path / "apt-get-was-called"
    fakes = {"id": "echo 1000", "apt-get": f'touch "{called}"; exit 1'}
    path = _path_without(tmp_path, MISSING_NODE | PACKAGE_TOOLS, fakes)
    result = _run(["sh", "scripts/ensure_node.sh", "make demo"], path)
    assert result.stdout.strip() == (
        "make demo needs Node.js 20 or newer with npm, and installing them with apt-get needs root: "
        "install them (https://nodejs.org/ or your package manager), then run make again "
        "(or run make as root)"
    )
    assert not called.exists()


def test_an_apt_get_node_older_than_20_is_named(tmp_path: Path) -> None:
    # Debian 12's apt-get "installs" Node.js 18: the stand-ins play that part.
    fakes = {
        "id": "echo 0",
        "apt-get": 'echo "apt-get $*" >&2',
        "node": 'if [ "$1" = -p ]; then echo 18; else echo v18.19.0; fi',
        "npm": "echo 9.2.0",
    }
    path = _path_without(tmp_path, MISSING_NODE | PACKAGE_TOOLS, fakes)
    result = _run(["sh", "scripts/ensure_node.sh", "make test"], path)
    assert "apt-get install -y nodejs npm" in result.stderr  # its output is shown, not swallowed
    assert result.stdout.strip().startswith(
        "make test needs Node.js 20 or newer with npm; apt-get has only Node.js v18.19.0: install them"
    )


def test_node_20_is_enough(tmp_path: Path) -> None:
    fakes = {"node": 'if [ "$1" = -p ]; then echo 20; else echo v20.0.0; fi', "npm": "echo 10.0.0"}
    path = _path_without(tmp_path, MISSING_NODE | PACKAGE_TOOLS, fakes)
    result = _run(["sh", "scripts/ensure_node.sh", "make test"], path)
    assert (result.stdout, result.stderr) == ("", "")


def test_missing_chromium_without_apt_get_is_one_line(tmp_path: Path) -> None:
    path = _path_without(tmp_path, PACKAGE_TOOLS)
    chromium = tmp_path / "no" / "chromium"
    result = _run(["make", "chromium", f"CHROMIUM={chromium}"], path)
    assert result.returncode == 2
    assert (
        f"make needs Chromium at {chromium}: install it (Debian: apt-get install chromium), "
        "then run make again" in _one_line(result.stderr)
    )


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        ("no-such-python3", "make needs Python 3.11 or newer, and 'no-such-python3' is not on the PATH"),
        ("old-python", "make needs Python 3.11 or newer, and old-python is 3.9.2: install a newer one"),
    ],
)
def test_a_missing_or_old_python_is_one_line(tmp_path: Path, python: str, expected: str) -> None:
    fakes = {"old-python": 'case "$*" in *version_info*) exit 1;; *python_version*) echo 3.9.2;; esac'}
    path = _path_without(tmp_path, PACKAGE_TOOLS, fakes)
    result = _run(["make", "setup", f"PYTHON={python}", f"VENV={tmp_path / 'venv'}"], path)
    assert result.returncode == 2
    assert expected in _one_line(result.stderr)
    assert not (tmp_path / "venv").exists()
