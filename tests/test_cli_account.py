"""`mcem analyze --account DIR` and `mcem account DIR`: the account folder on disk, as a user runs them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document

from tests.support.accounts import ACCOUNT, SPEC
from tests.support.cli import run_cli

INTERNAL = "Lynne Robbins, Alex Wilber, Adele Vance, Isaiah Langer, Marcus Lee"
DATES = ("2026-10-20", "2026-11-10", "2026-12-01")


def _analyse(folder: Path, k: int, *, flag: str = "--account") -> None:
    call = SPEC["calls"][k]
    ran = run_cli(
        "analyze",
        str(ACCOUNT / call["file"]),
        flag,
        str(folder),
        "--date",
        DATES[k],
        "--subject",
        call["subject"],
        "--company",
        "Contoso",
        "--internal",
        INTERNAL,
    )
    assert ran.returncode == 0, ran.stderr


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Call one with --account, then two and three with --out into the folder that now holds a sidecar."""
    folder = tmp_path_factory.mktemp("accounts") / "Contoso"
    _analyse(folder, 0)
    _analyse(folder, 1, flag="--out")
    _analyse(folder, 2, flag="--out")
    return folder


def test_each_call_is_kept_beside_its_draft(folder: Path) -> None:
    names = sorted(p.name for p in folder.iterdir())
    assert "2026-10-20 Contoso – security operations discovery.docx" in names
    assert "2026-10-20 Contoso – security operations discovery.analysis.json" in names
    assert "2026-12-01 Contoso – proof of concept kick-off.analysis.json" in names  # --out found the folder
    assert not any(n in ("analysis.json", "analysis.docx") for n in names)
    sidecar = json.loads((folder / "2026-11-10 Contoso – Sentinel design workshop.analysis.json").read_text())
    assert sidecar["meta"]["engine"] == "offline" and "prompt_version" in sidecar["meta"]
    assert sidecar["verification"]["quotes_checked"] > 0 and sidecar["done"]


def test_account_prints_the_brief_and_writes_it_into_the_folder(folder: Path) -> None:
    ran = run_cli("account", str(folder))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("# Account brief – Contoso\n")
    assert "●●○○○ Inspire & Design" in ran.stdout and "●●●○○ Empower & Achieve" in ran.stdout
    assert "> “I sent the Sentinel cost estimate" in ran.stdout
    assert "Leipzig" not in ran.stdout
    brief = Document(io.BytesIO((folder / "Account brief.docx").read_bytes()))
    assert brief.paragraphs[0].text == "Account brief – Contoso"
    assert ran.stdout.rstrip().endswith(f"Wrote {(folder / 'Account brief.docx').resolve()}")


def test_analysing_the_same_call_again_never_overwrites_its_draft(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "Contoso"
    copy.mkdir()
    _analyse(copy, 0)
    draft = copy / "2026-10-20 Contoso – security operations discovery.docx"
    draft.write_bytes(b"edited in Word")
    _analyse(copy, 0)
    assert draft.read_bytes() == b"edited in Word"
    assert (copy / "2026-10-20 Contoso – security operations discovery 1.analysis.json").exists()


def test_an_account_folder_needs_the_date(tmp_path: Path) -> None:
    ran = run_cli("analyze", str(ACCOUNT / SPEC["calls"][0]["file"]), "--account", str(tmp_path / "Contoso"))
    assert ran.returncode == 2
    assert ran.stderr.count("\n") == 1 and "give --date YYYY-MM-DD" in ran.stderr
    assert not (tmp_path / "Contoso").exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "not a folder"),
        (
            "empty",
            "no *.analysis.json sidecars here; analyse calls into it with `mcem analyze FILE --account",
        ),
        ("broken", "x.analysis.json: not an analysis.json"),
    ],
)
def test_account_on_a_folder_without_sidecars_is_one_line(tmp_path: Path, setup: str, message: str) -> None:
    folder = tmp_path / "Fabrikam"
    if setup != "missing":
        folder.mkdir()
    if setup == "broken":
        (folder / "x.analysis.json").write_text('{"company_name": "Fabrikam"}')
    ran = run_cli("account", str(folder))
    assert ran.returncode == 2
    assert ran.stdout == "" and ran.stderr.count("\n") == 1 and message in ran.stderr
    assert not (folder / "Account brief.docx").exists()


def test_help_names_the_account_layout() -> None:
    assert "--account DIR" in run_cli("analyze", "--help").stdout
    assert "Account brief.docx" in run_cli("account", "--help").stdout
