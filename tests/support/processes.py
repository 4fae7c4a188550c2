"""Running ``python -m bot`` as its own process, with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_bot(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTIONS__", "MCEM_"))}
    clean["MCEM_STATE_PATH"] = ":memory:"  # never a state file in the repo
    return subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=60
    )
