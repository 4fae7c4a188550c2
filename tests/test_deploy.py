"""deploy/: the container image recipe and the Azure template agree with what the bot reads.

The Bicep CLI cannot be installed on this machine, so the template is checked here by reading it:
its app settings are evaluated into an environment and fed to the bot's own settings functions.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from bot.settings import DEFAULT_PORT, settings_from_env
from graph.credentials import credential_from_env, graph_settings_from_env
from mcem.llm.settings import llm_settings_from_env
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
BICEP = (DEPLOY / "main.bicep").read_text(encoding="utf-8")
_NAME_LITERAL = re.compile(r"""["']((?:MCEM|AZURE|OPENAI)_[A-Z0-9_]*[A-Z0-9])["']""")


def names_read_by_the_bot() -> set[str]:
    names: set[str] = set()
    # Dev tools (devtools/, graph/emulator/) live in their own folders and read other variables.
    for folder in ("bot", "graph", "mcem/llm"):
        for path in (ROOT / folder).glob("*.py"):
            names |= set(_NAME_LITERAL.findall(path.read_text(encoding="utf-8")))
    # The Agents SDK reads its own keys (load_configuration_from_env); .env.example lists them.
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names |= set(re.findall(r"^(CONNECTIONS__[A-Z_]+)=", example, re.M))
    return names


def bicep_settings() -> dict[str, tuple[str, str]]:
    """The container's env entries: name -> ("value" | "secretRef", Bicep expression)."""
    entries = re.findall(r"\{\s*name: '([A-Za-z0-9_]+)'\s*\n\s*(value|secretRef): (.+?)\s*\n\s*\}", BICEP)
    settings = {name: (kind, expr) for name, kind, expr in entries}
    assert len(settings) == len(entries), "an app setting is listed twice"
    return settings


def optional_in_readme() -> set[str]:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Optional settings the template leaves unset", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for line in joined.splitlines()
        if line.strip()
        for parts in [line.strip().split(None, 1)]
    ]


def instruction(name: str) -> list[str]:
    return [args for ins, args in dockerfile() if ins == name]


# --- the template's settings against the code ---------------------------------------------------


def test_every_setting_the_bot_reads_is_set_by_the_template_or_documented_as_optional() -> None:
    read = names_read_by_the_bot()
    assert {"MCEM_ALLOWED_TENANTS", "AZURE_CLIENT_ID", "MCEM_STATE_PATH"} <= read  # the grep works
    unaccounted = read - set(bicep_settings()) - optional_in_readme()
    assert unaccounted == set(), "set these in deploy/main.bicep or list them as optional in deploy/README.md"


def test_the_template_and_the_readme_name_only_settings_the_bot_reads() -> None:
    read = names_read_by_the_bot()
    assert set(bicep_settings()) - read == set(), "a setting in main.bicep that the bot never reads"
    assert optional_in_readme() - read == set(), "deploy/README.md lists a setting the bot never reads"
    assert set(bicep_settings()) & optional_in_readme() == set()


def test_every_name_the_template_and_readme_use_is_documented_in_env_example() -> None:
    example = set(
        re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)
    )
    assert (set(bicep_settings()) | optional_in_readme()) - example == set()


def test_secrets_come_from_key_vault_references_not_values() -> None:
    settings = bicep_settings()
    for name in (
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET",
        "AZURE_CLIENT_SECRET",
        "MCEM_NOTIFICATION_CLIENT_STATE",
    ):
        assert settings[name][0] == "secretRef", name
    secret_names = set(re.findall(r"name: '([a-z-]+)'\n\s*keyVaultUrl:", BICEP))
    assert {expr for kind, expr in settings.values() if kind == "secretRef"} == {
        f"'{s}'" for s in secret_names
    }
    secure = set(re.findall(r"@secure\(\)\nparam (\w+)", BICEP))
    assert secure == {"botAppSecret", "notificationClientState"}
    for kind, expr in settings.values():
        assert kind == "secretRef" or not set(re.findall(r"\w+", expr)) & secure, expr


def _bicep_env(fakes: dict[str, str]) -> dict[str, str]:
    """Evaluate the app settings the way ARM would for one deployment (the 'true' branch of each
    condition; parameters without a default from ``fakes``)."""
    literals: dict[str, str] = {}
    for _kind, name, value in re.findall(r"^(param|var) (\w+)(?: \w+)? = (.+)$", BICEP, re.M):
        value = value.split(" //")[0].strip()
        if re.fullmatch(r"'[^'$]*'|\d+", value):
            literals[name] = value.strip("'")

    def evaluate(expr: str) -> str:
        expr = expr.strip()
        if "?" in expr:  # a ? b : c -> b
            expr = expr.split("?", 1)[1].split(" : ", 1)[0]
            return evaluate(expr)
        if expr.startswith("'"):
            return re.sub(r"\$\{(\w+)\}", lambda m: evaluate(m[1]), expr.strip("'"))
        if m := re.fullmatch(r"string\((\w+)\)", expr):
            return evaluate(m[1])
        if expr in fakes:
            return fakes[expr]
        if expr in literals:
            return literals[expr]
        raise AssertionError(f"no value for the Bicep expression {expr!r}: add it to the test's fakes")

    env = {}
    for name, (kind, expr) in bicep_settings().items():
        env[name] = "a-secret-from-key-vault-0123456789" if kind == "secretRef" else evaluate(expr)
    return env


TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
FAKES = {
    "botAppId": "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "tenant().tenantId": TENANT,
    "allowedTenants": TENANT,
    "tenantDomains": "contoso.com",
    "sharePointDriveId": "b!drive-id",
    "sharePointFolder": "",
    "autoAnalyze": "true",
    "publicUrl": "https://mcemanalyst-bot.blueriver-1234.westeurope.azurecontainerapps.io",
    "openAi.properties.endpoint": "https://oai-mcemanalyst-abc123.openai.azure.com/",
    "openAiDeploymentName": "gpt-4o",
    "storage.properties.primaryEndpoints.table": "https://stmcemanalystabc123.table.core.windows.net/",
}


async def test_the_template_settings_are_a_valid_authenticated_production_configuration() -> None:
    env = _bicep_env(FAKES)
    bot = settings_from_env(env)
    assert not bot.anonymous and bot.client_id == FAKES["botAppId"]
    assert bot.host == "0.0.0.0" and bot.allowed_tenants == {TENANT}
    assert bot.port == DEFAULT_PORT
    assert bot.auto_analyze and bot.notification_url == FAKES["publicUrl"] + "/api/notifications"
    mount = re.search(r"volumeMounts: \[\s*\{\s*volumeName: '(\w+)'\s*mountPath: (\w+)", BICEP)
    assert mount is not None
    mount_path = re.search(rf"^var {mount[2]} = '([^']+)'", BICEP, re.M)
    assert mount_path is not None and bot.state_path.startswith(mount_path[1] + "/"), "state on the share"
    assert bot.state_backend == "azure" and bot.state_table_url.endswith(".table.core.windows.net")
    graph = graph_settings_from_env(env)
    assert graph.drive_id and graph.base_url == "", "production talks to the real Graph"
    llm = llm_settings_from_env(env)
    assert llm is not None and llm.provider == "azure" and llm.uses_entra_id
    credential = credential_from_env(env)
    try:
        # The secret is set, so Graph (and DefaultAzureCredential for Azure OpenAI) sign in as the
        # bot's app registration — the identity the README grants the permissions to.
        assert type(credential).__name__ == "ClientSecretCredential"
    finally:
        await credential.close()


def test_ports_and_health_path_agree_across_image_template_and_bot() -> None:
    assert re.search(rf"var botPort = {DEFAULT_PORT}\b", BICEP)
    assert re.search(r"targetPort: botPort", BICEP)
    assert instruction("EXPOSE") == [str(DEFAULT_PORT)]
    probes = set(re.findall(r"path: '(/[^']*)'", BICEP))
    health = instruction("HEALTHCHECK")
    assert len(health) == 1 and probes == {"/api/health"} and "/api/health" in health[0]
    assert 'add_get("/api/health"' in (ROOT / "bot" / "app.py").read_text()


def test_parameters_example_matches_the_template() -> None:
    example = json.loads((DEPLOY / "main.parameters.example.json").read_text(encoding="utf-8"))
    declared = dict(re.findall(r"^param (\w+) \w+( = .+)?$", BICEP, re.M))
    assert set(example["parameters"]) <= set(declared), "the example sets a parameter the template lacks"
    required = {name for name, default in declared.items() if not default}
    assert required <= set(example["parameters"]), "the example leaves out a required parameter"
    for name in declared:
        assert len(re.findall(rf"\b{name}\b", BICEP)) > 1, f"parameter {name} is never used"


def _without_strings_and_comments(text: str) -> str:
    """Bicep source with each '...' string emptied and // comments removed ('https://' is no comment)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "'":
            end = i + 1
            while text[end] != "'":
                end += 2 if text[end] == "\\" else 1
            out.append("''")
            i = end + 1
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def test_the_template_is_structurally_sound() -> None:
    code = _without_strings_and_comments(BICEP)
    for opening, closing in ("{}", "[]", "()"):
        assert code.count(opening) == code.count(closing), f"unbalanced {opening}{closing}"
    declared = set(re.findall(r"^(?:param|var|resource|output) (\w+)", BICEP, re.M))
    used = set(re.findall(r"\b([a-zA-Z]\w*)\.(?:properties|id|name|listKeys)\b", code))
    assert used - declared == set(), "a reference to a symbol the template does not declare"
    # A symbol named like a Bicep function (environment, tenant, resourceGroup) would shadow it.
    assert not declared & {"environment", "tenant", "resourceGroup", "subscription", "string", "concat"}
    for resource_type in re.findall(r"^resource \w+ '([^']+)'", BICEP, re.M):
        assert re.fullmatch(r"Microsoft\.[A-Za-z]+/[A-Za-z/]+@\d{4}-\d{2}-\d{2}(-preview)?", resource_type)


# --- the image ---------------------------------------------------------------------------------------


def test_the_image_runs_the_bot_module_as_a_non_root_user_without_dev_extras() -> None:
    assert instruction("FROM")[0].startswith("python:3.11-slim")
    assert instruction("CMD") == ['["python", "-m", "bot"]']
    assert (ROOT / "bot" / "__main__.py").is_file()
    user = instruction("USER")
    assert len(user) == 1 and user[0].split(":")[0] not in ("0", "root")
    installs = [args for args in instruction("RUN") if "pip install" in args]
    assert len(installs) == 1 and "[dev]" not in installs[0] and "-e " not in installs[0]
    env = " ".join(instruction("ENV"))
    assert f"MCEM_BOT_PORT={DEFAULT_PORT}" in env and "MCEM_STATE_PATH=/data/" in env


def test_the_image_copies_every_first_party_package_the_bot_imports() -> None:
    copied = {args.split()[0] for args in instruction("COPY") if not args.startswith("--from")}
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"tests"}
    imported: set[str] = set()
    for folder in copied & packages:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            imported |= set(re.findall(r"^\s*(?:from|import) (\w+)", text, re.M)) & packages
    assert {"bot", "mcem", "graph", "cards", "prompts"} <= copied
    assert imported <= copied, f"the bot imports {imported - copied}, which the image does not copy"
    assert "pyproject.toml" in copied
    # Everything pyproject packages (and its package data, e.g. prompts/*.txt) is in the build stage.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packaged = {pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]}
    assert packaged <= copied and set(setuptools["package-data"]) <= copied


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    command = instruction("HEALTHCHECK")[0].split("CMD", 1)[1].strip()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MCEM_BOT_PORT": str(port),
    }
    return subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=30)


def test_the_healthcheck_command_passes_against_the_running_bot_and_fails_without_it(tmp_path: Path) -> None:
    port = _free_port()
    assert _healthcheck(port).returncode != 0, "nothing listens yet"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTIONS__", "MCEM_", "AZURE_"))}
    env = clean | {
        "MCEM_BOT_PORT": str(port),
        "MCEM_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "MCEM_GRAPH_BASE_URL": "http://127.0.0.1:9/v1.0",  # never contacted: no request is sent
        "MCEM_SHAREPOINT_DRIVE_ID": "b!drive",
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        result = _healthcheck(port)
        while result.returncode != 0 and time.monotonic() < deadline and bot.poll() is None:
            time.sleep(0.3)
            result = _healthcheck(port)
        assert bot.poll() is None, f"the bot stopped: {bot.stderr.read() if bot.stderr else ''}"
        assert result.returncode == 0, result.stderr
    finally:
        bot.terminate()
        bot.communicate(timeout=30)


def test_the_image_defaults_refuse_anonymous_mode_on_a_public_address() -> None:
    """The image listens on 0.0.0.0: started without a bot app id it must stop, not serve openly."""
    image_env = dict(
        pair.split("=", 1) for args in instruction("ENV") for pair in shlex.split(args) if "=" in pair
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTIONS__", "MCEM_", "AZURE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=clean
        | {k: v for k, v in image_env.items() if k.startswith("MCEM_")}
        | {"MCEM_STATE_PATH": ":memory:"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "is not a loopback address, but no bot app id is set" in result.stderr


@pytest.mark.parametrize(
    "pattern",
    # The last two: dev tools stay out of the image by folder.
    [
        ".venv",
        "node_modules",
        ".git",
        "tests",
        "test-artifacts",
        ".pytest_cache",
        ".env",
        "out",
        "devtools",
        "graph/emulator",
    ],
)
def test_dockerignore_keeps_local_and_secret_files_out_of_the_build_context(pattern: str) -> None:
    lines = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert pattern in lines
