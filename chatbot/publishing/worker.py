"""The one writer: a worker takes re-ingest jobs from the queue (`jobs.py`) and runs them.

It holds the deployment-wide worker lock for its life, so a second worker is refused; each job runs
under the ingest lock as well, so `python ingest.py` and a job never write at once. Progress goes into
the job row (which renews the lease); a worker that dies leaves a job whose lease expires, and the next
worker runs it again from the start (a half-built generation is discarded first, as after any crash).

`python -m chatbot worker` runs it as its own process (`CHATBOT_INGEST_WORKER=external`, the
scale-out topology); by default (`embedded`) the app runs it in a background thread (`services.py`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from ..config import Settings
from ..errors import ChatbotError, IngestBusyError
from ..index.locks import exclusive
from .jobs import Job, JobQueue, LeaseLost
from .pipeline import run_ingest
from .report import Override, format_report

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5  # progress rows written at most this often
HOUSEKEEPING_EVERY_S = 24 * 3600  # the retention job: at the worker's start, then daily


class IngestWorker:
    def __init__(self, settings: Settings, embeddings, *, client=None, queue: JobQueue | None = None,
                 on_published=None, housekeeping=None):
        self.settings = settings
        self.embeddings = embeddings
        self.client = client
        self.queue = queue or JobQueue(settings)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.on_published = on_published  # e.g. the embedded worker's app refreshes its retriever
        # Deployment-wide chores that must run exactly once (retention): the worker lock makes this the one.
        self.housekeeping = housekeeping
        self.housekept_at: float | None = None

    def run_once(self) -> Job | None:
        """Claim one job and run it; None when there was nothing to do."""
        job = self.queue.claim(self.name)
        if job is None:
            return None
        logger.info("ingest job started id=%s attempt=%s by=%s", job.id, job.attempts, job.requested_by)
        renewing = threading.Event()
        lost = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(job.id, renewing, lost), daemon=True,
                                   name=f"job-{job.id}-lease")
        renewer.start()
        try:
            report = self._ingest(job, lost)
        except IngestBusyError:
            logger.info("ingest job id=%s waits: another ingest holds the lock", job.id)
            self.queue.release(job.id, self.name)
            return self.queue.get(job.id)
        except LeaseLost:
            logger.warning("ingest job id=%s taken over by another worker", job.id)
            return self.queue.get(job.id)
        except ChatbotError as error:
            self.queue.finish(job.id, self.name, error=str(error))
        except Exception as error:  # a bug or a store failure: the job says so, the worker goes on
            logger.exception("ingest job failed id=%s", job.id)
            self.queue.finish(job.id, self.name, error=f"导入失败：{type(error).__name__}: {error}")
        else:
            self.queue.finish(job.id, self.name, report=report.summary(), report_text=format_report(report))
            if report.published and self.on_published:
                self.on_published()
        finally:
            renewing.set()
        finished = self.queue.get(job.id)
        logger.info("ingest job finished id=%s status=%s", job.id, finished.status)
        return finished

    def _ingest(self, job: Job, lost: threading.Event):
        reason = job.params.get("override_reason", "").strip()
        last = [0.0, ""]  # when progress was last written, and in which step

        def progress(done: int, total: int, text: str) -> None:
            if lost.is_set():
                raise LeaseLost(f"job {job.id}")
            now, step = time.monotonic(), text.split(" ", 1)[0]
            if now - last[0] >= PROGRESS_EVERY_S or done == total or step != last[1]:
                last[0], last[1] = now, step
                self.queue.report_progress(job.id, self.name, done, total, text)

        return run_ingest(self.settings, self.embeddings, rebuild=bool(job.params.get("rebuild")),
                          progress=progress, show_bar=False, client=self.client, user=job.requested_by,
                          override=Override(by=job.requested_by, reason=reason) if reason else None)

    def _renew(self, job_id: int, done: threading.Event, lost: threading.Event) -> None:
        """Renew the lease while the job runs, also through long steps that report no progress."""
        while not done.wait(self.settings.job_lease_s / 3):
            try:
                self.queue.report_progress(job_id, self.name)
            except LeaseLost:
                lost.set()
                return
            except Exception:  # the database is briefly away: try again at the next beat
                logger.warning("could not renew the lease of job id=%s", job_id, exc_info=True)

    def serve(self, stop: threading.Event) -> None:
        """Run jobs until `stop` is set (the caller holds the worker lock)."""
        while not stop.is_set():
            self.keep_house()
            try:
                job = self.run_once()
            except Exception:  # the database is briefly away: keep the worker alive
                logger.exception("ingest worker: could not take a job")
                job = None
            if job is None or job.status == "queued":
                stop.wait(self.settings.job_poll_s)


    def keep_house(self) -> None:
        """Run the housekeeping at the start of serving and then every HOUSEKEEPING_EVERY_S, between jobs."""
        now = time.monotonic()
        if self.housekeeping is None or (self.housekept_at is not None
                                         and now - self.housekept_at < HOUSEKEEPING_EVERY_S):
            return
        self.housekept_at = now
        try:
            self.housekeeping()
        except Exception as error:  # it must not stop the worker; the next day tries again
            logger.error("housekeeping failed error=%s", type(error).__name__)


def serve_worker(worker: IngestWorker, stop: threading.Event) -> None:
    """The worker's life: refused (IngestBusyError) when another worker holds the lock."""
    with exclusive(worker.settings, "worker"):
        logger.info("ingest worker %s waiting for jobs", worker.name)
        worker.serve(stop)


def serve_embedded(worker: IngestWorker, stop: threading.Event) -> None:
    """The app's own worker thread: whichever process of the host holds the worker lock runs the jobs;
    the others try again now and then, and take over if that process ends."""
    while not stop.is_set():
        try:
            serve_worker(worker, stop)
        except IngestBusyError:
            stop.wait(max(5.0, worker.settings.job_poll_s))
        except Exception:
            logger.exception("embedded ingest worker stopped; retrying")
            stop.wait(5.0)
