"""The one place an ``openai`` client is built from LLMSettings.

Azure with a key uses the ``api-key`` header; Azure without a key uses Microsoft Entra ID through
azure-identity. The credential is created on the first request, not here, so building a client
never touches the network or a sign-in cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import openai

from mcem.llm.settings import ENTRA_SCOPE, LLMSettings

TokenProvider = Callable[[], str | Awaitable[str]]


class LazyEntraTokenProvider:
    """An async bearer-token provider that builds DefaultAzureCredential on first use."""

    def __init__(self, scope: str = ENTRA_SCOPE) -> None:
        self._scope = scope
        self._credential: object | None = None
        self._provider: Callable[[], Awaitable[str]] | None = None

    async def __call__(self) -> str:
        if self._provider is None:
            from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

            credential = DefaultAzureCredential()
            self._credential = credential
            self._provider = get_bearer_token_provider(credential, self._scope)
        return await self._provider()

    async def aclose(self) -> None:
        close = getattr(self._credential, "close", None)
        if close is not None:
            await close()


def make_client(settings: LLMSettings, *, token_provider: TokenProvider | None = None) -> openai.AsyncOpenAI:
    """An AsyncAzureOpenAI or AsyncOpenAI for ``settings``.

    ``token_provider`` replaces Entra ID sign-in (tests pass a callable; production leaves it None).
    """
    common = {"timeout": settings.timeout, "max_retries": settings.max_retries}
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
