"""The Microsoft Entra ID credential for Azure data services: Azure OpenAI and Table Storage.

DefaultAzureCredential, unless ``MCEM_MANAGED_IDENTITY_CLIENT_ID`` names a user-assigned managed
identity. In Azure the container also holds the bot app registration's secret (AZURE_CLIENT_SECRET,
for the Bot Service and Graph), and DefaultAzureCredential tries that first: the setting makes data
access use the container's own identity instead, which needs no secret and holds only its roles.
"""

from __future__ import annotations

from azure.core.credentials_async import AsyncTokenCredential


def data_credential(managed_identity_client_id: str = "") -> AsyncTokenCredential:
    """A new async credential; the caller closes it."""
    if managed_identity_client_id:
        from azure.identity.aio import ManagedIdentityCredential

        return ManagedIdentityCredential(client_id=managed_identity_client_id)
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential()
