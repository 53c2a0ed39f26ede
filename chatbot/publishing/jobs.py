"""The ingest job queue, a table in the deployment's SQL database (`ingest_jobs`).

The console and the staff API enqueue a re-ingest; one worker (`publishing/worker.py`) claims it,
reports progress and the report into the row, and the console polls the row. A worker holds a job
under a lease that it renews while it works: a worker that died (`kill -9`, a lost host) stops renewing,
and once the lease has expired the next worker claims the job again (up to `job_max_attempts`).
Claiming is atomic on every engine: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional
UPDATE elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, and_, insert, or_, select, update
from sqlalchemy.engine import Engine

from ..config import Settings
from ..index.state import state_engine
from ..sql import create_tables, is_postgres, utcnow

metadata = MetaData()

jobs = Table(
    "ingest_jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requested_by", String(64), nullable=False),
    Column("params", Text, nullable=False, default="{}"),  # JSON: override_reason, rebuild
    Column("status", String(16), nullable=False, default="queued", index=True),  # queued|running|done|failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(128)),
    Column("lease_until", DateTime),
    Column("progress_done", Integer, nullable=False, default=0),
    Column("progress_total", Integer, nullable=False, default=0),
    Column("progress_text", Text, nullable=False, default=""),
    Column("report", Text),  # JSON: the PublishReport summary (the `ingest.py --json` shape)
    Column("report_text", Text),  # the report in Chinese, as `ingest.py` prints it
    Column("error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
)

STATUS_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}


@dataclass(frozen=True)
class Job:
    id: int
    requested_by: str
    params: dict
    status: str
    attempts: int
    worker: str | None
    progress_done: int
    progress_total: int
    progress_text: str
    report: dict | None
    report_text: str | None
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def fraction(self) -> float:
        return self.progress_done / self.progress_total if self.progress_total else 0.0

    def to_api(self) -> dict:
        return {"id": self.id, "status": self.status, "status_label": STATUS_LABELS[self.status],
                "requested_by": self.requested_by, "attempts": self.attempts,
                "progress": {"done": self.progress_done, "total": self.progress_total, "text": self.progress_text},
                "report": self.report, "report_text": self.report_text, "error": self.error,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None}


def _job(row) -> Job:
    data = dict(row._mapping)
    data["params"] = json.loads(data["params"] or "{}")
    data["report"] = json.loads(data["report"]) if data["report"] else None
    data.pop("lease_until")
    return Job(**data)


class LeaseLost(Exception):
    """The job's lease expired and another worker took it over: this worker must stop working on it."""


_ready: set[int] = set()
_ready_lock = threading.Lock()


class JobQueue:
    def __init__(self, settings: Settings, *, engine: Engine | None = None):
        self.settings = settings
        self.engine = engine or state_engine(settings)
        if id(self.engine) not in _ready:
            with _ready_lock:
                create_tables(self.engine, metadata)
                _ready.add(id(self.engine))

    # --- the console's side -------------------------------------------------------------------------

    def enqueue(self, requested_by: str, *, override_reason: str = "", rebuild: bool = False) -> Job:
        """Queue a re-ingest; a request identical to one still waiting joins it instead of queueing twice."""
        params = json.dumps({"override_reason": override_reason, "rebuild": rebuild}, ensure_ascii=False,
                            sort_keys=True)
        with self.engine.begin() as connection:
            waiting = connection.execute(select(jobs).where(jobs.c.status == "queued", jobs.c.params == params)
                                         .order_by(jobs.c.id).limit(1)).first()
            if waiting is not None:
                return _job(waiting)
            job_id = connection.execute(insert(jobs).values(
                requested_by=requested_by, params=params, status="queued", created_at=utcnow())).inserted_primary_key[0]
        return self.get(job_id)

    def get(self, job_id: int) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _job(row)

    def latest(self) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(jobs).order_by(jobs.c.id.desc()).limit(1)).first()
        return None if row is None else _job(row)

    def pending(self) -> int:
        """Jobs queued or running."""
        with self.engine.connect() as connection:
            return len(connection.execute(select(jobs.c.id).where(jobs.c.status.in_(["queued", "running"])))
                       .all())

    # --- the worker's side --------------------------------------------------------------------------

    def _claimable(self, now: dt.datetime):
        return or_(jobs.c.status == "queued", and_(jobs.c.status == "running", jobs.c.lease_until < now))

    def claim(self, worker: str) -> Job | None:
        """Take the oldest queued job, or a running one whose worker stopped renewing its lease."""
        now = utcnow()
        lease = now + dt.timedelta(seconds=self.settings.job_lease_s)
        with self.engine.begin() as connection:
            query = select(jobs.c.id, jobs.c.attempts).where(self._claimable(now)).order_by(jobs.c.id).limit(1)
            if is_postgres(self.engine):
                query = query.with_for_update(skip_locked=True)
            found = connection.execute(query).first()
            if found is None:
                return None
            if found.attempts >= self.settings.job_max_attempts:  # it killed every worker that ran it
                connection.execute(update(jobs).where(jobs.c.id == found.id, self._claimable(now)).values(
                    status="failed", finished_at=now, lease_until=None,
                    error=f"导入进程在此任务上中断了 {found.attempts} 次，已停止重试。"))
                return None
            taken = connection.execute(update(jobs).where(jobs.c.id == found.id, self._claimable(now)).values(
                status="running", worker=worker, lease_until=lease, attempts=jobs.c.attempts + 1,
                started_at=now, error=None))
            if taken.rowcount != 1:  # another worker was quicker (SQLite: no row locks)
                return None
        return self.get(found.id)

    def _mine(self, job_id: int, worker: str):
        return and_(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.status == "running")

    def report_progress(self, job_id: int, worker: str, done: int | None = None, total: int | None = None,
                        text: str | None = None) -> None:
        """Renew the lease (and record progress); LeaseLost when the job is no longer this worker's."""
        values = {"lease_until": utcnow() + dt.timedelta(seconds=self.settings.job_lease_s)}
        if done is not None:
            values |= {"progress_done": done, "progress_total": total or 0, "progress_text": text or ""}
        with self.engine.begin() as connection:
            if connection.execute(update(jobs).where(self._mine(job_id, worker)).values(**values)).rowcount != 1:
                raise LeaseLost(f"job {job_id} is no longer held by {worker}")

    def finish(self, job_id: int, worker: str, *, report: dict | None = None, report_text: str | None = None,
               error: str | None = None) -> None:
        values = {"status": "failed" if error else "done", "finished_at": utcnow(), "lease_until": None,
                  "error": error, "report": json.dumps(report, ensure_ascii=False) if report is not None else None,
                  "report_text": report_text}
        with self.engine.begin() as connection:
            connection.execute(update(jobs).where(self._mine(job_id, worker)).values(**values))

    def release(self, job_id: int, worker: str) -> None:
        """Give a job back untried (another ingest held the lock): queued again, the attempt not counted."""
        with self.engine.begin() as connection:
            connection.execute(update(jobs).where(self._mine(job_id, worker)).values(
                status="queued", worker=None, lease_until=None, attempts=jobs.c.attempts - 1))
