"""One structured chat-completion call: strict JSON schema out, validated reply in.

Invalid output gets exactly one re-ask carrying the validation errors; a second failure raises
LLMError(kind="invalid_output") with the raw reply kept for diagnosis. Every SDK failure maps to an
LLMError with one user-facing line. Retries of 429/5xx/timeouts are mcem.llm.retry's (bounded by
``max_retries`` and the analysis deadline, honouring Retry-After); the SDK's are off, so attempts
never multiply.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jsonschema
import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from mcem import telemetry
from mcem.errors import LLMError
from mcem.llm.prompts import fill, load
from mcem.llm.retry import Deadline, with_retries
from mcem.llm.schema import Schema
from mcem.llm.settings import REASONING_MIN_AZURE_API_VERSION, LLMSettings, serves_reasoning
from mcem.llm.tokens import count_tokens

log = logging.getLogger(__name__)
T = TypeVar("T")
Message = dict[str, str]


class ReplyInvalid(ValueError):
    """The reply parsed but broke the contract; the message is fed back to the model."""


@dataclass
class CallStats:
    """What was sent and received, for benchmarks and logs (counts only, never text)."""

    calls: int = 0
    tokens_sent: int = 0  # our own count of every message, all calls
    transcript_tokens: int = 0  # the transcript lines alone, as sent
    usage_prompt_tokens: int = 0  # as the server reported, when it does
    usage_completion_tokens: int = 0
    reasks: int = 0
    per_call: list[int] = field(default_factory=list)


@dataclass
class LLMCall:
    """One analysis's conversation with the model: what every call of it shares.

    The single path makes one ``ask``, map-reduce one per part and one to synthesise; all count
    into the same ``stats`` and stop at the same ``deadline``.
    """

    client: openai.AsyncOpenAI
    settings: LLMSettings
    stats: CallStats
    deadline: Deadline | None = None

    async def ask(
        self,
        messages: list[Message],
        *,
        schema_name: str,
        schema: Schema,
        parse: Callable[[dict[str, Any]], T],
    ) -> T:
        return await structured_call(
            self.client,
            self.settings,
            messages,
            schema_name=schema_name,
            schema=schema,
            parse=parse,
            stats=self.stats,
            deadline=self.deadline,
        )


async def structured_call(
    client: openai.AsyncOpenAI,
    settings: LLMSettings,
    messages: list[Message],
    *,
    schema_name: str,
    schema: Schema,
    parse: Callable[[dict[str, Any]], T],
    stats: CallStats,
    deadline: Deadline | None = None,
) -> T:
    """Ask, validate, re-ask once on invalid output, return ``parse(reply)``.

    ``deadline`` bounds every attempt and retry; without one, this call gets MCEM_LLM_DEADLINE.
    """
    validator = _validator(schema_name, schema)
    conversation = list(messages)
    raw = ""
    for attempt in (1, 2):
        raw = await _complete(client, settings, conversation, schema_name, schema, stats, deadline)
        try:
            data = json.loads(raw)
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
            if errors:
                raise ReplyInvalid("; ".join(_describe(e) for e in errors[:8]))
            return parse(data)
        except (json.JSONDecodeError, ReplyInvalid, ValidationError) as exc:
            problem = _problem(exc)
            # The problem text can echo transcript words, so the log gets its size only.
            log.info("model reply invalid (attempt %d, %d chars of diagnosis)", attempt, len(problem))
            if attempt == 2:
                raise LLMError(
                    "The language model twice returned an analysis that does not fit the required "
                    "format; try again.",
                    kind="invalid_output",
                    raw_reply=raw,
                ) from None
            stats.reasks += 1
            conversation += [
                {"role": "assistant", "content": raw},
                {"role": "user", "content": fill(load("reask"), {"errors": problem})},
            ]
    raise AssertionError("unreachable")  # pragma: no cover


_VALIDATORS: dict[str, tuple[Schema, jsonschema.Draft202012Validator]] = {}


def _validator(name: str, schema: Schema) -> jsonschema.Draft202012Validator:
    cached = _VALIDATORS.get(name)
    if cached is None or cached[0] is not schema:
        cached = _VALIDATORS[name] = (schema, jsonschema.Draft202012Validator(schema))
    return cached[1]


async def _complete(
    client: openai.AsyncOpenAI,
    settings: LLMSettings,
    messages: list[Message],
    schema_name: str,
    schema: Schema,
    stats: CallStats,
    deadline: Deadline | None,
) -> str:
    sent = sum(count_tokens(m["content"]) for m in messages)
    stats.calls += 1
    stats.tokens_sent += sent
    stats.per_call.append(sent)
    limits: dict[str, Any] = {settings.token_parameter: settings.max_output_tokens}
    if not settings.reasoning:  # reasoning models accept only their default temperature
        limits["temperature"] = settings.temperature

    async def request(seconds: float) -> ChatCompletion:
        return await client.chat.completions.create(
            model=settings.model,
            messages=messages,  # type: ignore[arg-type]
            response_format={
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            },
            timeout=seconds,
            **limits,
        )

    # The GenAI semantic conventions' names: dashboards built for them read ours as they are.
    attributes: dict[str, telemetry.AttrValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "azure.ai.openai" if settings.provider == "azure" else "openai",
        "gen_ai.request.model": settings.model,
        "mcem.llm.schema": schema_name,
        "mcem.llm.tokens_sent": sent,
    }
    started = time.perf_counter()
    with telemetry.span(f"chat {settings.model}", **attributes) as span:
        try:
            response = await with_retries(
                request,
                settings,
                deadline or Deadline(settings.deadline),
                lambda exc: _map_error(exc, settings),
            )
        except LLMError as err:
            span.set("mcem.llm.error", err.kind)
            telemetry.observe("mcem.llm.duration", time.perf_counter() - started, outcome=err.kind)
            raise
        telemetry.observe("mcem.llm.duration", time.perf_counter() - started, outcome="ok")
        if response.model:
            span.set("gen_ai.response.model", response.model)
        if response.usage is not None:
            stats.usage_prompt_tokens += response.usage.prompt_tokens
            stats.usage_completion_tokens += response.usage.completion_tokens
            span.set("gen_ai.usage.input_tokens", response.usage.prompt_tokens)
            span.set("gen_ai.usage.output_tokens", response.usage.completion_tokens)
            for kind, used in (
                ("input", response.usage.prompt_tokens),
                ("output", response.usage.completion_tokens),
            ):
                labels = {"gen_ai.token.type": kind, "gen_ai.request.model": settings.model}
                telemetry.count("mcem.llm.tokens", used, **labels)
        if response.choices and response.choices[0].finish_reason:
            span.set("gen_ai.response.finish_reasons", (response.choices[0].finish_reason,))
    if not response.choices:
        raise LLMError("The language model returned no answer; try again.", kind="invalid_output")
    choice = response.choices[0]
    content = choice.message.content or ""
    if choice.finish_reason == "content_filter":
        raise LLMError(_FILTERED, kind="content_filter", raw_reply=content or None)
    if choice.message.refusal:
        raise LLMError(
            "The language model declined to analyse this transcript.",
            kind="content_filter",
            raw_reply=choice.message.refusal,
        )
    if choice.finish_reason == "length":
        raise LLMError(
            "The language model's answer was cut off at its length limit; raise "
            "MCEM_LLM_MAX_OUTPUT_TOKENS or lower MCEM_LLM_CHUNK_TOKENS and try again.",
            kind="truncated",
            raw_reply=content or None,
        )
    return content


_FILTERED = "The content filter of the language model service blocked this request or its answer."


def _map_error(exc: openai.APIError, settings: LLMSettings) -> LLMError:
    where = settings.endpoint or settings.base_url or "api.openai.com"
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(
            f"The language model did not answer within {settings.timeout:g} s "
            f"({settings.max_retries + 1} attempts); try again later or raise MCEM_LLM_TIMEOUT.",
            kind="timeout",
        )
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"Cannot reach the language model at {where}; check the endpoint and network.",
                        kind="unavailable")  # fmt: skip
    if not isinstance(exc, openai.APIStatusError):
        return LLMError("The language model call failed; try again.", kind="unavailable")
    status = exc.status_code
    if status == 429:
        return LLMError(
            f"The language model is rate-limited and still was after {settings.max_retries + 1} "
            "attempts; wait a minute and try again.",
            kind="rate_limited",
        )
    if status in (401, 403):
        if settings.provider == "openai":
            how = "check OPENAI_API_KEY"
        elif settings.api_key:
            how = "check AZURE_OPENAI_API_KEY"
        else:
            how = "check the Entra ID sign-in; the identity needs the 'Cognitive Services OpenAI User' role"
        return LLMError(
            f"The language model service refused the credentials (HTTP {status}); {how}.", kind="auth"
        )
    if status == 404:
        return LLMError(
            f"The model or deployment {settings.model!r} was not found at {where}; check "
            "AZURE_OPENAI_DEPLOYMENT / MCEM_MODEL and AZURE_OPENAI_API_VERSION.",
            kind="config",
        )
    if status == 400 and _is_content_filter(exc):
        return LLMError(_FILTERED, kind="content_filter")
    if status == 400 and (rejected := _reasoning_parameter(exc)):
        return LLMError(
            f"The model rejected {rejected!r} (HTTP 400), as reasoning models (o-series, gpt-5) do: "
            "set MCEM_LLM_REASONING=on, which sends max_completion_tokens and no temperature"
            f"{_version_hint(settings)}.",
            kind="config",
        )
    if status >= 500:
        return LLMError(
            f"The language model service is unavailable (HTTP {status}) after "
            f"{settings.max_retries + 1} attempts; try again later.",
            kind="unavailable",
        )
    # The service's own reason ("Unsupported parameter: 'max_tokens' ...") is what the user can act on.
    reason = _service_message(exc)
    return LLMError(
        f"The language model rejected the request (HTTP {status}){': ' + reason if reason else ''}.",
        kind="config" if status == 400 else "unavailable",
    )


def _service_message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body)
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        return ""
    line = " ".join(message.split()).rstrip(".")
    return line if len(line) <= 200 else line[:199] + "…"


def _reasoning_parameter(exc: openai.APIStatusError) -> str:
    """The parameter a reasoning model refused (max_tokens, temperature), or "" for other 400s."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body)
    error = error if isinstance(error, dict) else {}
    param = str(getattr(exc, "param", None) or error.get("param") or "")
    code = str(getattr(exc, "code", None) or error.get("code") or "")
    if param in ("max_tokens", "temperature") and code in ("unsupported_parameter", "unsupported_value"):
        return param
    # Some gateways drop param and code but keep the service's sentence.
    message = str(error.get("message") or "")
    return "max_tokens" if "'max_tokens'" in message and "max_completion_tokens" in message else ""


def _version_hint(settings: LLMSettings) -> str:
    if settings.provider != "azure" or serves_reasoning(settings.api_version):
        return ""
    return f" and AZURE_OPENAI_API_VERSION={REASONING_MIN_AZURE_API_VERSION} or later"


def _is_content_filter(exc: openai.APIStatusError) -> bool:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    code = getattr(exc, "code", None) or (error.get("code") if isinstance(error, dict) else None)
    return code == "content_filter"


def _describe(error: jsonschema.ValidationError) -> str:
    path = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{path}: {error.message[:200]}"


def _problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, ValidationError):
        parts = [f"{'/'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:8]]
        return "; ".join(parts)
    return str(exc)
