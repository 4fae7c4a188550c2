"""Build the Teams app package: ``python appPackage/build.py --bot-id GUID [--version X.Y.Z] [--out DIR]
[--access tenant|rsc]``.

``--access`` matches the bot's MCEM_TRANSCRIPT_ACCESS: ``rsc`` builds the least-privilege package
(personal and meeting-chat scopes, chat-scoped RSC permissions only) and an Entra app manifest
without any tenant-wide meeting or transcript permission.

Fills the ``${{...}}`` placeholders of manifest.template.json, validates the result against the
Teams manifest schema v1.24 (Microsoft's published MicrosoftTeams.schema.v1.24.json: by default the
copy in appPackage/schema/, or the file given with ``--schema``), checks the icons,
and writes ``mcem-analyst.zip`` with manifest.json, color.png and outline.png at the zip's root —
the layout Teams' "Upload an app" and the admin centre expect.

Why a custom validator: the schema declares draft-04 but pins ``manifestVersion`` with ``const``,
a draft-06 keyword that a draft-04 validator silently ignores; and a pattern (extension function
names) uses ``\\p{L}``, which Python's ``re`` rejects. So the validator is draft-04 plus ``const`` plus
patterns matched with the ``regex`` module (which understands ``\\p{L}``) instead of skipping any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import uuid
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft6Validator, ValidationError, validators

from mcem.errors import ConfigError, MCEMError

__all__ = [
    "ACCESS_MODES",
    "GRAPH_PERMISSIONS",
    "ICON_SIZES",
    "build_package",
    "entra_manifest",
    "fill_template",
    "for_access",
    "main",
    "manifest_validator",
    "png_size",
    "schema_errors",
]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATE = HERE / "manifest.template.json"
SCHEMA = HERE / "schema" / "MicrosoftTeams.schema.v1.24.json"
PACKAGE_NAME = "mcem-analyst.zip"
ENTRA_MANIFEST = "aad.manifest.json"  # beside the zip: the app registration's Graph permissions
ICON_SIZES = {"color": 192, "outline": 32}  # Teams' required sizes, in pixels
DEFAULT_PUBLISHER_URL = "https://mcem-analyst.example.com"
# Teams treats a new app id as a new app: derive it from the bot id so every rebuild for the same
# bot updates the same app instead of adding a second one.
APP_ID_NAMESPACE = uuid.UUID("6f1c2d4e-8b7a-4c39-9e51-3a2f0d6b7c18")
# A fixed zip timestamp: the same inputs give the same package bytes.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

# MCEM_TRANSCRIPT_ACCESS: "tenant" (application permissions granted in Entra, any meeting) or
# "rsc" (resource-specific consent only: the meetings of the chats the app is added to).
ACCESS_MODES = ("tenant", "rsc")
# The Microsoft Graph application permissions the bot's Entra app registration needs in each mode
# (deploy/README.md says what each is for). Teams grants the RSC ones of the manifest per chat.
GRAPH_PERMISSIONS = {
    "tenant": (
        "Calendars.Read",
        "OnlineMeetings.Read.All",
        "OnlineMeetingTranscript.Read.All",
        "User.Read.All",
        "Sites.Selected",
        "Mail.Send",
    ),
    # The draft's library only; the Email button would add Mail.Send and User.Read.All.
    "rsc": ("Sites.Selected",),
}
# In rsc mode the bot reads no calendar: it analyses the meeting of the chat it is asked in, and
# channel meetings are outside chat consent, so the team scope goes (and only it).
RSC_DROPPED_SCOPES = frozenset({"team"})
RSC_COMMANDS = {"personal": ("refresh", "help"), "groupChat": ("analyze last meeting", "help")}
RSC_LEAD = (
    "Add MCEM Analyst to a customer meeting's chat. When the meeting ends (or when someone says "
    "'analyze last meeting' in that chat) it reads the transcript and sends the organizer the MCEM "
    "Interview Analysis in their personal chat with the app."
)
TENANT_LEAD = "After a customer call in Teams, ask MCEM Analyst to 'analyze last meeting'."

_PLACEHOLDER = re.compile(r"\$\{\{([A-Z0-9_]+)\}\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(
    r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _regex_pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    """``pattern`` with the ``regex`` module: ECMA-262 patterns may use \\p{L}, ``re`` cannot."""
    try:
        import regex
    except ImportError:  # a dev extra: `pip install -e '.[dev]'` brings it
        raise ConfigError("the manifest check needs the regex package: pip install regex") from None
    if validator.is_type(instance, "string") and regex.search(pattern, instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def manifest_validator(schema: Mapping[str, Any]) -> Any:
    """A validator for the Teams manifest schema that enforces ``const`` and understands \\p{L}."""
    cls = validators.extend(
        Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"], "pattern": _regex_pattern}
    )
    return cls(schema)


def load_schema(path: Path = SCHEMA) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ConfigError(
            f"the Teams manifest schema is not at {path}: download MicrosoftTeams.schema.v1.24.json "
            "from Microsoft's developer.microsoft.com/json-schemas and pass --schema PATH"
        ) from None
    except ValueError:
        raise ConfigError(
            f"{path} is not valid JSON: pass --schema with the published v1.24 schema"
        ) from None


def schema_errors(manifest: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every schema violation as ``path: message``, sorted; empty when the manifest is valid."""
    found = manifest_validator(schema).iter_errors(manifest)
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in found)


def fill_template(template: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Replace each ``${{NAME}}``; ConfigError when the template names a value we were not given."""
    missing = sorted({m for m in _PLACEHOLDER.findall(template) if m not in values})
    if missing:
        raise ConfigError(f"manifest template placeholder(s) {', '.join(missing)} have no value: pass them.")
    # json.dumps escapes quotes and backslashes, so a value cannot break out of its JSON string.
    text = _PLACEHOLDER.sub(lambda m: json.dumps(values[m[1]])[1:-1], template)
    manifest = json.loads(text)
    # No domain given: no validDomains entry (a bot without tabs or sign-in pages needs none).
    if "validDomains" in manifest:
        manifest["validDomains"] = [d for d in manifest["validDomains"] if d]
    return manifest


def png_size(data: bytes, name: str) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR; ConfigError when it is not an RGBA PNG."""
    if not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ConfigError(f"{name} is not a PNG file: run `python appPackage/make_icons.py`.")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[25] != 6:  # colour type 6 = RGBA; the outline icon needs its transparency
        raise ConfigError(f"{name} is not an RGBA PNG: run `python appPackage/make_icons.py`.")
    return width, height


def _check_icons(manifest: Mapping[str, Any], directory: Path) -> dict[str, bytes]:
    icons: dict[str, bytes] = {}
    for key, size in ICON_SIZES.items():
        name = manifest["icons"][key]
        path = directory / name
        if not path.is_file():
            raise ConfigError(
                f"icon {name} is missing from {directory}: run `python appPackage/make_icons.py`."
            )
        data = path.read_bytes()
        if png_size(data, name) != (size, size):
            raise ConfigError(
                f"icon {name} must be {size}x{size} pixels: run `python appPackage/make_icons.py`."
            )
        icons[name] = data
    return icons


def _check_arguments(bot_id: str, version: str, domain: str, publisher_url: str, semver: str) -> None:
    if not _GUID.match(bot_id):
        raise ConfigError(
            f"--bot-id {bot_id!r} is not a GUID: use the Azure Bot's Microsoft App ID "
            "(the Entra app registration's client id, e.g. 00000000-0000-0000-0000-000000000000)."
        )
    if not re.match(semver, version):
        raise ConfigError(
            f"--version {version!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.3): Teams requires that form."
        )
    if domain and not _HOST.match(domain):
        raise ConfigError(
            f"--domain {domain!r} is not a host name: give it without https:// or a path, "
            "e.g. mcem-bot.blueriver-1234.westeurope.azurecontainerapps.io."
        )
    if not publisher_url.startswith("https://") or publisher_url.endswith("/"):
        raise ConfigError(
            f"--publisher-url {publisher_url!r} must start with https:// and have no trailing slash."
        )


def for_access(manifest: Mapping[str, Any], access: str) -> dict[str, Any]:
    """The manifest for ``access``: unchanged for tenant; for rsc, the scopes and commands that
    work with chat consent alone, and a description that says how to use it."""
    if access not in ACCESS_MODES:
        raise ConfigError(f"--access {access!r} is not tenant or rsc.")
    shaped = json.loads(json.dumps(manifest))
    if access == "tenant":
        return shaped
    bot = shaped["bots"][0]
    bot["scopes"] = [scope for scope in bot["scopes"] if scope not in RSC_DROPPED_SCOPES]
    lists = [entry for entry in bot["commandLists"] if entry["scopes"][0] in RSC_COMMANDS]
    for entry in lists:
        wanted = RSC_COMMANDS[entry["scopes"][0]]
        entry["commands"] = [c for c in entry["commands"] if c["title"] in wanted]
    bot["commandLists"] = lists
    full = shaped["description"]["full"]
    if TENANT_LEAD not in full:
        raise ConfigError("the manifest template's description lost its first sentence: update RSC_LEAD.")
    shaped["description"]["full"] = full.replace(TENANT_LEAD, RSC_LEAD)
    return shaped


def entra_manifest(access: str) -> dict[str, Any]:
    """The bot's Entra app registration as the Agents Toolkit's ``aadApp/update`` applies it:
    the Graph application permissions of ``access`` and nothing else. ``${{...}}`` are the
    toolkit's own variables, which it fills from env/.env.<environment> (m365agents.yml)."""
    if access not in ACCESS_MODES:
        raise ConfigError(f"--access {access!r} is not tenant or rsc.")
    return {
        "id": "${{BOT_OBJECT_ID}}",
        "appId": "${{BOT_ID}}",
        "name": "MCEM Analyst",
        "signInAudience": "AzureADMyOrg",
        "requiredResourceAccess": [
            {
                # The toolkit reads names here and looks up the app and role ids itself.
                "resourceAppId": "Microsoft Graph",
                "resourceAccess": [{"id": name, "type": "Role"} for name in GRAPH_PERMISSIONS[access]],
            }
        ],
    }


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def render_manifest(
    bot_id: str,
    version: str,
    *,
    domain: str = "",
    publisher_url: str = DEFAULT_PUBLISHER_URL,
    app_id: str | None = None,
    template: Path = TEMPLATE,
    schema: Mapping[str, Any] | None = None,
    access: str = "tenant",
) -> dict[str, Any]:
    """The filled manifest for ``access``, validated; ConfigError with the first problems when it
    is not valid."""
    schema = schema if schema is not None else load_schema()
    _check_arguments(bot_id, version, domain, publisher_url, schema["definitions"]["semver"]["pattern"])
    bot_id = bot_id.lower()
    values = {
        "BOT_ID": bot_id,
        "TEAMS_APP_ID": (app_id or str(uuid.uuid5(APP_ID_NAMESPACE, bot_id))).lower(),
        "APP_VERSION": version,
        "BOT_DOMAIN": domain,
        "PUBLISHER_URL": publisher_url,
    }
    manifest = for_access(fill_template(template.read_text(encoding="utf-8"), values), access)
    errors = schema_errors(manifest, schema)
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ConfigError(
            f"the manifest does not match the Teams schema v1.24: {'; '.join(errors[:3])}{more}."
        )
    return manifest


def build_package(
    bot_id: str,
    version: str | None = None,
    out_dir: Path = HERE / "build",
    *,
    domain: str = "",
    publisher_url: str = DEFAULT_PUBLISHER_URL,
    app_id: str | None = None,
    icons_dir: Path = HERE,
    schema_path: Path = SCHEMA,
    access: str = "tenant",
) -> Path:
    """Write ``out_dir/mcem-analyst.zip`` (and manifest.json beside it, for review, and
    aad.manifest.json, the Entra app registration's permissions for ``access``); return the zip."""
    manifest = render_manifest(
        bot_id,
        version or project_version(),
        domain=domain,
        publisher_url=publisher_url,
        app_id=app_id,
        schema=load_schema(schema_path),
        access=access,
    )
    icons = _check_icons(manifest, icons_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    body = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    target = out_dir / PACKAGE_NAME
    partial = target.with_suffix(".zip.partial")  # never leave a half-written package behind
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("manifest.json", body.encode("utf-8")), *icons.items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    partial.replace(target)
    (out_dir / "manifest.json").write_text(body, encoding="utf-8")
    entra = json.dumps(entra_manifest(access), indent=2) + "\n"
    (out_dir / ENTRA_MANIFEST).write_text(entra, encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python appPackage/build.py", description="Build the MCEM Analyst Teams app package."
    )
    parser.add_argument("--bot-id", required=True, help="the Azure Bot's Microsoft App ID (a GUID)")
    parser.add_argument("--version", help="app version MAJOR.MINOR.PATCH [the project's version]")
    parser.add_argument("--out", type=Path, default=HERE / "build", help="output folder [appPackage/build]")
    parser.add_argument("--domain", default="", help="the bot's host name, for validDomains [none]")
    parser.add_argument("--publisher-url", default=DEFAULT_PUBLISHER_URL, help="https base of privacy/terms")
    parser.add_argument("--app-id", help="Teams app id (a GUID) [derived from the bot id]")
    parser.add_argument(
        "--access",
        choices=ACCESS_MODES,
        default="tenant",
        help="transcript access the bot runs with (its MCEM_TRANSCRIPT_ACCESS) [tenant]",
    )
    parser.add_argument(
        "--schema", type=Path, default=SCHEMA, help="MicrosoftTeams.schema.v1.24.json [appPackage/schema]"
    )
    args = parser.parse_args(argv)
    try:
        if args.app_id is not None and not _GUID.match(args.app_id):
            raise ConfigError(f"--app-id {args.app_id!r} is not a GUID.")
        path = build_package(
            args.bot_id,
            args.version,
            args.out,
            domain=args.domain,
            publisher_url=args.publisher_url,
            app_id=args.app_id,
            schema_path=args.schema,
            access=args.access,
        )
    except MCEMError as err:
        print(f"appPackage/build.py: {err}", file=sys.stderr)
        return 2
    print(path)
    if args.publisher_url == DEFAULT_PUBLISHER_URL:
        print(
            f"note: privacy and terms links point at {DEFAULT_PUBLISHER_URL}; pass --publisher-url "
            "with your own before publishing to your organisation.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
