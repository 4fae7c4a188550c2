"""`mcem analyze --engine llm` as a user runs it (``mcem.cli.main``) against the OpenAI stand-in.

When the model fails, the raw reply goes to a private file (owner-only, 0600) for diagnosis and is
never printed; nothing half-written lands in --out.
"""

from __future__ import annotations

import asyncio
import io
import os
import stat
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from mcem.cli import main
from tests.conftest import ROOT
from tests.stubs import openai_stub as stubs

SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"
INVALID = "{not json"  # the stand-in's invalid-json reply


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """``mcem.cli.main`` in a worker thread (it runs its own event loop there), so the stand-in in
    this test's loop keeps answering; the environment is what ``mcem`` would see."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("AZURE_OPENAI_", "OPENAI_", "MCEM_")):
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        with redirect_stdout(out), redirect_stderr(err):
            code = await asyncio.wait_for(asyncio.to_thread(main, list(args)), 120)
    return code, out.getvalue(), err.getvalue()


def private_env(stub: stubs.OpenAIStub, home: Path) -> dict[str, str]:
    return stubs.azure_env(stub) | {"XDG_STATE_HOME": str(home / "state"), "HOME": str(home)}


async def test_an_invalid_reply_twice_is_kept_private_and_never_printed(
    stub: stubs.OpenAIStub, tmp_path: Path
) -> None:
    stub.default = stubs.SCRIPTS["invalid-json"]
    out_dir = tmp_path / "out"
    code, out, err = await run_cli(
        "analyze", str(SAMPLE), "--engine", "llm", "--out", str(out_dir), env=private_env(stub, tmp_path)
    )

    assert code == 1 and out == ""
    assert len(stub.received) == 2  # the question and the one re-ask, both answered badly
    kept = tmp_path / "state" / "mcem" / "last-llm-reply.txt"
    assert kept.read_text("utf-8") == INVALID
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    lines = err.splitlines()
    assert lines[0] == (
        "mcem: the language model failed: The language model twice returned an analysis that does not "
        "fit the required format; try again."
    )
    assert f"mcem: the model's raw reply was kept for diagnosis in {kept}" in lines
    assert INVALID not in err and "Traceback" not in err
    assert not out_dir.exists() or list(out_dir.iterdir()) == []  # nothing half-written


async def test_a_kept_reply_stays_private_when_an_older_one_was_readable(
    stub: stubs.OpenAIStub, tmp_path: Path
) -> None:
    kept = tmp_path / "state" / "mcem" / "last-llm-reply.txt"
    kept.parent.mkdir(parents=True)
    kept.write_text("an older reply", "utf-8")
    kept.chmod(0o644)  # e.g. left by an older version, or copied around by hand
    stub.default = stubs.SCRIPTS["invalid-json"]
    code, _out, err = await run_cli(
        "analyze",
        str(SAMPLE),
        "--engine",
        "llm",
        "--out",
        str(tmp_path / "out"),
        env=private_env(stub, tmp_path),
    )
    assert code == 1 and INVALID not in err
    assert kept.read_text("utf-8") == INVALID
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


async def test_a_rate_limited_model_ends_at_mcem_llm_deadline(stub: stubs.OpenAIStub, tmp_path: Path) -> None:
    stub.default = lambda _body: stubs.rate_limited(retry_after=60)
    env = private_env(stub, tmp_path) | {"MCEM_LLM_DEADLINE": "2", "MCEM_LLM_MAX_RETRIES": "5"}
    code, out, err = await run_cli(
        "analyze", str(SAMPLE), "--engine", "llm", "--out", str(tmp_path / "o"), env=env
    )
    assert code == 1 and out == "" and len(stub.received) == 1  # a 60 s wait would outlast the deadline
    assert err.splitlines()[0] == (
        "mcem: the language model failed: The language model did not finish within MCEM_LLM_DEADLINE=2 s "
        "(the service asked to wait 60 s before trying again); try again later, or raise MCEM_LLM_DEADLINE."
    )
    assert f"run: mcem analyze {SAMPLE} --engine offline" in err
    assert not (tmp_path / "state" / "mcem").exists()  # no raw reply, so no private file
