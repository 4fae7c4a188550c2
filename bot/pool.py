"""A pool of worker processes for the CPU-bound steps (bot/work.py), awaited from the event loop.

Why processes: parsing, the offline analysis, verification and rendering are pure Python and hold
the GIL; in threads they share one core and stall the loop that answers Teams. Why not
``ProcessPoolExecutor``: when one of its workers dies, every job in flight fails with
``BrokenProcessPool``. Here each worker has its own pipe and runs one call at a time, so a worker
that dies fails exactly the call it was running (``WorkerDied``) and is replaced; the others go on.

Workers come from a ``forkserver`` that has imported bot/work.py's modules once (and nothing of
the bot, Graph, the Agents SDK or the LLM stack), so a new worker starts in milliseconds and the
workers share those pages with the fork server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from mcem import telemetry
from mcem.errors import MCEMError

__all__ = ["WorkerDied", "WorkerPool", "default_workers"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_PRELOAD = ["bot.work"]


class WorkerDied(MCEMError):
    """The process running this step ended before it answered (killed, out of memory, a crash)."""

    title = "Analysis stopped"

    def headline(self) -> str:
        return "The process analysing this meeting stopped before it finished."


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _serve(conn: Connection) -> None:
    """A worker's life: run each call that arrives, answer (True, result) or (False, exception)."""
    # A worker never exports telemetry itself (a forked one would inherit the bot's exporters): its
    # steps record their spans and they travel back with the result (mcem/telemetry.py).
    telemetry.uninstall()
    # What the fork server imported lives as long as the worker: out of the collector's sight, so
    # the full collections the analyses' garbage triggers do not walk all of it again (over a third
    # of their cost), and do not write to (so copy) the pages shared with the fork server.
    gc.freeze()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):  # the bot went away
            return
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except Exception as err:
            reply = (False, _portable(err))
        conn.send(reply)


def _portable(err: Exception) -> Exception:
    """The exception itself if it survives the trip to the bot, else its type's name in a RuntimeError
    (never its text: it may quote the transcript)."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return RuntimeError(f"{type(err).__name__} in a worker process")
    return err


class _Worker:
    def __init__(self, context: BaseContext) -> None:
        mine, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,), name="mcem-worker", daemon=True)
        self.process.start()
        theirs.close()
        self.conn = mine

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
        """Blocking: send one call and wait for its answer (run in a thread)."""
        self.conn.send((fn, args))
        return self.conn.recv()  # type: ignore[no-any-return]

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class WorkerPool:
    """``size`` worker processes; ``await pool.run(fn, *args)`` runs ``fn(*args)`` in one of them.

    Started lazily by the first call (or ``start()``), so building it costs nothing.
    """

    def __init__(self, size: int | None = None, *, start_method: str = "forkserver") -> None:
        self.size = max(1, size or default_workers())
        self._method = start_method
        self._context: BaseContext | None = None
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._running: set[_Worker] = set()
        self._spawning: set[asyncio.Task[None]] = set()
        self._closed = False

    def _ensure(self) -> asyncio.Queue[_Worker]:
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        if self._idle is None:
            context = multiprocessing.get_context(self._method)
            if self._method == "forkserver":
                context.set_forkserver_preload(_PRELOAD)  # type: ignore[attr-defined]
            self._context = context
            self._idle = asyncio.Queue()
            for _ in range(self.size):
                self._spawn()
        return self._idle

    def _spawn(self) -> None:
        """Start one worker beside the loop: the first start waits for the fork server to import
        the analysis modules (a second or two), later ones for a fork."""

        async def spawn() -> None:
            assert self._context is not None and self._idle is not None
            try:
                worker = await asyncio.to_thread(_Worker, self._context)
            except Exception as err:  # cannot start a process now: run with one fewer
                log.error("could not start a worker process: %s", type(err).__name__)
                return
            if self._closed:
                await asyncio.to_thread(worker.stop)
                return
            self._workers.add(worker)
            self._idle.put_nowait(worker)

        task = asyncio.create_task(spawn(), name="worker-start")
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    async def start(self) -> list[int]:
        """Start the workers and make each answer once; their process ids."""
        self._ensure()
        await self.settle()  # all started, so each warm-up call below goes to a different one
        from bot import work

        return list(await asyncio.gather(*(self.run(work.warm) for _ in range(self.size))))

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def busy_pids(self) -> list[int]:
        """The process ids of the workers running a call right now."""
        return [w.process.pid for w in self._running if w.process.pid is not None]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        idle = self._ensure()
        if not self._workers and not self._spawning:
            raise WorkerDied("No worker process could be started.")
        worker = await idle.get()
        healthy = False
        self._running.add(worker)
        try:
            ok, value = await asyncio.to_thread(worker.call, fn, args)
            healthy = True
        except (EOFError, OSError) as err:
            await asyncio.to_thread(worker.process.join, 1)  # reaped, so its exit code is known
            log.error("a worker process ended mid-step (exit code %s)", worker.process.exitcode)
            raise WorkerDied("The process doing this step stopped unexpectedly.") from err
        finally:
            self._running.discard(worker)
            if healthy and not self._closed:
                idle.put_nowait(worker)
            else:
                # A worker that died, or whose caller gave up mid-call (its answer would reach
                # the next caller), is replaced rather than reused.
                self._retire(worker)
                if not self._closed:
                    self._spawn()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def _retire(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        task = asyncio.create_task(asyncio.to_thread(worker.stop), name="worker-stop")
        self._spawning.add(task)  # awaited by aclose like a start
        task.add_done_callback(self._spawning.discard)

    async def settle(self) -> None:
        """Until the workers being started or stopped right now are."""
        while self._spawning:
            await asyncio.gather(*self._spawning, return_exceptions=True)

    async def aclose(self) -> None:
        self._closed = True
        await self.settle()
        workers, self._workers = list(self._workers), set()
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))
