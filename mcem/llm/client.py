"""The one place an ``openai`` client is built from LLMSettings.

Azure with a key uses the ``api-key`` header; Azure without a key uses Microsoft Entra ID through
azure-identity. The credential is created on the first request, not here, so building a client
never touches the network or a sign-in cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import openai

from mcem.azure_auth import data_credential
from mcem.errors import LLMError
from mcem.llm.settings import ENTRA_SCOPE, LLMSettings

TokenProvider = Callable[[], str | Awaitable[str]]


class LazyEntraTokenProvider:
    """An async bearer-token provider that builds its credential on first use.

    The credential is mcem.azure_auth's (the managed identity ``managed_identity_client_id`` names,
    else DefaultAzureCredential); ``credential_factory`` replaces it in tests.
    """

    def __init__(
        self,
        scope: str = ENTRA_SCOPE,
        credential_factory: Callable[[], Any] | None = None,
        *,
        managed_identity_client_id: str = "",
    ) -> None:
        self._scope = scope
        self._factory = credential_factory or (lambda: data_credential(managed_identity_client_id))
        self._credential: Any = None
        self._provider: Callable[[], Awaitable[str]] | None = None

    async def __call__(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        if self._provider is None:
            from azure.identity.aio import get_bearer_token_provider

            self._credential = self._factory()
            self._provider = get_bearer_token_provider(self._credential, self._scope)
        try:
            return await self._provider()
        except ClientAuthenticationError:
            # Raised inside the SDK's request preparation, so it would escape the API error mapping.
            raise LLMError(
                "No Microsoft Entra ID sign-in is available for Azure OpenAI: run `az login`, use a "
                "managed identity, or set AZURE_OPENAI_API_KEY.",
                kind="auth",
            ) from None

    async def aclose(self) -> None:
        close = getattr(self._credential, "close", None)
        if close is not None:
            await close()


def make_client(settings: LLMSettings, *, token_provider: TokenProvider | None = None) -> openai.AsyncOpenAI:
    """An AsyncAzureOpenAI or AsyncOpenAI for ``settings``.

    ``token_provider`` replaces Entra ID sign-in (tests pass a callable; production leaves it None).
    """
    # Retries are mcem.llm.retry's, bounded by the analysis deadline; the SDK's would not be.
    common = {"timeout": settings.timeout, "max_retries": 0}
    if settings.provider == "azure":
        if settings.api_key:
            return openai.AsyncAzureOpenAI(
                azure_endpoint=settings.endpoint,
                api_version=settings.api_version,
                api_key=settings.api_key,
                **common,
            )
        entra = token_provider or LazyEntraTokenProvider(
            managed_identity_client_id=settings.managed_identity_client_id
        )
        return openai.AsyncAzureOpenAI(
            azure_endpoint=settings.endpoint,
            api_version=settings.api_version,
            azure_ad_token_provider=entra,
            **common,
        )
    return openai.AsyncOpenAI(api_key=settings.api_key, base_url=settings.base_url or None, **common)
