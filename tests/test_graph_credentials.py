"""Which azure-identity credential the environment selects, and the Graph settings it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.identity.aio import CertificateCredential, ClientSecretCredential, ManagedIdentityCredential

from graph.credentials import (
    EMULATOR_TOKEN,
    StaticTokenCredential,
    credential_from_env,
    graph_settings_from_env,
)
from mcem.errors import ConfigError

APP = {
    "AZURE_TENANT_ID": "11111111-1111-1111-1111-111111111111",
    "AZURE_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
}


async def test_client_secret() -> None:
    cred = credential_from_env({**APP, "AZURE_CLIENT_SECRET": "s3cret"})
    try:
        assert isinstance(cred, ClientSecretCredential)
    finally:
        await cred.close()


async def test_certificate(tmp_path: Path) -> None:
    pem = _self_signed_pem()
    path = tmp_path / "app.pem"
    path.write_bytes(pem)
    cred = credential_from_env({**APP, "AZURE_CLIENT_CERTIFICATE_PATH": str(path)})
    try:
        assert isinstance(cred, CertificateCredential)
    finally:
        await cred.close()


async def test_managed_identity_when_no_secret_or_certificate() -> None:
    cred = credential_from_env({"AZURE_CLIENT_ID": APP["AZURE_CLIENT_ID"]})
    try:
        assert isinstance(cred, ManagedIdentityCredential)
    finally:
        await cred.close()


async def test_emulator_uses_a_static_token_and_never_shows_it() -> None:
    cred = credential_from_env(
        {"MCEM_GRAPH_BASE_URL": "http://127.0.0.1:5090/v1.0", **APP, "AZURE_CLIENT_SECRET": "x"}
    )
    assert isinstance(cred, StaticTokenCredential)
    assert (await cred.get_token("https://graph.microsoft.com/.default")).token == EMULATOR_TOKEN
    assert EMULATOR_TOKEN not in repr(cred)
    custom = credential_from_env(
        {"MCEM_GRAPH_BASE_URL": "http://127.0.0.1:5090/v1.0", "MCEM_GRAPH_TOKEN": "t0k"}
    )
    assert (await custom.get_token("scope")).token == "t0k"


def test_secret_without_tenant_says_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="AZURE_TENANT_ID not set"):
        credential_from_env({"AZURE_CLIENT_ID": "x", "AZURE_CLIENT_SECRET": "s"})
    with pytest.raises(ConfigError, match="AZURE_TENANT_ID and AZURE_CLIENT_ID"):
        credential_from_env({"AZURE_CLIENT_CERTIFICATE_PATH": "/nowhere.pem"})


def test_settings() -> None:
    settings = graph_settings_from_env(
        {
            "MCEM_GRAPH_BASE_URL": "http://127.0.0.1:5090/v1.0/",
            "MCEM_TENANT_DOMAINS": " Contoso.com, @microsoft.com ,,",
            "MCEM_SHAREPOINT_DRIVE_ID": " b!abc ",
            "MCEM_SHAREPOINT_FOLDER": "/Analyses/",
        }
    )
    assert settings.base_url == "http://127.0.0.1:5090/v1.0"
    assert settings.tenant_domains == ("contoso.com", "microsoft.com")
    assert settings.drive_id == "b!abc" and settings.folder == "Analyses"
    with pytest.raises(ConfigError, match="not a URL"):
        graph_settings_from_env({"MCEM_GRAPH_BASE_URL": "127.0.0.1:5090"})


def _self_signed_pem() -> bytes:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcem-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)
