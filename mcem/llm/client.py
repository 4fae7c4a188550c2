"""The one place an ``openai`` client is built from LLMSettings.

Azure with a key uses the ``api-key`` header; Azure without a key uses Microsoft Entra ID through
azure-identity. The credential is created on the first request, not here, so building a client
never touches the network or a sign-in cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import openai

from mcem.errors import LLMError
from mcem.llm.settings import ENTRA_SCOPE, LLMSettings

TokenProvider = Callable[[], str | Awaitable[str]]


class LazyEntraTokenProvider:
    """An async bearer-token provider that builds DefaultAzureCredential on first use.

    ``credential_factory`` exists for tests; production uses azure-identity's DefaultAzureCredential.
    """

    def __init__(self, scope: str = ENTRA_SCOPE, credential_factory: Callable[[], Any] | None = None) -> None:
        self._scope = scope
        self._factory = credential_factory
        self._credential: Any = None
        self._provider: Callable[[], Awaitable[str]] | None = None

    async def __call__(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        if self._provider is None:
            from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

            self._credential = (self._factory or DefaultAzureCredential)()
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
        return openai.AsyncAzureOpenAI(
            azure_endpoint=settings.endpoint,
            api_version=settings.api_version,
            azure_ad_token_provider=token_provider or LazyEntraTokenProvider(),
            **common,
        )
    return openai.AsyncOpenAI(api_key=settings.api_key, base_url=settings.base_url or None, **common)
