"""Offline token counting (``bpe-openai`` ships its encodings; tiktoken would download them)."""

from __future__ import annotations

from functools import cache

import bpe_openai

DEFAULT_ENCODING = "o200k_base"  # gpt-4o, gpt-4.1 and later


@cache
def _encoding(name: str) -> bpe_openai.Encoding:
    return bpe_openai.get_encoding(name)


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    # encode_ordinary: a transcript that happens to contain "<|endoftext|>" is text, not a control token.
    return len(_encoding(encoding).encode_ordinary(text))
