"""The scale-out topology without containers, end to end, and /api/chat under load through it.

Run: python bench/cluster.py [--clients 1 10] [--requests 200] [--rounds 3] [--knowledge DIR]
Starts on this machine, all on loopback ports: a throwaway PostgreSQL 15 and `chroma run`
(tests/servers.py), `python ingest.py` into them, the ingest worker, two app replicas and nginx with
deploy/nginx.conf (upstreams rewritten to the local ports). Then checks the topology as a user would
(a chat and a hand-off through the proxy, the ticket claimed on the other replica, the chat page served
with its sticky cookie, a re-ingest queued through the proxy and answered by both replicas) and measures
`bench/api_load.py`'s load against one replica directly, one replica behind nginx, and two behind
nginx, the configurations taking turns for `--rounds` rounds (medians). Stops everything at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_load import run_level  # noqa: E402
from chatbot.sealing import new_key  # noqa: E402
from tests.servers import (  # noqa: E402
    ChromaServer, PostgresServer, Process, Replica, free_port, get_json, request_json, wait_until)


def nginx(conf_template: str, upstreams: list[str], folder: Path) -> tuple[subprocess.Popen, str]:
    """nginx in the foreground with deploy/nginx.conf, its upstreams pointed at `upstreams`."""
    port = free_port()
    text = conf_template.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("http {", "http {\n    access_log off;")
    for service in ("app1", "app2"):
        line = f"        server {service}:7860 max_fails=2 fail_timeout=10s;\n"
        index = 0 if service == "app1" else 1
        text = text.replace(line, f"        server {upstreams[index]} max_fails=2 fail_timeout=10s;\n"
                            if index < len(upstreams) else "")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nginx.conf").write_text(text)
    process = subprocess.Popen(["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder),
                                "-g", f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;"])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: get_json(url + "/api/health")["status"] == "ok", 30, "nginx")
    return process, url


def check_topology(proxy: str, replicas: list[Replica], knowledge: Path, staff: dict) -> list[str]:
    """What a user of the deployment sees, through the proxy; returns the lines to print."""
    lines = []
    status, answer = request_json("POST", proxy + "/api/chat", {"session_id": "e2e-1", "message": "信用卡免息期最长多少天？"})
    assert status == 200 and "56天" in answer["answer"], answer
    lines.append(f"chat through nginx: {answer['outcome']}, cites {answer['citations'][0]['id']}")
    ticket = request_json("POST", proxy + "/api/chat", {"session_id": "e2e-2",
                                                        "message": "有人在电话里让我把验证码告诉他"})[1]["ticket_id"]
    claimed = request_json("POST", f"{replicas[1].url}/api/staff/tickets/{ticket}/claim", auth=staff["expert"])
    assert claimed[0] == 200, claimed
    lines.append(f"hand-off through nginx: ticket {ticket}, claimed on replica 2 by {claimed[1]['owner']}")
    with urllib.request.urlopen(proxy + "/", timeout=30) as response:
        cookies = response.headers.get_all("Set-Cookie") or []  # nginx's route, the app's signed session
        cookie = next((c for c in cookies if c.startswith("xb_route=")), "")
        assert response.status == 200 and cookie and any(c.startswith("xb_session=") for c in cookies), cookies
    lines.append(f"chat page through nginx: 200, sticky cookie {cookie.split(';')[0][:20]}…")

    card = knowledge / "cards" / "card-credit-interest-free.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("56天", "60天"), encoding="utf-8")
    doc_fixes = [p for p in (knowledge / "docs").rglob("*") if p.is_file() and "56天" in p.read_text("utf-8", "ignore")]
    for path in doc_fixes:  # the documents state it too: the stale-content probe would hold the change back
        path.write_text(path.read_text(encoding="utf-8").replace("56天", "60天"), encoding="utf-8")
    status, queued = request_json("POST", proxy + "/api/staff/knowledge/ingest", {}, auth=staff["knowledge_manager"])
    assert status == 202, queued
    started = time.monotonic()
    job = wait_until(lambda: (j := get_json(f"{proxy}/api/staff/knowledge/jobs/{queued['job']['id']}",
                                            auth=staff["knowledge_manager"])["job"])["status"] in ("done", "failed") and j,
                     600, "the re-ingest job", interval=0.2)
    assert job["status"] == "done" and job["report"]["published"], job
    done = time.monotonic()
    wait_until(lambda: all("60天" in request_json("POST", r.url + "/api/chat", {"session_id": "e2e-3",
                                                                               "message": "信用卡免息期最长多少天？"})[1]["answer"]
                           for r in replicas), 30, "both replicas to follow the publish", interval=0.1)
    lines.append(f"re-ingest queued through nginx: job {job['id']} done by the worker in {done - started:.1f} s, "
                 f"both replicas answer 60天 {time.monotonic() - done:.1f} s after it")
    return lines


def load(url: str, questions: list[str], clients: int, total: int) -> dict:
    elapsed, latencies, errors = run_level(url + "/api/chat", questions, clients, total)
    ordered = sorted(latencies)
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(ordered),
            "p95": ordered[int(0.95 * (len(ordered) - 1))], "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()
    from chatbot.staff.accounts import hash_password

    work = Path(tempfile.mkdtemp(prefix="xb-cluster-"))
    knowledge = shutil.copytree(args.knowledge, work / "knowledge")
    staff = {"expert": ("wang", "pw-wang"), "knowledge_manager": ("li", "pw-li")}
    postgres, chroma = PostgresServer(), ChromaServer()
    processes: list = []
    try:
        postgres.start()
        chroma.start()
        env = {"CHATBOT_DATABASE_URL": postgres.create_database("xiaobao"), "CHATBOT_CHROMA_URL": chroma.url,
               "CHATBOT_KNOWLEDGE_DIR": str(knowledge), "CHATBOT_INGEST_WORKER": "external",
               "CHATBOT_QUERY_CACHE_SIZE": "0", "CHATBOT_EVAL_GATE_CASES": "", "ANONYMIZED_TELEMETRY": "False",
               # One secret for every replica (a session issued by one opens on the other); one load
               # generator is one client address, so the per-client rate limit is off for the measurement.
               "CHATBOT_SESSION_SECRET": secrets.token_hex(32), "CHATBOT_RATE_LIMIT": "",
               "CHATBOT_DATA_KEY": new_key(),  # callback numbers sealed by one replica open on the other
               "CHATBOT_STAFF_USERS": ";".join(f"{name}:{role}:{hash_password(pw, iterations=1000)}"
                                               for role, (name, pw) in staff.items())}
        started = time.monotonic()
        subprocess.run([sys.executable, "ingest.py"], cwd=ROOT, env={**os.environ, **env,
                                                                      "CHATBOT_DATA_DIR": str(work / "ingest")},
                       check=True, stdout=subprocess.DEVNULL)
        print(f"python ingest.py into PostgreSQL + chroma run: {time.monotonic() - started:.0f} s")
        worker = Process(["-m", "chatbot", "worker"], env | {"CHATBOT_DATA_DIR": str(work / "worker")},
                         work / "worker.log")
        replicas = [Replica(env | {"CHATBOT_DATA_DIR": str(work / f"app{n}")}, work / f"app{n}.log") for n in (1, 2)]
        processes += [worker, *replicas]
        for replica in replicas:
            replica.wait_ready()
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        both, proxy_two = nginx(conf, [f"127.0.0.1:{r.port}" for r in replicas], work / "nginx-two")
        one, proxy_one = nginx(conf, [f"127.0.0.1:{replicas[0].port}"], work / "nginx-one")
        processes += [both, one]
        for line in check_topology(proxy_two, replicas, knowledge, staff):
            print(line)
        data_dirs = [work / f"app{n}" for n in (1, 2)] + [work / "worker"]
        print("files in the replicas' and the worker's data directories:",
              sum(1 for d in data_dirs if d.exists() for _ in d.rglob("*")))

        questions = [json.loads(line)["question"]
                     for line in (ROOT / "eval/cases/dev.jsonl").read_text("utf-8").splitlines()]
        targets = {"1 replica, direct": replicas[0].url, "1 replica behind nginx": proxy_one,
                   "2 replicas behind nginx": proxy_two}
        for url in targets.values():
            load(url, questions, 4, 40)  # warm-up
        figures: dict = {(name, c): [] for name in targets for c in args.clients}
        for _ in range(args.rounds):
            for clients in args.clients:
                for name, url in targets.items():
                    figures[name, clients].append(load(url, questions, clients, args.requests))
        print(f"\n/api/chat, approved mode, PostgreSQL + chroma run, {args.requests} requests per level, "
              f"{args.rounds} rounds (medians; ranges of p95), load average {os.getloadavg()[0]:.2f}")
        print(f"{'':26}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p95 range':>16}{'errors':>8}")
        for clients in args.clients:
            for name in targets:
                runs = figures[name, clients]
                p95s = [r["p95"] for r in runs]
                print(f"{name:26}{clients:>8}{statistics.median(r['rps'] for r in runs):>9.1f}"
                      f"{statistics.median(r['p50'] for r in runs):>9.1f}{statistics.median(p95s):>9.1f}"
                      f"{f'{min(p95s):.0f}–{max(p95s):.0f}':>16}{sum(r['errors'] for r in runs):>8}")
    finally:
        for process in reversed(processes):
            with contextlib.suppress(Exception):
                if isinstance(process, subprocess.Popen):
                    process.terminate()
                    process.wait(timeout=20)
                else:
                    process.stop()
        chroma.stop()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
