"""`mcem analyze --engine llm` as a user runs it (a real process) against the OpenAI stand-in.

When the model fails, the raw reply goes to a private file (owner-only, 0600) for diagnosis and is
never printed; nothing half-written lands in --out.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.stubs import openai_stub as stubs

SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"
INVALID = "{not json"  # the stand-in's invalid-json reply


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """The CLI in its own process; async, so the stand-in in this event loop keeps answering."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI_", "OPENAI_", "MCEM_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mcem.cli",
        *args,
        cwd=ROOT,
        env=keep | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


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
