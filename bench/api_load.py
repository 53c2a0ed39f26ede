"""/api/chat requests per second and p50/p95 latency at several concurrency levels (approved mode).

Run: python bench/api_load.py [--clients 1 10 50] [--requests 200] [--data-dir DIR | --url URL]
Starts `python app.py` on a free loopback port with the index in DIR (default ./data, built on first
start), or measures a running deployment at URL (e.g. the proxy of compose.yaml, http://127.0.0.1:8080);
sends dev-set questions from N concurrent clients (bounded count, loopback only), prints a table.
bench/cluster.py runs it against one replica and two behind nginx, side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def run_level(url: str, questions: list[str], clients: int, total: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker(number: int) -> None:
        nonlocal errors
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            started = time.perf_counter()
            try:
                post(url, {"session_id": f"bench-{clients}-{number}-{index}", "message": questions[index % len(questions)]})
            except Exception:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


@contextlib.contextmanager
def running_app(env: dict):
    """`python app.py` with `env` on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=dict(env, CHATBOT_PORT=str(port)),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        app.terminate()
        app.wait(timeout=30)


def row(label, latencies: list[float], elapsed: float, errors: int, width: int = 8) -> str:
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{label:>{width}}{len(ordered) / elapsed:>10.1f}{statistics.median(ordered):>10.1f}{p95:>10.1f}{errors:>8}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--url", help="a running deployment to measure instead of starting app.py (loopback only; "
                        "start it with CHATBOT_RATE_LIMIT= as below)")
    args = parser.parse_args()

    questions = [json.loads(line)["question"] for line in (ROOT / "eval/cases/dev.jsonl").read_text("utf-8").splitlines()]
    # No query-vector cache: the dev questions repeat across levels, and a cache would hide the real cost.
    # One load generator is one client address: the per-client rate limit is off for the measurement.
    env = dict(os.environ, CHATBOT_DATA_DIR=str(args.data_dir), CHATBOT_QUERY_CACHE_SIZE="0", CHATBOT_RATE_LIMIT="")
    env.pop("CHATBOT_LLM_BASE_URL", None)
    with contextlib.nullcontext(args.url.rstrip("/")) if args.url else running_app(env) as base:
        post(base + "/api/chat", {"message": "预热"})
        workers = args.url or f'{env.get("CHATBOT_WORKERS", "1")} worker(s)'
        # The machine is shared: the load average says how much of it the figures had.
        print(f"/api/chat, approved mode, {workers}, {args.requests} requests per level, dev-set questions, "
              f"load average {os.getloadavg()[0]:.2f}")
        print(f"{'clients':>8}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
        for clients in args.clients:
            elapsed, latencies, errors = run_level(base + "/api/chat", questions, clients, args.requests)
            print(row(clients, latencies, elapsed, errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
