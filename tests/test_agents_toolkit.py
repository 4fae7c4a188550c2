"""The Microsoft 365 Agents Toolkit project files: m365agents*.yml against the toolkit's published
YAML schema (tests/specs/m365agents-yaml-v1.13.schema.json), every variable they use defined, every
file they name present, and the commands they run working on this repository."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.settings import settings_from_env
from graph.emulator.seed import DRIVE_ID
from tests.conftest import ROOT, SPECS

SCHEMA = json.loads((SPECS / "m365agents-yaml-v1.13.schema.json").read_text(encoding="utf-8"))
# Each project file and the toolkit environment (env/.env.<name>) it runs in.
PROJECT_FILES = {
    "m365agents.yml": "dev",
    "m365agents.local.yml": "local",
    "m365agents.playground.yml": "playground",
}
_VARIABLE = re.compile(r"\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# Set by the toolkit itself, not by an env file or an action.
TOOLKIT_VARIABLES = {"TEAMSFX_ENV"}
BOT_ID = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
TEAMS_APP_ID = "6a0c7d55-1f52-4c2b-9c62-2f6f0b3a4e11"


def project(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def env_file(environment: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (ROOT / "env" / f".env.{environment}").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def actions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for stage in ("provision", "deploy", "publish") for a in document.get(stage) or []]


def validator() -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    return jsonschema.Draft7Validator(SCHEMA)


@pytest.mark.parametrize("name", sorted(PROJECT_FILES))
def test_each_project_file_validates_against_the_toolkits_published_schema(name: str) -> None:
    document = project(name)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(document)
    ]
    assert errors == []
    assert document["version"] == SCHEMA["properties"]["version"]["const"]
    first_line = (ROOT / name).read_text(encoding="utf-8").splitlines()[0]
    assert (
        first_line
        == f"# yaml-language-server: $schema=https://aka.ms/m365-agents-toolkits/{document['version']}/yaml.schema.json"
    )


def test_the_schema_refuses_what_the_toolkit_would_refuse() -> None:
    document = project("m365agents.yml")
    wrong_version = dict(document, version="v1.0")
    unknown_action = dict(document, deploy=[{"uses": "teamsApp/doSomething", "with": {}}])
    missing_path = dict(
        document, deploy=[{"uses": "arm/deploy", "with": {"subscriptionId": "x", "templates": []}}]
    )
    for broken in (wrong_version, unknown_action, missing_path):
        assert list(validator().iter_errors(broken)), broken


@pytest.mark.parametrize(("name", "environment"), sorted(PROJECT_FILES.items()))
def test_every_variable_a_project_file_uses_is_defined_before_use(name: str, environment: str) -> None:
    known = set(env_file(environment)) | TOOLKIT_VARIABLES
    document = project(name)
    used_files = (
        [ROOT / "deploy" / "azure.parameters.json"]
        if any(a["uses"] == "arm/deploy" for a in actions(document))
        else []
    )
    for action in actions(document):
        text = json.dumps(action.get("with") or {})
        if action["uses"] == "arm/deploy":
            text += "".join(p.read_text(encoding="utf-8") for p in used_files)
        used = set(_VARIABLE.findall(text))
        undefined = {v for v in used - known if not v.startswith("SECRET_")}  # secrets: env/.env.*.user
        assert undefined == set(), (
            f"{name}: {action['uses']} uses {sorted(undefined)} before anything sets it"
        )
        known |= set((action.get("writeToEnvironmentFile") or {}).values())
        if action["uses"] == "arm/deploy":
            # The template's outputs, as the toolkit's arm/deploy names them: upper-cased, nothing
            # inserted (its convertOutput: botDomain -> BOTDOMAIN).
            outputs = re.findall(r"^output (\w+)", (ROOT / "deploy" / "main.bicep").read_text("utf-8"), re.M)
            known |= {o.upper() for o in outputs}


def test_the_dev_tunnel_writes_what_the_local_file_reads() -> None:
    tasks = json.loads((ROOT / ".vscode" / "tasks.json").read_text(encoding="utf-8"))
    [tunnel] = [t for t in tasks["tasks"] if t.get("command") == "debug-start-local-tunnel"]
    written = set(tunnel["args"]["ports"][0]["writeToEnvironmentFile"].values())
    assert written == {"BOT_ENDPOINT", "BOT_DOMAIN"}
    assert tunnel["args"]["ports"][0]["portNumber"] == 3978  # the bot's default port
    assert {"BOT_ENDPOINT", "BOT_DOMAIN"} <= set(env_file("local"))


def test_the_files_and_parameters_they_name_exist() -> None:
    for name in PROJECT_FILES:
        for action in actions(project(name)):
            for template in (action.get("with") or {}).get("templates", []):
                assert (ROOT / template["path"]).is_file() and (ROOT / template["parameters"]).is_file()
            run = (action.get("with") or {}).get("run", "")
            for script in re.findall(r"\b[\w/]+\.py\b", run):
                assert (ROOT / script).is_file(), script
    parameters = json.loads((ROOT / "deploy" / "azure.parameters.json").read_text(encoding="utf-8"))[
        "parameters"
    ]
    declared = set(re.findall(r"^param (\w+)", (ROOT / "deploy" / "main.bicep").read_text("utf-8"), re.M))
    assert set(parameters) <= declared, set(parameters) - declared


def _filled(text: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: values[m.group(1)], text)


@pytest.mark.parametrize("access", ["tenant", "rsc"])
def test_the_package_build_the_toolkit_runs_writes_what_its_next_actions_read(
    access: str, tmp_path: Path
) -> None:
    document = project("m365agents.yml")
    [build, *_] = [
        a for a in document["provision"] if a["uses"] == "script" and "build.py" in a["with"]["run"]
    ]
    values = {
        "BOT_ID": BOT_ID,
        "TEAMS_APP_ID": TEAMS_APP_ID,
        "MCEM_TRANSCRIPT_ACCESS": access,
        "PUBLISHER_URL": env_file("dev")["PUBLISHER_URL"],
    }
    command = _filled(build["with"]["run"], values).split()
    assert command[0] == ".venv/bin/python"
    out = tmp_path / "build"
    command = [sys.executable, *command[1:-1], str(out)]  # the same script, written to tmp_path
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    [update] = [a for a in document["provision"] if a["uses"] == "aadApp/update"]
    [upload] = [a for a in document["provision"] if a["uses"] == "teamsApp/update"]
    assert (out / Path(update["with"]["manifestPath"]).name).is_file()
    assert (out / Path(upload["with"]["appPackagePath"]).name).is_file()
    entra = json.loads((out / Path(update["with"]["manifestPath"]).name).read_text(encoding="utf-8"))
    roles = {r["id"] for r in entra["requiredResourceAccess"][0]["resourceAccess"]}
    assert ("OnlineMeetingTranscript.Read.All" in roles) is (access == "tenant")
    assert manifest_id(out) == TEAMS_APP_ID  # the Developer Portal's app, not a second one


def manifest_id(out: Path) -> str:
    return str(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["id"])


def test_the_playground_settings_are_ones_the_bot_starts_with() -> None:
    [write] = [a for a in actions(project("m365agents.playground.yml")) if a["uses"].startswith("file/")]
    values = env_file("playground")
    settings = {k: _filled(str(v), values) for k, v in write["with"]["envs"].items()}
    assert settings["MCEM_SHAREPOINT_DRIVE_ID"] == DRIVE_ID  # the emulator's library
    assert settings["MCEM_GRAPH_BASE_URL"].startswith("http://127.0.0.1:")
    bot = settings_from_env(settings)
    assert bot.anonymous and bot.host == "127.0.0.1"  # local mode: loopback only


def test_the_launch_configurations_read_what_the_deploy_steps_write() -> None:
    launch = json.loads((ROOT / ".vscode" / "launch.json").read_text(encoding="utf-8"))
    tasks = {t["label"]: t for t in json.loads((ROOT / ".vscode" / "tasks.json").read_text("utf-8"))["tasks"]}
    for configuration in launch["configurations"]:
        task = tasks[configuration["preLaunchTask"]]
        deploys = [tasks[d] for d in task["dependsOn"] if tasks[d].get("command") == "deploy"]
        [deploy] = deploys
        name = {v: k for k, v in PROJECT_FILES.items()}[deploy["args"]["env"]]
        [write] = [a for a in project(name)["deploy"] if a["uses"] == "file/createOrUpdateEnvironmentFile"]
        assert configuration["envFile"] == "${workspaceFolder}/" + write["with"]["target"].removeprefix("./")
    playground = tasks["Start Agents Playground"]
    assert "--disable-telemetry" in playground["command"]
    env = playground["options"]["env"]
    assert env["APPLICATION_INSIGHTS_NO_STATSBEAT"] == "true" and env["TEAMSAPPTESTER_BROWSER"] == "none"
    assert "devtools/loopback-only.cjs" in env["NODE_OPTIONS"]


def test_secrets_and_generated_settings_stay_out_of_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"env/.env.*.user", ".localConfigs*"} <= set(ignored)
    for environment in PROJECT_FILES.values():
        assert not [k for k in env_file(environment) if k.startswith("SECRET_")]
