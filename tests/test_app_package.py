"""The Teams app package: manifest against the published v1.24 schema, commands, icons, zip."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import struct
import sys
import typing
import zipfile
import zlib
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft4Validator

from bot.commands import Command, Help, parse_command
from mcem.errors import ConfigError
from tests.conftest import ROOT

APP = ROOT / "appPackage"
BOT_ID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def _load(name: str) -> ModuleType:
    """appPackage/ holds scripts, not a package: load them from their files."""
    spec = importlib.util.spec_from_file_location(f"app_package_{name}", APP / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load("build")
make_icons = _load("make_icons")


@pytest.fixture
def published_schema() -> dict[str, Any]:
    return json.loads(build.SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return build.build_package(BOT_ID, "1.2.3", tmp_path, domain="mcem-bot.example.org")


def _manifest_in(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        return json.loads(archive.read("manifest.json"))


def _pixels(data: bytes) -> list[list[tuple[int, int, int, int]]]:
    """An independent little PNG reader (RGBA, 8 bit, unfiltered rows) to look at the icons."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (8, 6)
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0, "rows are stored unfiltered"
        rows.append([tuple(line[1 + 4 * x : 5 + 4 * x]) for x in range(width)])
    return rows  # type: ignore[return-value]


# --- the schema and its validation ----------------------------------------------------------------


def test_built_manifest_validates_against_the_published_schema(
    package: Path, published_schema: dict[str, Any]
) -> None:
    manifest = _manifest_in(package)
    assert build.schema_errors(manifest, published_schema) == []
    assert manifest["manifestVersion"] == "1.24"
    assert manifest["version"] == "1.2.3"
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["validDomains"] == ["mcem-bot.example.org"]
    assert not re.search(r"\$\{\{", json.dumps(manifest)), "every placeholder is filled"


def test_the_default_schema_is_the_published_v1_24_kept_beside_the_build() -> None:
    assert build.SCHEMA.parent == APP / "schema"
    schema = json.loads(build.SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["manifestVersion"]["const"] == "1.24"
    # Where it came from, so anyone can compare it with Microsoft's published file.
    [source] = [
        line.split("\t")
        for line in (APP / "schema" / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
        if line.startswith(build.SCHEMA.name + "\t")
    ]
    assert source[1:3] == ["microsoft/json-schemas", "teams/v1.24/MicrosoftTeams.schema.json"]
    assert re.fullmatch(r"[0-9a-f]{40}", source[3]) and source[4] == "MIT"


def test_a_missing_schema_is_one_clear_line_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = build.main(["--bot-id", BOT_ID, "--out", str(out), "--schema", str(tmp_path / "none.json")])
    assert code == 2
    assert not out.exists()


def test_const_is_enforced_where_a_draft_04_validator_ignores_it(
    package: Path, published_schema: dict[str, Any]
) -> None:
    manifest = _manifest_in(package)
    manifest["manifestVersion"] = "1.23"
    plain = [e.message for e in Draft4Validator(published_schema).iter_errors(manifest)]
    assert plain == [], "a draft-04 validator lets a wrong manifestVersion through"
    errors = build.schema_errors(manifest, published_schema)
    assert len(errors) == 1 and errors[0].startswith("manifestVersion:") and "'1.24'" in errors[0]


def test_a_manifest_without_a_bot_id_or_with_a_bad_one_fails(
    package: Path, published_schema: dict[str, Any]
) -> None:
    manifest = _manifest_in(package)
    missing = copy.deepcopy(manifest)
    del missing["bots"][0]["botId"]
    assert any("'botId' is a required property" in e for e in build.schema_errors(missing, published_schema))
    wrong = copy.deepcopy(manifest)
    wrong["bots"][0]["botId"] = "mcem-bot"
    assert any(e.startswith("bots/0/botId:") for e in build.schema_errors(wrong, published_schema))


def test_patterns_with_unicode_letter_classes_are_checked_not_skipped(
    published_schema: dict[str, Any],
) -> None:
    text = json.dumps(published_schema)
    found = [p for p in re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', text) if "\\\\p{L}" in p]
    # One pattern (definitions/extensionFunction name) with \p{L} twice; in no bot section, but the
    # validator must still be able to evaluate it rather than crash or skip it.
    assert len(found) == 1
    for escaped in found:
        pattern = json.loads(f'"{escaped}"')
        with pytest.raises(re.error):
            re.compile(pattern)  # why the regex module is needed at all
        validator = build.manifest_validator({"type": "string", "pattern": pattern})
        assert validator.is_valid("Überblick_2.x")
        assert not validator.is_valid("2nd-name")


def test_a_wrong_version_format_is_refused_by_the_build(tmp_path: Path) -> None:
    for version in ("1.0", "v1.0.0", "1.02.3"):
        with pytest.raises(ConfigError, match=r"MAJOR\.MINOR\.PATCH"):
            build.build_package(BOT_ID, version, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_says_in_one_line_what_is_wrong_with_the_bot_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["--bot-id", "my-bot", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--bot-id 'my-bot' is not a GUID" in err
    assert list(tmp_path.iterdir()) == [], "nothing is written on bad input"


def test_the_cli_refuses_a_url_as_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = build.main(["--bot-id", BOT_ID, "--out", str(tmp_path), "--domain", "https://bot.example.org/"])
    assert code == 2
    assert "without https://" in capsys.readouterr().err


def test_an_unfilled_placeholder_is_named() -> None:
    with pytest.raises(ConfigError, match="BOT_ID, TEAMS_APP_ID"):
        build.fill_template('{"a": "${{BOT_ID}}", "b": "${{TEAMS_APP_ID}}"}', {})


def test_a_value_cannot_break_out_of_its_json_string() -> None:
    filled = build.fill_template('{"name": "${{X}}", "other": 1}', {"X": 'a", "other": "2'})
    assert filled == {"name": 'a", "other": "2', "other": 1}


# --- what the manifest says ------------------------------------------------------------------------


def test_every_listed_command_is_one_the_bot_understands_and_every_command_is_listed(package: Path) -> None:
    bot = _manifest_in(package)["bots"][0]
    today = date(2026, 3, 10)
    reached: set[type] = set()
    for command_list in bot["commandLists"]:
        for command in command_list["commands"]:
            parsed = parse_command(command["title"], today=today)
            assert parsed != Help(unknown=command["title"]), f"the bot does not know {command['title']!r}"
            reached.add(type(parsed))
            # The examples in a description are what users will copy: the bot must understand them.
            for example in re.findall(r"e\.g\. (.+)$", command["description"]):
                for phrase in example.rstrip(".").split(", "):
                    parsed = parse_command(phrase, today=today)
                    assert parsed != Help(unknown=phrase), f"the bot does not understand {phrase!r}"
                    reached.add(type(parsed))
    assert reached == set(typing.get_args(Command))


def test_each_scope_has_its_command_list_with_the_same_commands(package: Path) -> None:
    bot = _manifest_in(package)["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat", "copilot"}
    lists = {scope: cl for cl in bot["commandLists"] for scope in cl["scopes"]}
    assert set(lists) == set(bot["scopes"])
    titles = {scope: [c["title"] for c in cl["commands"]] for scope, cl in lists.items()}
    assert titles["team"] == titles["groupChat"] == titles["personal"] == titles["copilot"]


def test_the_bot_is_declared_as_the_custom_engine_agent_with_a_personal_scope(package: Path) -> None:
    """Microsoft 365 Copilot (in Teams and Outlook) offers the bot as an agent: the schema asks for
    the agent's id to be a bot of the manifest that has the personal scope."""
    manifest = _manifest_in(package)
    [agent] = manifest["copilotAgents"]["customEngineAgents"]
    [bot] = manifest["bots"]
    assert agent["id"] == bot["botId"] and agent["type"] == "bot"
    assert {"personal", "copilot"} <= set(bot["scopes"])
    assert len(agent["disclaimer"]["text"]) <= 500
    readme = (APP / "README.md").read_text(encoding="utf-8")
    assert "customEngineAgents" in readme


def test_rsc_permissions_are_for_this_bot_and_each_is_explained(package: Path) -> None:
    manifest = _manifest_in(package)
    assert manifest["webApplicationInfo"]["id"] == manifest["bots"][0]["botId"]
    names = [p["name"] for p in manifest["authorization"]["permissions"]["resourceSpecific"]]
    assert "OnlineMeetingTranscript.Read.Chat" in names and "OnlineMeeting.ReadBasic.Chat" in names
    readme = (APP / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}`" in readme, f"appPackage/README.md does not explain {name}"


def test_the_teams_app_id_is_stable_per_bot_and_differs_between_bots(tmp_path: Path) -> None:
    first = _manifest_in(build.build_package(BOT_ID, "1.0.0", tmp_path / "a"))
    again = _manifest_in(build.build_package(BOT_ID.upper(), "1.0.1", tmp_path / "b"))
    other = _manifest_in(build.build_package("0b7f6a5e-4d3c-4b2a-9180-7f6e5d4c3b2a", "1.0.0", tmp_path / "c"))
    assert first["id"] == again["id"] != other["id"]
    assert again["bots"][0]["botId"] == BOT_ID, "the bot id is written in lower case"
    assert "validDomains" not in first or first["validDomains"] == []


# --- icons and the zip -----------------------------------------------------------------------------


def test_icons_have_teams_sizes_and_the_outline_is_white_on_transparent() -> None:
    color = _pixels((APP / "color.png").read_bytes())
    outline = _pixels((APP / "outline.png").read_bytes())
    assert (len(color), len(color[0])) == (192, 192)
    assert (len(outline), len(outline[0])) == (32, 32)
    assert color[96][20][3] == 255, "the colour icon is opaque inside"
    alphas = {p[3] for row in outline for p in row}
    assert 0 in alphas and 255 in alphas, "the outline has both ink and transparency"
    assert all(p[:3] == (255, 255, 255) or p[3] == 0 for row in outline for p in row)


def test_the_committed_icons_are_what_make_icons_draws(tmp_path: Path) -> None:
    color, outline = make_icons.write_icons(tmp_path)
    assert color.read_bytes() == (APP / "color.png").read_bytes()
    assert outline.read_bytes() == (APP / "outline.png").read_bytes()


def test_a_wrongly_sized_icon_stops_the_build(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    icons.mkdir()
    (icons / "color.png").write_bytes(make_icons.encode_png(make_icons.outline_icon(64)))
    (icons / "outline.png").write_bytes((APP / "outline.png").read_bytes())
    with pytest.raises(ConfigError, match="192x192"):
        build.build_package(BOT_ID, "1.0.0", tmp_path / "out", icons_dir=icons)
    assert not (tmp_path / "out" / build.PACKAGE_NAME).exists()


def test_the_zip_holds_the_manifest_and_both_icons_at_its_root(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert archive.testzip() is None
        manifest = json.loads(archive.read("manifest.json"))
        for key in ("color", "outline"):
            assert archive.read(manifest["icons"][key]) == (APP / manifest["icons"][key]).read_bytes()
    rebuilt = build.build_package(BOT_ID, "1.2.3", tmp_path / "again", domain="mcem-bot.example.org")
    assert rebuilt.read_bytes() == package.read_bytes(), "the same inputs give the same package"


# --- least privilege: the package built with --access rsc -----------------------------------------

# Tenant-wide application permissions that read meetings or transcripts; none may appear in rsc mode.
TENANT_WIDE = (
    "OnlineMeetingTranscript.Read.All",
    "OnlineMeetings.Read.All",
    "OnlineMeetings.ReadWrite.All",
    "OnlineMeetingArtifact.Read.All",
    "Calendars.Read",
    "User.Read.All",
)


@pytest.fixture
def rsc_package(tmp_path: Path) -> Path:
    return build.build_package(BOT_ID, "1.2.3", tmp_path, domain="mcem-bot.example.org", access="rsc")


def test_the_rsc_package_asks_for_chat_consent_only_and_validates_against_v1_24(
    rsc_package: Path, published_schema: dict[str, Any]
) -> None:
    manifest = _manifest_in(rsc_package)
    assert build.schema_errors(manifest, published_schema) == []
    assert manifest["manifestVersion"] == "1.24"
    permissions = manifest["authorization"]["permissions"]
    assert set(permissions) == {"resourceSpecific"}  # nothing but RSC in the manifest
    granted = {(p["name"], p["type"]) for p in permissions["resourceSpecific"]}
    assert granted == {
        ("OnlineMeetingTranscript.Read.Chat", "Application"),
        ("OnlineMeeting.ReadBasic.Chat", "Application"),
    }
    text = json.dumps(manifest)
    assert not [name for name in TENANT_WIDE if name in text]
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": "https://RscPermission"}


def test_the_rsc_entra_manifest_has_no_tenant_wide_meeting_or_transcript_permission(
    rsc_package: Path,
) -> None:
    entra = json.loads((rsc_package.parent / build.ENTRA_MANIFEST).read_text(encoding="utf-8"))
    [graph] = entra["requiredResourceAccess"]
    roles = {a["id"] for a in graph["resourceAccess"]}
    assert roles == {"Sites.Selected"}
    assert not set(TENANT_WIDE) & roles
    tenant = build.entra_manifest("tenant")["requiredResourceAccess"][0]["resourceAccess"]
    assert "OnlineMeetingTranscript.Read.All" in {a["id"] for a in tenant}  # the default mode needs it


def test_the_rsc_package_lists_only_commands_that_work_with_chat_consent(rsc_package: Path) -> None:
    bot = _manifest_in(rsc_package)["bots"][0]
    assert "team" not in bot["scopes"] and "groupChat" in bot["scopes"]  # no channel meetings
    titles = {cl["scopes"][0]: [c["title"] for c in cl["commands"]] for cl in bot["commandLists"]}
    assert titles == {"personal": ["refresh", "help"], "groupChat": ["analyze last meeting", "help"]}
    full = _manifest_in(rsc_package)["description"]["full"]
    assert "meeting's chat" in full and "organizer" in full


def test_the_cli_builds_the_rsc_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--bot-id", BOT_ID, "--out", str(tmp_path), "--access", "rsc"]) == 0
    assert "team" not in _manifest_in(tmp_path / build.PACKAGE_NAME)["bots"][0]["scopes"]
    with pytest.raises(SystemExit):
        build.main(["--bot-id", BOT_ID, "--out", str(tmp_path / "x"), "--access", "chat"])
    assert not (tmp_path / "x").exists()
