"""Scale-out on the real engines: a throwaway PostgreSQL 15 and `chroma run` (tests/servers.py), two app
replicas (`python app.py`, each with its own empty data directory) and one ingest worker process.

The servers are shared by the session and the small knowledge base is ingested once for the module;
each test leaves the cluster as the next one expects it (served answer, replicas up).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatbot.errors import IngestBusyError
from chatbot.index.generations import read_current
from chatbot.index.locks import ingest_lock
from chatbot.publishing.jobs import JobQueue
from chatbot.publishing.pipeline import run_ingest
from tests.conftest import ROOT, at_once, make_settings, write_bulk_docs, write_small_kb
from tests.servers import Process, Replica, get_json, request_json, wait_until

QUESTION = "跨行取钱要收费吗"
FRAUD = "有人在电话里让我把验证码告诉他"
DATA_KEY = "c2NhbGUtb3V0LXRlc3RzLWRhdGEta2V5LTAwMDAwMDA="  # a Fernet key (32 bytes, url-safe base64)
PHONE = "13812345678"


def test_postgres_claims_skip_locked_rows_and_the_advisory_lock_spans_connections(postgres, tmp_path):
    settings = make_settings(tmp_path / "data", database_url=postgres.create_database("xb_locks"))
    queue = JobQueue(settings)
    job = queue.enqueue("li")
    won = [claimed for claimed in at_once(lambda n: queue.claim(f"worker-{n}")) if claimed is not None]
    assert [j.id for j in won] == [job.id]

    with ingest_lock(settings):  # held on one pooled connection; another connection is refused
        with pytest.raises(IngestBusyError, match="正在进行"):
            with ingest_lock(settings):
                pass
    with ingest_lock(settings):  # released at the end of the block
        pass
    assert not any((tmp_path / "data").rglob("*"))  # the lock is in PostgreSQL, not in the data directory


def test_replicas_starting_together_create_the_schema_once(postgres):
    # Each replica creates the tables it misses at start; started together, all of them must come up.
    from chatbot.conversations.db import Database

    url = postgres.create_database("xb_schema")
    started = at_once(lambda n: Database(url), count=6)
    assert len(started) == 6


STAFF = [("wang", "expert"), ("zhao", "expert"), ("li", "knowledge_manager")]


@dataclass
class Cluster:
    root: Path
    knowledge: Path
    env: dict[str, str]
    replicas: dict[str, Replica] = field(default_factory=dict)
    worker: Process | None = None

    def start_replica(self, name: str) -> Replica:
        data = self.root / f"{name}-data"
        data.mkdir(exist_ok=True)
        replica = Replica(self.env | {"CHATBOT_DATA_DIR": str(data)}, self.root / f"{name}.log")
        self.replicas[name] = replica
        return replica

    def start_worker(self) -> Process:
        data = self.root / "worker-data"
        data.mkdir(exist_ok=True)
        self.worker = Process(["-m", "chatbot", "worker"], self.env | {"CHATBOT_DATA_DIR": str(data)},
                              self.root / f"worker-{time.monotonic_ns()}.log")
        wait_until(lambda: "waiting for jobs" in self.worker.output() or not self.worker.alive(), 120, "the worker")
        assert self.worker.alive(), self.worker.output()
        return self.worker

    def chat(self, replica: str, session: str | None, message: str) -> dict:
        """A chat turn; `session` is a token a replica issued (any other value starts a new conversation)."""
        status, body = request_json("POST", self.replicas[replica].url + "/api/chat",
                                    {"session_id": session, "message": message})
        assert status == 200, body
        return body

    def staff(self, replica: str, method: str, path: str, user: str, payload: dict | None = None) -> tuple[int, dict]:
        return request_json(method, f"{self.replicas[replica].url}/api/staff{path}", payload, auth=(user, f"pw-{user}"))

    def wait_job(self, replica: str, job_id: int, until, timeout: float = 180) -> dict:
        def check():
            job = self.staff(replica, "GET", f"/knowledge/jobs/{job_id}", "li")[1]["job"]
            return job if until(job) else None
        return wait_until(check, timeout, f"job {job_id}", interval=0.1)


@pytest.fixture(scope="module")
def cluster(postgres, chroma_server, embeddings, tmp_path_factory):
    from chatbot.staff.accounts import hash_password

    root = tmp_path_factory.mktemp("cluster")
    knowledge = write_small_kb(root / "knowledge")
    database = postgres.create_database("xb_cluster")
    env = {"CHATBOT_DATABASE_URL": database, "CHATBOT_CHROMA_URL": chroma_server.url, "CHATBOT_COLLECTION": "cluster",
           "CHATBOT_KNOWLEDGE_DIR": str(knowledge), "CHATBOT_INGEST_WORKER": "external",
           "CHATBOT_EVAL_GATE_CASES": "", "CHATBOT_JOB_LEASE_S": "4",
           # One session secret for all replicas (a token issued by A opens the conversation on B); the
           # tests' polling chats from one address stay under a per-replica limit of this size.
           "CHATBOT_SESSION_SECRET": "scale-out-tests-" + "0" * 32, "CHATBOT_RATE_LIMIT": "600/minute",
           # One data key as well: a callback number sealed by A is opened by B for the ticket's owner.
           "CHATBOT_DATA_KEY": DATA_KEY,
           "CHATBOT_STAFF_USERS": ";".join(f"{n}:{r}:{hash_password('pw-' + n, iterations=1000)}" for n, r in STAFF)}
    settings = make_settings(root / "ingest-data", knowledge, database_url=database, chroma_url=chroma_server.url,
                             collection="cluster")
    assert run_ingest(settings, embeddings, show_bar=False).published  # the one ingest of the module
    cluster = Cluster(root, knowledge, env)
    for name in ("a", "b"):
        cluster.start_replica(name)
    try:
        for replica in cluster.replicas.values():
            replica.wait_ready()
        yield cluster
    finally:
        for process in [*cluster.replicas.values(), cluster.worker]:
            if process:
                process.stop()


def test_a_ticket_created_through_replica_a_is_claimed_through_replica_b(cluster):
    handoff = cluster.chat("a", "scale-ticket", FRAUD)
    assert handoff["outcome"] == "handoff" and handoff["ticket_id"]
    ticket = handoff["ticket_id"]
    queue = cluster.staff("b", "GET", "/queue", "wang")[1]
    assert ticket in [t["id"] for t in queue["tickets"]]
    status, claimed = cluster.staff("b", "POST", f"/tickets/{ticket}/claim", "wang")
    assert status == 200 and claimed["owner"] == "wang"
    assert cluster.staff("a", "GET", f"/tickets/{ticket}", "zhao")[1]["owner"] == "wang"


def test_concurrent_claims_through_both_replicas_exactly_one_wins(cluster):
    ticket = cluster.chat("b", "scale-race", FRAUD)["ticket_id"]
    def claim(number):
        replica, user = ("a", "wang") if number % 2 else ("b", "zhao")
        return cluster.staff(replica, "POST", f"/tickets/{ticket}/claim", user), user

    results = at_once(claim)
    winners = [user for (status, _), user in results if status == 200]
    assert len(winners) == 1 and sorted(status for (status, _), _ in results) == [200] + [409] * 7
    assert cluster.staff("a", "GET", f"/tickets/{ticket}", "wang")[1]["owner"] == winners[0]


def test_a_callback_left_through_replica_a_is_read_by_its_owner_through_replica_b(cluster):
    handoff = cluster.chat("a", "scale-callback", FRAUD)
    session, ticket = handoff["session_id"], handoff["ticket_id"]
    status, left = request_json("POST", cluster.replicas["a"].url + "/api/callback",
                                {"session_id": session, "phone": PHONE, "consent": True})
    assert status == 200 and "138****5678" in left["answer"], left
    assert cluster.staff("b", "POST", f"/tickets/{ticket}/claim", "wang")[0] == 200
    status, view = cluster.staff("b", "GET", f"/tickets/{ticket}", "wang")
    assert status == 200 and view["callback"]["phone"] == PHONE, view  # no key file: both use CHATBOT_DATA_KEY
    assert [e["kind"] for e in view["events"]][-2:] == ["callback_left", "claimed"]


def test_presence_heartbeats_through_both_replicas_at_once(cluster):
    # The first heartbeats of a customer and of an expert race to create their rows in PostgreSQL.
    handoff = cluster.chat("b", "scale-presence", FRAUD)
    session, ticket = handoff["session_id"], handoff["ticket_id"]
    beats = at_once(lambda n: request_json("POST", cluster.replicas["ab"[n % 2]].url + "/api/presence",
                                           {"session_id": session})[0])
    polls = at_once(lambda n: cluster.staff("ab"[n % 2], "GET", "/queue", "zhao")[0])
    assert beats == [200] * 8 and polls == [200] * 8
    view = cluster.staff("a", "GET", f"/tickets/{ticket}", "zhao")[1]
    assert view["customer"]["presence"] == "online"


def test_a_publish_by_the_worker_is_answered_by_both_replicas_within_5_s(cluster):
    cluster.start_worker()
    refused = subprocess.run([sys.executable, "-m", "chatbot", "worker", "--once"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120,
                             env={**os.environ, **cluster.env, "CHATBOT_DATA_DIR": str(cluster.root / "w2")})
    assert refused.returncode == 2 and "另一个导入进程" in refused.stderr  # a second worker is refused

    write_small_kb(cluster.knowledge, fee="4")
    status, queued = cluster.staff("a", "POST", "/knowledge/ingest", "li", {})
    assert status == 202
    job = cluster.wait_job("b", queued["job"]["id"], lambda job: job["status"] in ("done", "failed"))
    published = time.monotonic()
    assert job["status"] == "done" and job["report"]["published"], job

    def both_answer_the_new_fee():
        return all("4元" in cluster.chat(name, f"scale-follow-{name}", QUESTION)["answer"] for name in ("a", "b"))

    wait_until(both_answer_the_new_fee, 5, "both replicas to answer from the new generation", interval=0.1)
    assert time.monotonic() - published <= 5
    assert {get_json(r.url + "/api/health")["index_generation"] for r in cluster.replicas.values()} == {2}


def test_kill_9_of_a_replica_or_of_the_worker_mid_ingest_loses_nothing(cluster):
    # A replica dies with a conversation and a ticket in flight: both are in PostgreSQL.
    first = cluster.chat("a", None, QUESTION)
    session = first["session_id"]  # issued by replica A, signed with the secret all replicas share
    ticket = cluster.chat("a", session, FRAUD)["ticket_id"]
    assert cluster.chat("b", session, QUESTION)["session_id"] == session  # B continues A's conversation
    cluster.replicas["a"].kill_9()
    messages = get_json(cluster.replicas["b"].url + f"/api/messages?session_id={session}")["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert messages[1]["content"] == first["answer"]
    assert ticket in [t["id"] for t in cluster.staff("b", "GET", "/queue", "wang")[1]["tickets"]]
    cluster.start_replica("a").wait_ready()
    # The restarted A continues it: the hand-off (in PostgreSQL) holds, so the message goes to the ticket.
    again = cluster.chat("a", session, QUESTION)
    assert again["session_id"] == session and again["ticket_id"] == ticket and again["answer"] == ""
    messages = get_json(cluster.replicas["b"].url + f"/api/messages?session_id={session}")["messages"]
    assert (messages[-1]["role"], messages[-1]["content"]) == ("user", QUESTION)
    assert "4元" in cluster.chat("a", "scale-restarted", QUESTION)["answer"]  # from the served index

    # The worker dies while it writes a new generation: the served answer stays, the job is run again.
    bulk = write_bulk_docs(cluster.knowledge / "docs" / "bulk", 20)
    job_id = cluster.staff("b", "POST", "/knowledge/ingest", "li", {})[1]["job"]["id"]
    cluster.wait_job("a", job_id, lambda job: job["progress"]["text"].startswith("写入索引"))
    cluster.worker.kill_9()
    assert cluster.staff("a", "GET", f"/knowledge/jobs/{job_id}", "li")[1]["job"]["status"] == "running"
    for name in ("a", "b"):
        assert "4元" in cluster.chat(name, f"scale-served-{name}", QUESTION)["answer"]

    shutil.rmtree(bulk)
    write_small_kb(cluster.knowledge, fee="5")
    cluster.start_worker()  # takes the job over once its lease (4 s here) has expired
    job = cluster.wait_job("b", job_id, lambda job: job["status"] in ("done", "failed"), timeout=120)
    assert job["status"] == "done" and job["attempts"] == 2 and job["report"]["published"], job
    wait_until(lambda: all("5元" in cluster.chat(n, "scale-after", QUESTION)["answer"] for n in ("a", "b")), 5,
               "the retried job's generation")
    settings = make_settings(cluster.root / "check", database_url=cluster.env["CHATBOT_DATABASE_URL"],
                             collection="cluster")
    assert read_current(settings).number == 3  # the half-built generation was discarded, not published


def test_replicas_keep_nothing_on_their_local_disk(cluster):
    for name in ("a", "b", "worker"):
        data = cluster.root / f"{name}-data"
        assert data.is_dir() and sorted(data.rglob("*")) == [], name
