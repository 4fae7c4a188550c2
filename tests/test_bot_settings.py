from __future__ import annotations

import pytest

from bot.settings import account_teams_from_env, settings_from_env
from mcem.errors import ConfigError

APP = {
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "11111111-2222-3333-4444-555555555555",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "s3cret",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "tenant-a",
}


def test_without_an_app_id_the_bot_is_anonymous_and_local() -> None:
    settings = settings_from_env({})
    assert settings.anonymous
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.allowed_tenants == frozenset()


def test_anonymous_mode_refuses_to_listen_beyond_loopback() -> None:
    with pytest.raises(ConfigError, match=r"MCEM_BOT_HOST=0\.0\.0\.0 .*127\.0\.0\.1 only"):
        settings_from_env({"MCEM_BOT_HOST": "0.0.0.0"})
    assert settings_from_env({"MCEM_BOT_HOST": "localhost"}).host == "localhost"


def test_sdk_keys_keep_their_names_and_reach_the_sdk_config() -> None:
    settings = settings_from_env({**APP, "MCEM_ALLOWED_TENANTS": "Tenant-A, tenant-b"})
    assert not settings.anonymous
    assert settings.host == "0.0.0.0"
    assert (
        settings.sdk_config["CONNECTIONS"]["SERVICE_CONNECTION"]["SETTINGS"]["CLIENTID"]
        == APP["CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"]
    )
    assert settings.allowed_tenants == {"tenant-a", "tenant-b"}


def test_the_secret_stays_out_of_the_repr() -> None:
    assert "s3cret" not in repr(settings_from_env({**APP, "MCEM_ALLOWED_TENANTS": "tenant-a"}))


def test_a_real_deployment_must_name_its_tenants() -> None:
    with pytest.raises(ConfigError, match="MCEM_ALLOWED_TENANTS is empty"):
        settings_from_env(APP)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MCEM_BOT_PORT", "http", "not a whole number"),
        ("MCEM_BOT_PORT", "70000", "between 1 and 65535"),
        ("MCEM_MAX_JOBS", "0", "out of range"),
    ],
)
def test_bad_numbers_say_what_to_fix(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_env({name: value})


AUTO = {
    "MCEM_AUTO_ANALYZE": "on",
    "MCEM_PUBLIC_URL": "https://mcem-bot.contoso.com/",
    "MCEM_NOTIFICATION_CLIENT_STATE": "a-secret-of-at-least-16-chars",
}


def test_automatic_analysis_is_off_by_default_and_state_has_a_local_file() -> None:
    settings = settings_from_env({})
    assert not settings.auto_analyze and settings.notification_url == ""
    assert settings.state_path == "mcem-bot-state.sqlite3"
    assert settings_from_env({"MCEM_STATE_PATH": ":memory:"}).state_path == ":memory:"


def test_automatic_analysis_needs_a_public_url_and_a_client_state() -> None:
    settings = settings_from_env(AUTO)
    assert settings.auto_analyze
    assert settings.notification_url == "https://mcem-bot.contoso.com/api/notifications"
    assert AUTO["MCEM_NOTIFICATION_CLIENT_STATE"] not in repr(settings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MCEM_PUBLIC_URL": ""}, "MCEM_PUBLIC_URL is not set"),
        ({"MCEM_PUBLIC_URL": "http://bot.contoso.com"}, "only over https"),
        ({"MCEM_NOTIFICATION_CLIENT_STATE": "short"}, "16 to 128 characters"),
        ({"MCEM_AUTO_ANALYZE": "sometimes"}, "not on or off"),
    ],
)
def test_automatic_analysis_settings_say_what_to_fix(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_env(AUTO | change)


def test_state_is_sqlite_unless_azure_is_chosen() -> None:
    assert settings_from_env({}).state_backend == "sqlite"
    conn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net"
    by_key = settings_from_env({"MCEM_STATE_BACKEND": "Azure", "MCEM_STATE_CONNECTION_STRING": conn})
    assert (by_key.state_backend, by_key.state_connection_string, by_key.state_table_prefix) == (
        "azure",
        conn,
        "mcem",
    )
    assert "a2V5" not in repr(by_key)  # the account key stays out of the repr
    by_identity = settings_from_env(
        {
            "MCEM_STATE_BACKEND": "azure",
            "MCEM_STATE_TABLE_URL": "https://acct.table.core.windows.net/",
            "MCEM_STATE_TABLE_PREFIX": "mcemprod",
        }
    )
    assert by_identity.state_table_url == "https://acct.table.core.windows.net"
    assert by_identity.state_table_prefix == "mcemprod"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MCEM_STATE_BACKEND": "redis"}, r"MCEM_STATE_BACKEND='redis' is not sqlite or azure"),
        ({"MCEM_STATE_BACKEND": "azure"}, r"needs exactly one of MCEM_STATE_CONNECTION_STRING or"),
        (
            {
                "MCEM_STATE_BACKEND": "azure",
                "MCEM_STATE_CONNECTION_STRING": "x",
                "MCEM_STATE_TABLE_URL": "https://acct.table.core.windows.net",
            },
            r"exactly one of",
        ),
        (
            {"MCEM_STATE_BACKEND": "azure", "MCEM_STATE_TABLE_URL": "http://acct.table.core.windows.net"},
            r"MCEM_STATE_TABLE_URL=http://acct.* is not an https URL",
        ),
    ],
)
def test_state_backend_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_env(env)


def test_outlook_cards_are_off_without_a_provider_id_and_take_its_guid() -> None:
    assert settings_from_env({}).outlook_originator == ""
    assert settings_from_env({}).outlook_deadline_seconds == 1.8
    guid = "C9B4352B-A76B-43B9-88FF-80EDDDAA243B"
    chosen = settings_from_env({"MCEM_OUTLOOK_ORIGINATOR": guid, "MCEM_OUTLOOK_DEADLINE_SECONDS": "2.5"})
    assert chosen.outlook_originator == guid.lower() and chosen.outlook_deadline_seconds == 2.5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MCEM_OUTLOOK_ORIGINATOR": "my-provider"}, "not a provider id"),
        ({"MCEM_OUTLOOK_DEADLINE_SECONDS": "soon"}, "not a number of seconds"),
        ({"MCEM_OUTLOOK_DEADLINE_SECONDS": "0"}, "out of range"),
        ({"MCEM_OUTLOOK_DEADLINE_SECONDS": "90"}, "out of range"),
    ],
)
def test_outlook_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        settings_from_env(env)
    assert "\n" not in str(refused.value)


def test_account_teams_are_read_once_by_object_id() -> None:
    alex, lynne = "00000000-0000-0000-0000-0000000000020", "8F3E2A10-1111-4222-8333-944455556666"
    teams = account_teams_from_env({"MCEM_ACCOUNT_TEAMS": f" Contoso = {alex}, {lynne} ; Fabrikam={alex}"})
    assert dict(teams) == {"contoso": frozenset({alex, lynne.lower()}), "fabrikam": frozenset({alex})}
    assert dict(account_teams_from_env({})) == {}


@pytest.mark.parametrize("value", ["Contoso", "Contoso=alexw@mcemdemo.onmicrosoft.com", "=0000", "Contoso="])
def test_account_teams_that_name_no_object_ids_are_one_line(value: str) -> None:
    with pytest.raises(ConfigError, match=r"MCEM_ACCOUNT_TEAMS: .* is not “Company=<Entra object id>"):
        account_teams_from_env({"MCEM_ACCOUNT_TEAMS": value})
