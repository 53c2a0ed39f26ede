"""The ingest job queue on SQLite (the PostgreSQL side runs in tests/test_scaleout.py): one claim wins,
a job whose worker died is run again after its lease, a job that keeps killing workers stops, and a
second worker is refused."""

from __future__ import annotations

import datetime as dt
import threading
import time

from chatbot.index.locks import exclusive
from chatbot.conversations.db import Database
from chatbot.conversations.models import Conversation, Message, utcnow
from chatbot.publishing.jobs import JobQueue, LeaseLost
from chatbot.publishing.worker import HOUSEKEEPING_EVERY_S, IngestWorker
from tests.conftest import at_once, make_settings
from tests.test_cli import _run


def test_concurrent_claims_one_wins_and_an_expired_lease_is_taken_over(tmp_path):
    settings = make_settings(tmp_path / "data", job_lease_s=0.5, job_max_attempts=2)
    queue = JobQueue(settings)
    job = queue.enqueue("li")
    assert queue.enqueue("li").id == job.id  # the same request still waiting: no second job
    won = [claimed for claimed in at_once(lambda n: JobQueue(settings).claim(f"worker-{n}")) if claimed is not None]
    assert len(won) == 1 and won[0].status == "running" and won[0].attempts == 1
    first = won[0].worker
    queue.report_progress(job.id, first, 3, 10, "写入索引 cards/a.yaml")
    assert queue.get(job.id).progress_text == "写入索引 cards/a.yaml"
    assert queue.claim("worker-x") is None  # the lease holds while it is renewed

    time.sleep(0.6)  # the first worker died: nothing renews its lease
    again = queue.claim("worker-x")
    assert again.id == job.id and again.attempts == 2 and again.worker == "worker-x"
    try:
        queue.report_progress(job.id, first, 4, 10, "")
    except LeaseLost:
        pass
    else:
        raise AssertionError("a worker whose lease was taken over must stop")

    time.sleep(0.6)  # it killed the second worker too: marked failed instead of a third run
    assert queue.claim("worker-y") is None
    failed = queue.get(job.id)
    assert failed.status == "failed" and "中断了 2 次" in failed.error


def test_a_second_worker_is_refused_and_the_one_worker_runs_retention(tmp_path):
    settings = make_settings(tmp_path / "data")
    old = utcnow() - dt.timedelta(days=settings.retention_days + 1)
    with Database.from_settings(settings).session.begin() as session:
        session.add(Conversation(session_id="old", created_at=old, updated_at=old))
        session.add(Message(session_id="old", role="user", content="问", created_at=old))
    with exclusive(settings, "worker"):
        refused = _run(["-m", "chatbot", "worker", "--once"], settings.data_dir)
    assert refused.returncode == 2 and "另一个导入进程" in refused.stderr
    with Database.from_settings(settings).session() as session:
        assert session.get(Conversation, "old") is not None  # a refused worker runs nothing
    assert _run(["ingest.py", "--worker", "--once", "-q"], settings.data_dir).returncode == 0  # free again
    with Database.from_settings(settings).session() as session:
        assert session.get(Conversation, "old") is None  # the deployment's one worker ran the retention job


def test_the_worker_keeps_house_at_start_and_then_daily(tmp_path):
    calls = []
    worker = IngestWorker(make_settings(tmp_path / "data", job_poll_s=0.05), None,
                          housekeeping=lambda: calls.append(time.monotonic()))
    stop = threading.Event()
    serving = threading.Thread(target=worker.serve, args=(stop,))
    serving.start()
    time.sleep(0.5)  # ten idle polls: still one run
    stop.set()
    serving.join()
    assert len(calls) == 1
    worker.housekept_at -= HOUSEKEEPING_EVERY_S  # a day later
    worker.keep_house()
    assert len(calls) == 2
