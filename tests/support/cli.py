"""The command line as a user runs it: ``mcem.cli.main`` in this process, with real files and exit codes."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcem.cli import main

ROOT = Path(__file__).resolve().parents[2]

LLM_VARS = (
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_DEPLOYMENT",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "MCEM_MODEL",
)


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None) -> Ran:
    """``mcem.cli.main`` in this process, as ``mcem ARGS`` would run it (no language model configured
    unless ``env`` says so); ``test_version_and_python_dash_m`` and the closed-pipe test start real
    processes."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in LLM_VARS:
            patch.delenv(name, raising=False)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.chdir(ROOT)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # argparse's own exits: --help, --version, usage errors
                code = stop.code if isinstance(stop.code, int) else 0
    return Ran(code, out.getvalue(), err.getvalue())
