"""Runs analysis jobs (bot/analysis.py) in the background, a few at a time; cancels the rest at shutdown.

Handlers start a job and return at once; the job itself shows its progress and its end on the
card it was given. A finished run is recorded by the job in ``Services.runs``. A job started from
Teams comes with its ``ActiveRun``: with ``RunLeases`` it is recorded under a lease until it ends,
so a stop part-way never leaves its card on a spinner (bot/resume.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.analysis import RETRY_VERB, AnalysisJob, CardSink, run_analysis
from bot.background import BackgroundTasks
from bot.pool import WorkerPool
from bot.resume import ActiveRun, RunLeases, interrupted_card
from bot.services import Services
from bot.steps import Steps
from graph.meeting_rules import GRACE
from mcem.model import Analysis

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)

CARD_TIMEOUT_S = 10.0  # for the "interrupted" card at shutdown: the channel may be slow, not forever


class JobRunner:
    def __init__(
        self,
        services: Services,
        *,
        max_jobs: int = 4,
        grace: timedelta = GRACE,
        pool: WorkerPool | None = None,
        leases: RunLeases | None = None,
    ) -> None:
        self._services = services
        # The CPU-bound steps go to the pool's worker processes; the runner closes it.
        self._steps = Steps(pool)
        self._slots = asyncio.Semaphore(max_jobs)
        self._grace = grace
        self._tasks = BackgroundTasks()
        self.leases = leases
        self._active: set[str] = set()  # run ids recorded and running here
        self._lost: set[str] = set()  # run ids another instance took over: leave their card alone
        self._closing = False

    def start(
        self, job: AnalysisJob, sink: CardSink, active: ActiveRun | None = None
    ) -> asyncio.Task[Analysis | None]:
        return self._tasks.start(self._run(job, sink, active), name=f"analysis-{job.run_id}")

    def is_running(self, run_id: str) -> bool:
        return run_id in self._active

    async def _run(self, job: AnalysisJob, sink: CardSink, active: ActiveRun | None) -> Analysis | None:
        tracked = active is not None and await self._begin(active)
        try:
            return await self._work(job, sink, active if tracked else None)
        finally:
            if active is not None:
                self._active.discard(active.run_id)  # only now: its record is gone, or left for a sweep

    async def _work(self, job: AnalysisJob, sink: CardSink, active: ActiveRun | None) -> Analysis | None:
        keeper = None
        if active is not None:
            this = asyncio.current_task()
            assert this is not None
            keeper = asyncio.create_task(self._keep(active.run_id, this), name=f"lease-{job.run_id}")
        try:
            async with self._slots:  # recorded while it waits too: a stop then loses nothing either
                result = await run_analysis(job, self._services, sink, grace=self._grace, steps=self._steps)
        except asyncio.CancelledError:
            if keeper is not None:
                keeper.cancel()
            if active is not None and self._closing and active.run_id not in self._lost:
                await self._interrupted(active, sink)
            raise
        except Exception as err:  # the sink itself failed: nobody left to tell but the log
            log.error("analysis %s could not update its card: %s", job.run_id, type(err).__name__)
            result = None
        if keeper is not None:
            keeper.cancel()
        if active is not None:
            await self._end(active.run_id)
        return result

    async def _begin(self, active: ActiveRun) -> bool:
        if self.leases is None:
            return False
        self._active.add(active.run_id)  # before the record exists: this instance's sweep skips it
        try:
            await self.leases.begin(active)
        except Exception as err:  # the store is down: run it anyway, a restart would lose it
            log.warning("analysis %s not recorded (%s)", active.run_id, type(err).__name__)
            self._active.discard(active.run_id)
            return False
        return True

    async def _keep(self, run_id: str, work: asyncio.Task[Analysis | None]) -> None:
        """Renew the run's lease while it works; stop the work if the renewal is not confirmed."""
        assert self.leases is not None
        every = max(self.leases.ttl.total_seconds() / 3, 0.2)
        while True:
            await asyncio.sleep(every)
            try:
                held = await self.leases.renew(run_id)
            except Exception as err:
                log.warning("analysis %s: lease renewal failed (%s)", run_id, type(err).__name__)
                held = False
            if not held:
                # Another instance may resume it once the lease lapses: two must never share a card.
                log.warning("analysis %s: lease not confirmed; stopping here", run_id)
                self._lost.add(run_id)
                work.cancel()
                return

    async def _interrupted(self, active: ActiveRun, sink: CardSink) -> None:
        assert self.leases is not None
        try:
            await asyncio.wait_for(sink.show(interrupted_card(RETRY_VERB, active.target)), CARD_TIMEOUT_S)
        except Exception as err:  # the card stays as it was: the next start-up's sweep resumes the run
            log.warning(
                "analysis %s interrupted; its card not updated (%s)", active.run_id, type(err).__name__
            )
            return
        log.info("analysis %s interrupted at shutdown; its card says so", active.run_id)
        await self._end(active.run_id)

    async def _end(self, run_id: str) -> None:
        assert self.leases is not None
        try:
            await self.leases.end(run_id)
        except Exception as err:
            log.warning("analysis %s: its record not removed (%s)", run_id, type(err).__name__)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Until every job started so far has ended (tests, graceful shutdown)."""
        await self._tasks.wait_idle()

    @property
    def pool(self) -> WorkerPool | None:
        return self._steps.pool

    @property
    def steps(self) -> Steps:
        """The CPU-bound steps, in this runner's pool: the summary card's buttons use them too."""
        return self._steps

    async def aclose(self, grace_s: float = 0.0) -> None:
        """Let running jobs end for up to ``grace_s`` seconds, then interrupt the rest."""
        if grace_s > 0 and len(self._tasks):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._tasks.wait_idle()), grace_s)
        self._closing = True
        await self._tasks.aclose()
        if self._steps.pool is not None:
            await self._steps.pool.aclose()
