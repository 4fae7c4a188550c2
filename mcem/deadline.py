"""A wall-clock budget for work on untrusted input (parsing a transcript, reading a draft back).

Size limits keep the work linear; the deadline is the backstop for inputs that are within the size
limits and still slow (python-docx spends ~0.1 ms per paragraph). Loops ask it every few hundred
items, so the check costs nothing measurable; when the time is up it raises the caller's error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["Deadline"]

T = TypeVar("T")


class Deadline:
    def __init__(
        self, seconds: float, expired: Callable[[], Exception], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._expired = expired
        self._clock = clock
        self._end = clock() + seconds

    def check(self) -> None:
        if self._clock() > self._end:
            raise self._expired()

    def paced(self, items: Iterable[T], every: int = 256) -> Iterator[T]:
        """``items`` unchanged, with a check every ``every`` items."""
        for index, item in enumerate(items):
            if index % every == 0:
                self.check()
            yield item
