"""Small rules for reading settings that every part (CLI, LLM settings, Graph, bot) shares."""

from __future__ import annotations

from mcem.errors import ConfigError

__all__ = ["exactly_one_of", "is_on", "on_off"]

_ON = frozenset({"1", "on", "true", "yes"})
_OFF = frozenset({"", "0", "off", "false", "no"})


def on_off(name: str, raw: str) -> bool:
    """A switch: on/true/yes/1 or off/false/no/0 (any case); empty is off. Anything else is refused."""
    value = raw.strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(f"{name}={raw.strip()!r} is not on or off: set it to on or off.")


def is_on(value: object) -> bool:
    """A switch that is not ours to refuse (an SDK key, a True from a parsed file): on or not."""
    return str(value or "").strip().lower() in _ON


def exactly_one_of(needs: str, first: tuple[str, str], second: tuple[str, str], hint: str = "") -> None:
    """Refuse both or neither of two settings given as (name, value); ``hint`` says more about them."""
    if bool(first[1]) == bool(second[1]):
        detail = f" ({hint})" if hint else ""
        raise ConfigError(f"{needs} needs exactly one of {first[0]} or {second[0]}{detail}.")
