"""The repository stands alone: what it reads from outside sources is in it, each with its source."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest

from tests.conftest import AMI, ROOT, SPECS, TEAMS_EXAMPLE

# Each folder of third-party files, and the licences its SOURCES.tsv may name.
THIRD_PARTY = {
    SPECS: {"MIT"},
    ROOT / "appPackage" / "schema": {"MIT"},
    ROOT / "samples" / "ami": {"CC BY 4.0"},
}
NOT_DATA = {"SOURCES.tsv", "NOTES.md"}


def _sources(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "SOURCES.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return {(row.get("local_file") or row["file"]): row for row in rows}


@pytest.mark.parametrize("folder", list(THIRD_PARTY), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_third_party_file_names_its_source_and_licence(folder: Path) -> None:
    rows = _sources(folder)
    files = {p.name for p in folder.iterdir() if p.is_file()} - NOT_DATA
    assert files and files == set(rows), "one SOURCES.tsv row per file, no row without its file"
    for name, row in rows.items():
        licence = row.get("license", "")
        assert any(wanted in licence for wanted in THIRD_PARTY[folder]), name
        assert (row.get("source_repo") or row.get("source")) and (row.get("commit") or "@" in row["source"])


def test_the_ami_meetings_keep_their_attribution() -> None:
    assert [p.name for p in AMI] == ["ami-ES2002a.vtt", "ami-IS1000a.vtt"]
    for row in _sources(AMI[0].parent).values():
        assert "AMI Consortium" in row["license"] and "creativecommons.org/licenses/by/4.0" in row["license"]


def test_the_published_teams_example_names_its_source() -> None:
    row = _sources(TEAMS_EXAMPLE.parent)[TEAMS_EXAMPLE.name]
    assert row["license"] == "MIT" and "richorama/ai_vtt_transcription_parser" in row["source"]


def test_nothing_in_the_repository_reads_a_folder_beside_it() -> None:
    # Spelled in pieces so this file does not match itself.
    needles = ["../" + "shared", 'parent / "' + 'shared"']
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=30,
    )
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed in {ROOT}: {listed.stderr.decode(errors='replace')}")
    hits = []
    for name in listed.stdout.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        hits += [f"{name}: {needle}" for needle in needles if needle in text]
    assert hits == []
