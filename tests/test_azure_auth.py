"""MCEM_MANAGED_IDENTITY_CLIENT_ID: Azure OpenAI and Table Storage sign in as the container's identity.

The real azure-identity ManagedIdentityCredential asks a local stand-in of the Container Apps identity
endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER, the protocol Container Apps and App Service share), even
though the app registration's secret is in the environment too, as it is in deploy/main.bicep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import settings_from_env
from mcem.azure_auth import data_credential
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from tests.stubs import openai_stub as stubs
from tests.support.identity import HEADER, IdentityEndpoint
from tests.support.llm import CALL, CONTEXT

CLIENT_ID = "6d3f1a2b-0c4e-4f5a-9b8c-7d6e5f4a3b2c"


@pytest.fixture
async def identity(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[IdentityEndpoint]:
    endpoint = IdentityEndpoint()
    await endpoint.start()
    for name in ("MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", endpoint.url)
    monkeypatch.setenv("IDENTITY_HEADER", HEADER)
    # The app registration, as in Azure: DefaultAzureCredential would use it (and fail on loopback).
    monkeypatch.setenv("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47")
    monkeypatch.setenv("AZURE_CLIENT_ID", "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "the-app-registration-secret")
    yield endpoint
    await endpoint.stop()


async def test_azure_openai_is_called_with_the_managed_identity_token(
    stub: stubs.OpenAIStub, identity: IdentityEndpoint
) -> None:
    env = stubs.azure_env(stub) | {"MCEM_MANAGED_IDENTITY_CLIENT_ID": CLIENT_ID}
    del env["AZURE_OPENAI_API_KEY"]
    settings = llm_settings_from_env(env)
    assert settings is not None and settings.uses_entra_id
    analyzer = LLMAnalyzer(settings)
    try:
        analysis = await analyzer.analyze(CALL, CONTEXT)
    finally:
        await analyzer.aclose()
    assert analysis.meta.engine == "llm" and [r.auth for r in stub.received] == ["bearer"]
    assert identity.asked and {a["client_id"] for a in identity.asked} == {CLIENT_ID}
    assert {a["resource"] for a in identity.asked} == {"https://cognitiveservices.azure.com"}


async def test_table_storage_credential_is_the_managed_identity(identity: IdentityEndpoint) -> None:
    settings = settings_from_env(
        {
            "MCEM_STATE_BACKEND": "azure",
            "MCEM_STATE_TABLE_URL": "https://stmcem.table.core.windows.net",
            "MCEM_MANAGED_IDENTITY_CLIENT_ID": f" {CLIENT_ID} ",
        }
    )
    assert settings.managed_identity_client_id == CLIENT_ID
    credential = data_credential(settings.managed_identity_client_id)
    try:
        token = await credential.get_token("https://storage.azure.com/.default")
    finally:
        await credential.close()
    assert token.token == stubs.BEARER_TOKEN
    assert identity.asked == [
        {"api-version": "2019-08-01", "resource": "https://storage.azure.com", "client_id": CLIENT_ID}
    ]


async def test_without_the_setting_the_default_credential_chain_is_kept() -> None:
    credential = data_credential("")
    try:
        assert type(credential).__name__ == "DefaultAzureCredential"
    finally:
        await credential.close()
