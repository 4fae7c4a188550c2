"""deploy/: the container image recipe and the Azure template agree with what the bot reads.

The Bicep CLI cannot be installed on this machine, so the template is parsed (tests/bicep.py, the
parser checkov uses): its app settings are evaluated into an environment for given parameters and fed
to the bot's own settings functions, and what it builds is read from the parsed resources.
"""

from __future__ import annotations

import ipaddress
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
from typing import Any

import pytest

from bot.settings import DEFAULT_PORT, settings_from_env
from graph.credentials import credential_from_env, graph_settings_from_env
from mcem.llm.settings import llm_settings_from_env
from mcem.telemetry_export import telemetry_wanted
from tests.bicep import BUILTIN_ROOTS, Evaluator, Template, render, walk
from tests.checkov_offline import inline_suppressions
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
TEMPLATE = Template(DEPLOY / "main.bicep")
_NAME_LITERAL = re.compile(r"""["']((?:MCEM|AZURE|OPENAI|APPLICATIONINSIGHTS|OTEL)_[A-Z0-9_]*[A-Z0-9])["']""")


def names_read_by_the_bot() -> set[str]:
    names: set[str] = set()
    # Dev tools (devtools/, graph/emulator/) live in their own folders and read other variables.
    # mcem/engines.py chooses the bot's analyzer (and reads MCEM_OUTPUT_LANGUAGE for it).
    paths = [p for folder in ("bot", "graph", "mcem/llm") for p in (ROOT / folder).glob("*.py")]
    # mcem/telemetry_export.py chooses where the bot's telemetry goes.
    for path in [*paths, ROOT / "mcem" / "engines.py", ROOT / "mcem" / "telemetry_export.py"]:
        names |= set(_NAME_LITERAL.findall(path.read_text(encoding="utf-8")))
    # The Agents SDK reads its own keys (load_configuration_from_env); .env.example lists them.
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names |= set(re.findall(r"^(CONNECTIONS__[A-Z_]+)=", example, re.M))
    return names


def app() -> dict[str, Any]:
    """The Container App's properties."""
    return TEMPLATE.body("app")["properties"]


def _entries(node: Any) -> list[dict[str, Any]]:
    """The {name, value | secretRef} objects an env or secrets expression can produce, every branch."""
    if isinstance(node, str) and node in TEMPLATE.variables:
        return _entries(TEMPLATE.variables[node]["value"])
    if isinstance(node, list):
        return [
            e
            for item in node
            for e in ([item] if isinstance(item, dict) and "name" in item else _entries(item))
        ]
    if isinstance(node, dict):
        inner = node.get("operator") or node.get("function")
        if isinstance(inner, dict):
            return [
                e
                for operand in (inner.get("operands") or inner.get("parameters") or {}).values()
                for e in _entries(operand)
            ]
    return []


def bicep_settings() -> dict[str, tuple[str, Any]]:
    """The container's env entries: name -> ("value" | "secretRef", parsed expression)."""
    containers = app()["template"]["containers"]
    assert len(containers) == 1
    entries = _entries(containers[0]["env"])
    settings = {
        e["name"]: ("secretRef", e["secretRef"]) if "secretRef" in e else ("value", e["value"])
        for e in entries
    }
    assert len(settings) == len(entries), "an app setting is listed twice"
    return settings


TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# A deployment with every option on; parameters without a default first.
PARAMS: dict[str, Any] = {
    "containerImage": "myregistry.azurecr.io/mcem-analyst-bot:0.1.0",
    "botAppId": "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "botAppSecret": "never-read-by-the-evaluator",
    "sharePointDriveId": "b!drive-id",
    "tenantDomains": "contoso.com",
    "notificationClientState": "never-read-by-the-evaluator-either",
    "deployOpenAi": True,
    "stateBackend": "azure",
}
# What only Azure knows, by the expression's text.
FAKES: dict[str, Any] = {
    "tenant().tenantId": TENANT,
    "suffix": "k3xq7v2m9p4tb",
    "environment().suffixes.storage": "core.windows.net",
    "containerEnv.properties.defaultDomain": "blueriver-1234.westeurope.azurecontainerapps.io",
    "openAi.properties.endpoint": "https://oai-mcemanalyst-k3xq7v.openai.azure.com/",
    "identity.properties.clientId": "6d3f1a2b-0c4e-4f5a-9b8c-7d6e5f4a3b2c",
    "storage.properties.primaryEndpoints.table": "https://stmcemanalystk3xq7v2m9p.table.core.windows.net/",
}


def evaluator(fakes: dict[str, Any] | None = None, **params: Any) -> Evaluator:
    return TEMPLATE.evaluator(PARAMS | params, FAKES | (fakes or {}))


def template_env(params: dict[str, Any], fakes: dict[str, Any]) -> dict[str, str]:
    """The container's environment for one deployment; Key Vault references stand in as a secret."""
    ev = TEMPLATE.evaluator(params, fakes)
    env = {}
    for entry in ev.value(app()["template"]["containers"][0]["env"]):
        env[entry["name"]] = (
            "a-secret-from-key-vault-0123456789" if "secretRef" in entry else str(entry["value"])
        )
    return env


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
    secrets = {s["name"]: s for s in _entries(app()["configuration"]["secrets"])}
    assert {expr for kind, expr in settings.values() if kind == "secretRef"} == set(secrets)
    vault_secrets = {
        TEMPLATE.body(name)["name"]: name
        for name, resource in TEMPLATE.resources.items()
        if resource["type"] == "Microsoft.KeyVault/vaults/secrets"
    }
    ev = evaluator(
        {
            "botSecret.properties.secretUri": "https://kv/secrets/bot-app-secret",
            "vault.properties.vaultUri": "https://kv/",
        }
    )
    for name, secret in secrets.items():
        assert set(secret) == {"name", "keyVaultUrl", "identity"}, f"{name}: a Key Vault reference, no value"
        assert render(secret["identity"]) == "identity.id", "read with the app's managed identity"
        assert name in vault_secrets, f"{name}: no Key Vault secret of that name in the template"
        assert ev.value(secret["keyVaultUrl"]).endswith(f"/secrets/{name}")
    secure = {name for name, p in TEMPLATE.params.items() if {"type": "secure"} in p["decorators"]}
    assert secure == {"botAppSecret", "notificationClientState"}
    for name, (kind, expr) in settings.items():
        assert kind == "secretRef" or not _depends_on(expr) & secure, f"{name} holds a secure parameter"


def _depends_on(node: Any, seen: frozenset[str] = frozenset()) -> set[str]:
    """Parameters and resources an expression depends on, through variables."""
    found: set[str] = set()
    for symbol in TEMPLATE.references(node) - seen:
        if symbol in TEMPLATE.variables:
            found |= _depends_on(TEMPLATE.variables[symbol]["value"], seen | {symbol})
        else:
            found.add(symbol)
    return found


def test_every_setting_is_a_literal_or_comes_from_a_parameter_resource_or_key_vault() -> None:
    settings = bicep_settings()
    sources = {name: _depends_on(expr) for name, (kind, expr) in settings.items() if kind == "value"}
    assert sources["AZURE_CLIENT_ID"] == {"botAppId"}
    assert sources["MCEM_STATE_TABLE_URL"] == {"storage"}
    assert "containerEnv" in sources["MCEM_PUBLIC_URL"]
    assert {"openAi", "deployOpenAi", "existingOpenAiEndpoint"} <= sources["AZURE_OPENAI_ENDPOINT"]
    declared = set(TEMPLATE.params) | set(TEMPLATE.resources)
    for name, source in sources.items():
        assert source <= declared, name


async def test_the_template_settings_are_a_valid_authenticated_production_configuration() -> None:
    env = template_env(PARAMS, FAKES)
    bot = settings_from_env(env)
    assert not bot.anonymous and bot.client_id == PARAMS["botAppId"]
    assert bot.host == "0.0.0.0" and bot.allowed_tenants == {TENANT}
    assert bot.port == DEFAULT_PORT
    assert bot.auto_analyze
    assert (
        bot.notification_url
        == f"https://mcemanalyst-bot.{FAKES['containerEnv.properties.defaultDomain']}/api/notifications"
    )
    mount = app()["template"]["containers"][0]["volumeMounts"][0]
    assert [v["name"] for v in app()["template"]["volumes"]] == [mount["volumeName"]]
    assert bot.state_path.startswith(evaluator().value(mount["mountPath"]) + "/"), "state on the share"
    assert bot.state_backend == "azure" and bot.state_table_url.endswith(".table.core.windows.net")
    graph = graph_settings_from_env(env)
    assert graph.drive_id == PARAMS["sharePointDriveId"] and graph.base_url == "", "production talks to Graph"
    llm = llm_settings_from_env(env)
    assert llm is not None and llm.provider == "azure" and llm.uses_entra_id
    # Azure OpenAI and the tables: the container's managed identity, not the app registration.
    identity = FAKES["identity.properties.clientId"]
    assert llm.managed_identity_client_id == identity == bot.managed_identity_client_id
    credential = credential_from_env(env)
    try:
        # Graph signs in as the bot's app registration: the identity the Graph permissions name.
        assert type(credential).__name__ == "ClientSecretCredential"
    finally:
        await credential.close()


async def test_the_crm_is_off_unless_dynamics_url_is_given_then_it_signs_in_as_the_app() -> None:
    from bot.crm import DynamicsCrm, crm_from_env

    assert "MCEM_CRM" not in template_env(PARAMS, FAKES) and crm_from_env(template_env(PARAMS, FAKES)) is None
    env = template_env(PARAMS | {"dynamicsUrl": "https://contoso.crm.dynamics.com"}, FAKES)
    assert env["MCEM_CRM"] == "dynamics" and env["MCEM_DATAVERSE_URL"] == "https://contoso.crm.dynamics.com"
    crm = crm_from_env(env)
    assert isinstance(crm, DynamicsCrm)
    try:
        # The bot app registration, the identity an admin adds to Dataverse as an application user.
        assert type(crm.client._credential).__name__ == "ClientSecretCredential"
    finally:
        await crm.aclose()


def test_without_options_the_template_sets_only_the_base_settings_and_the_offline_analyzer_runs() -> None:
    env = template_env(
        PARAMS | {"autoAnalyze": False, "stateBackend": "sqlite", "deployOpenAi": False}, FAKES
    )
    assert "MCEM_PUBLIC_URL" not in env and "MCEM_STATE_TABLE_URL" not in env
    assert llm_settings_from_env(env) is None, "no Azure OpenAI settings: the offline analyzer"
    bot = settings_from_env(env)
    assert not bot.auto_analyze and bot.state_backend == "sqlite"


def test_ports_and_health_path_agree_across_image_template_and_bot() -> None:
    ingress = app()["configuration"]["ingress"]
    assert evaluator().value(ingress["targetPort"]) == DEFAULT_PORT
    assert instruction("EXPOSE") == [str(DEFAULT_PORT)]
    probes = app()["template"]["containers"][0]["probes"]
    assert {p["type"] for p in probes} == {"Liveness", "Readiness"}
    assert {evaluator().value(p["httpGet"]["port"]) for p in probes} == {DEFAULT_PORT}
    health = instruction("HEALTHCHECK")
    assert {p["httpGet"]["path"] for p in probes} == {"/api/health"} and "/api/health" in health[0]
    assert 'add_get("/api/health"' in (ROOT / "bot" / "app.py").read_text()


def test_parameters_example_matches_the_template() -> None:
    example = json.loads((DEPLOY / "main.parameters.example.json").read_text(encoding="utf-8"))
    declared = TEMPLATE.params
    assert set(example["parameters"]) <= set(declared), "the example sets a parameter the template lacks"
    required = {name for name, param in declared.items() if param.get("default") is None}
    assert required <= set(example["parameters"]), "the example leaves out a required parameter"
    rest = {key: value for key, value in TEMPLATE.tree.items() if key != "parameters"}
    defaults = [param.get("default") for param in declared.values()]
    used = TEMPLATE.references([rest, defaults])
    assert set(declared) - used == set(), "a parameter the template never uses"


def test_every_reference_in_the_template_is_declared() -> None:
    """An accessed symbol (x.y, x[0]) that is not a parameter, variable, resource or loop variable."""
    symbols = TEMPLATE.symbols()
    roots: set[str] = set()
    for node in walk(TEMPLATE.tree, skip_property_names=True):
        op = node.get("operator") if isinstance(node, dict) else None
        if isinstance(op, dict) and op.get("type") in ("property_accessor", "index_accessor"):
            first = next(iter(op["operands"].values()))
            if isinstance(first, str):
                roots.add(first)
    assert {"storage", "containerEnv", "botSecret"} <= roots  # the walk works
    assert roots - symbols - BUILTIN_ROOTS == set()
    # A symbol named like a Bicep function (environment, tenant, resourceGroup) would shadow it.
    assert not symbols & {"environment", "tenant", "resourceGroup", "subscription", "string", "concat"}
    for resource in TEMPLATE.resources.values():
        assert re.fullmatch(r"Microsoft\.[A-Za-z]+/[A-Za-z/]+", resource["type"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", resource["api_version"])


# --- what the template builds ---------------------------------------------------------------------


def _children(parent: str, resource_type: str) -> list[dict[str, Any]]:
    return [
        TEMPLATE.body(name)
        for name, resource in TEMPLATE.resources.items()
        if resource["type"] == resource_type and TEMPLATE.body(name).get("parent") == parent
    ]


def test_the_azure_bot_has_the_teams_channel_and_calls_the_container_app() -> None:
    bots = [n for n, r in TEMPLATE.resources.items() if r["type"] == "Microsoft.BotService/botServices"]
    assert len(bots) == 1
    channels = _children(bots[0], "Microsoft.BotService/botServices/channels")
    teams = [c for c in channels if c["name"] == "MsTeamsChannel"]
    assert len(teams) == 1 and teams[0]["properties"]["channelName"] == "MsTeamsChannel"
    assert teams[0]["properties"]["properties"]["isEnabled"] is True
    bot = TEMPLATE.body(bots[0])
    endpoint = evaluator({"app.properties.configuration.ingress.fqdn": "bot.example.test"})
    assert endpoint.value(bot["properties"]["endpoint"]) == "https://bot.example.test/api/messages"
    assert evaluator().value(bot["properties"]["msaAppId"]) == PARAMS["botAppId"]


def test_the_azure_bot_has_the_outlook_and_microsoft_365_channels() -> None:
    """Outlook delivers the summary email's card actions (channelId "outlook"); Microsoft 365
    (M365Extensions) the custom engine agent the app package declares, in Copilot and Outlook."""
    [bot] = [n for n, r in TEMPLATE.resources.items() if r["type"] == "Microsoft.BotService/botServices"]
    channels = {c["name"]: c for c in _children(bot, "Microsoft.BotService/botServices/channels")}
    assert {"MsTeamsChannel", "OutlookChannel", "M365Extensions"} <= set(channels)
    for name in ("OutlookChannel", "M365Extensions"):
        assert channels[name]["properties"]["channelName"] == name
        assert channels[name]["location"] == "global"


def test_the_data_roles_go_to_the_managed_identity_the_bot_signs_in_with() -> None:
    roles = {
        name: TEMPLATE.body(name)["properties"]
        for name, resource in TEMPLATE.resources.items()
        if resource["type"] == "Microsoft.Authorization/roleAssignments"
    }
    scopes = {render(TEMPLATE.body(name)["scope"]) for name in roles}
    assert scopes == {"vault", "registry", "storage", "openAi", "insights"}
    assert {render(props["principalId"]) for props in roles.values()} == {"identity.properties.principalId"}
    assert render(bicep_settings()["MCEM_MANAGED_IDENTITY_CLIENT_ID"][1]) == "identity.properties.clientId"


def test_azure_openai_accepts_entra_id_only_since_the_template_sets_no_key() -> None:
    account = TEMPLATE.body("openAi")
    assert account["properties"]["disableLocalAuth"] is True
    assert "AZURE_OPENAI_API_KEY" not in bicep_settings()
    assert account["identity"]["type"] == "SystemAssigned", "an identity of its own, holding no role"


def test_secrets_in_key_vault_say_what_they_are_and_the_rotating_one_when_it_expires() -> None:
    secrets = {
        TEMPLATE.body(name)["name"]: TEMPLATE.body(name)["properties"]
        for name, resource in TEMPLATE.resources.items()
        if resource["type"] == "Microsoft.KeyVault/vaults/secrets"
    }
    assert set(secrets) == {"bot-app-secret", "notification-client-state", "appinsights-connection-string"}
    assert all(props.get("contentType") for props in secrets.values())
    expiry = evaluator(botAppSecretExpiresOn="2027-06-30T12:00:00Z")
    exp = secrets["bot-app-secret"]["attributes"]["exp"]
    assert render(exp) == "date_time_to_epoch(botAppSecretExpiresOn)"
    assert expiry.value(TEMPLATE.params["botAppSecretExpiresOn"]["default"]) is not None


def test_storage_account_names_are_valid_for_every_allowed_name() -> None:
    storage = TEMPLATE.body("storage")
    limits = {d["type"]: d.get("argument") for d in TEMPLATE.params["name"]["decorators"]}
    for name in ("abc", "mcemanalyst", "mcem-analyst"[: limits["max_length"]], "A-b-C-d-E-f-G"[:12]):
        value = evaluator(name=name).value(storage["name"])
        assert re.fullmatch(r"[a-z0-9]{3,24}", value), (name, value)


def _network(private: bool, **params: Any) -> tuple[Evaluator, list[dict[str, Any]]]:
    ev = evaluator(privateNetworking=private, **params)
    return ev, ev.variable("privateLinks")


def test_by_default_the_data_services_are_public_and_no_network_is_built() -> None:
    ev, links = _network(False)
    assert links == []
    assert ev.value(TEMPLATE.body("containerEnv")["properties"]["vnetConfiguration"]) is None
    for name in ("vault", "storage", "openAi"):
        props = TEMPLATE.body(name)["properties"]
        assert ev.value(props["publicNetworkAccess"]) == "Enabled"
        assert ev.value(props["networkAcls"])["defaultAction"] == "Allow"


@pytest.mark.parametrize(("state", "openai"), [("sqlite", False), ("azure", True)])
def test_private_networking_closes_every_data_service_and_reaches_it_through_an_endpoint(
    state: str, openai: bool
) -> None:
    ev, links = _network(True, stateBackend=state, deployOpenAi=openai)
    for name in ("vault", "storage", "openAi"):
        props = TEMPLATE.body(name)["properties"]
        assert ev.value(props["publicNetworkAccess"]) == "Disabled", name
        assert ev.value(props["networkAcls"]) == {"defaultAction": "Deny", "bypass": "AzureServices"}, name
    vault, storage, account = "KeyVault/vaults", "Storage/storageAccounts", "CognitiveServices/accounts"
    expected = {
        ("vault", vault, "privatelink.vaultcore.azure.net"),
        ("file", storage, "privatelink.file.core.windows.net"),
    }
    expected |= {("table", storage, "privatelink.table.core.windows.net")} if state == "azure" else set()
    expected |= {("account", account, "privatelink.openai.azure.com")} if openai else set()
    target_types = {
        link["target"]: link["target"].split("/providers/Microsoft.")[1].rsplit("/", 1)[0] for link in links
    }
    assert {(link["group"], target_types[link["target"]], link["zone"]) for link in links} == expected
    # One zone, one VNet link, one endpoint and one zone group per link, all looping over privateLinks.
    loops = {
        name: TEMPLATE.resources[name]["config"]["loop_type"]["detail"]["array_name"]
        for name in ("privateZones", "zoneLinks", "endpoints", "endpointZones")
    }
    assert set(loops.values()) == {"privateLinks"}
    environment = ev.value(TEMPLATE.body("containerEnv")["properties"]["vnetConfiguration"])
    assert environment["internal"] is False, "Teams must still reach the bot's endpoint"
    assert environment["infrastructureSubnetId"].endswith("/apps")
    subnets = {
        s["name"]: ev.value(s["properties"]["addressPrefix"])
        for s in TEMPLATE.body("vnet")["properties"]["subnets"]
    }
    vnet = ipaddress.ip_network(
        ev.value(TEMPLATE.body("vnet")["properties"]["addressSpace"]["addressPrefixes"][0])
    )
    apps, endpoints = ipaddress.ip_network(subnets["apps"]), ipaddress.ip_network(subnets["endpoints"])
    assert apps.subnet_of(vnet) and endpoints.subnet_of(vnet) and not apps.overlaps(endpoints)
    assert apps.prefixlen <= 23, "a Consumption-only environment needs a /23"


# --- checkov's inline suppressions ------------------------------------------------------------------


def test_every_suppressed_check_has_a_reason_inline_and_in_the_readme() -> None:
    suppressions = inline_suppressions(DEPLOY)
    assert len(suppressions) >= 5  # the scan works
    for file, line, check, reason in suppressions:
        assert len(reason) >= 20, f"{file}:{line}: checkov:skip={check} needs a one-line reason after a colon"
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Suppressed checks", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(CKV\w+)`", section))
    assert listed == {check for _file, _line, check, _reason in suppressions}, "deploy/README.md's list"


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
        "env",  # the Agents Toolkit's env/.env.*.user holds the bot's secret; az acr build sends it
        ".localConfigs*",
    ],
)
def test_dockerignore_keeps_local_and_secret_files_out_of_the_build_context(pattern: str) -> None:
    lines = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert pattern in lines


def test_application_insights_gets_the_telemetry_through_the_managed_identity_only() -> None:
    insights = TEMPLATE.body("insights")["properties"]
    assert insights["DisableLocalAuth"] is True, "the connection string alone lets nobody write"
    assert render(insights["WorkspaceResourceId"]) == "logs.id", "beside the container logs"
    settings = bicep_settings()
    assert settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] == ("secretRef", "appinsights-connection-string")
    secret = TEMPLATE.body("insightsSecret")
    assert render(secret["properties"]["value"]) == "insights.properties.ConnectionString"
    env = template_env(PARAMS, FAKES)
    identity = FAKES["identity.properties.clientId"]
    assert env["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == f"Authorization=AAD;ClientId={identity}"
    role = TEMPLATE.body("insightsPublisher")
    assert render(role["scope"]) == "insights"
    assert "monitoringMetricsPublisher" in render(role["properties"]["roleDefinitionId"])
    assert evaluator().variable("monitoringMetricsPublisher") == "3913510d-42f4-4e42-8a64-420c390055eb"
    assert env["MCEM_LOG_FORMAT"] == "json" and telemetry_wanted(env)
    assert next((i, a) for i, a in dockerfile() if i == "ENV" and "MCEM_LOG_FORMAT=json" in a) != ("ENV", "")
