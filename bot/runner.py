"""Runs analysis jobs (bot/analysis.py) in the background, a few at a time; cancels the rest at shutdown.

Handlers start a job and return at once; the job itself shows its progress and its end on the
card it was given. Nothing is remembered here: a finished run is recorded by the job in
``Services.runs``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.analysis import AnalysisJob, CardSink, run_analysis
from bot.background import BackgroundTasks
from bot.pool import WorkerPool
from bot.services import Services
from bot.steps import Steps
from graph.meeting_rules import GRACE
from mcem.model import Analysis

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(
        self,
        services: Services,
        *,
        max_jobs: int = 4,
        grace: timedelta = GRACE,
        pool: WorkerPool | None = None,
    ) -> None:
        self._services = services
        # The CPU-bound steps go to the pool's worker processes; the runner closes it.
        self._steps = Steps(pool)
        self._slots = asyncio.Semaphore(max_jobs)
        self._grace = grace
        self._tasks = BackgroundTasks()

    def start(self, job: AnalysisJob, sink: CardSink) -> asyncio.Task[Analysis | None]:
        return self._tasks.start(self._run(job, sink), name=f"analysis-{job.run_id}")

    async def _run(self, job: AnalysisJob, sink: CardSink) -> Analysis | None:
        async with self._slots:
            try:
                return await run_analysis(job, self._services, sink, grace=self._grace, steps=self._steps)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the sink itself failed: nobody left to tell but the log
                log.error("analysis %s could not update its card: %s", job.run_id, type(err).__name__)
                return None

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Until every job started so far has ended (tests, graceful shutdown)."""
        await self._tasks.wait_idle()

    @property
    def pool(self) -> WorkerPool | None:
        return self._steps.pool

    async def aclose(self) -> None:
        await self._tasks.aclose()
        if self._steps.pool is not None:
            await self._steps.pool.aclose()
