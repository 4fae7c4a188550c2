"""The offline paths never load the LLM stack: `openai` and `bpe_openai` take seconds to import and
only the LLM analyzer needs them. Nor adaptive-cards-py: the summary card is built as plain dicts
(mcem/render/card/plain.py), and its models cost ~0.6 s to import and build. Checked in a fresh
interpreter, after a real offline run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LLM_STACK = ("openai", "bpe_openai", "httpx2")
UNNEEDED = (*LLM_STACK, "adaptive_cards")  # what the offline CLI must not load
_LLM_VARS = ("AZURE_OPENAI", "OPENAI_", "MCEM_MODEL", "MCEM_LLM")


def _loaded_after(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; which unneeded modules it loaded, and what it returned."""
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps({{'result': result, 'loaded': [m for m in {UNNEEDED!r} if m in sys.modules]}}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LLM_VARS)}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_offline_analysis_does_not_import_the_llm_stack(tmp_path: Path) -> None:
    sample = next((ROOT / "samples").glob("*.vtt"))
    outcome = _loaded_after(
        "from mcem.cli import main\n"
        f"result = main(['analyze', {str(sample)!r}, '--engine', 'offline', '--out', {str(tmp_path)!r}])"
    )
    assert outcome["result"] == 0
    assert (tmp_path / "analysis.docx").stat().st_size > 0  # it really ran
    assert outcome["loaded"] == []


def test_the_default_engine_without_a_model_does_not_import_the_llm_stack(tmp_path: Path) -> None:
    sample = next((ROOT / "samples").glob("*.vtt"))
    outcome = _loaded_after(
        f"from mcem.cli import main\nresult = main(['analyze', {str(sample)!r}, '--out', {str(tmp_path)!r}])"
    )
    assert outcome["result"] == 0 and outcome["loaded"] == []


def test_version_does_not_import_the_llm_stack() -> None:
    outcome = _loaded_after(
        "from mcem.cli import main\n"
        "try:\n"
        "    result = main(['--version'])\n"
        "except SystemExit as end:\n"
        "    result = end.code or 0"
    )
    assert outcome["result"] == 0 and outcome["loaded"] == []


def test_the_llm_analyzer_still_loads_it_when_asked_for() -> None:
    outcome = _loaded_after("from mcem.llm import LLMAnalyzer\nresult = LLMAnalyzer.__name__")
    assert outcome["result"] == "LLMAnalyzer"
    assert {"openai", "bpe_openai"} <= set(outcome["loaded"])  # type: ignore[arg-type]
