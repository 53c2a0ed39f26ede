"""The chat page's turns under load: p50/p95 of one question through Gradio's queue, as the page sends it.

Run: python bench/page_load.py [--clients 20] [--turns 5] [--concurrency 1 8] [--data-dir DIR]
For each Gradio concurrency limit (CHATBOT_UI_CONCURRENCY) it starts `python app.py` on a free loopback
port with the index in DIR (default ./data), lets N clients each load the page and ask `--turns`
dev-set questions (join the queue, read the event stream to its end), and prints a table. Bounded in
count, loopback only; the per-client rate limit is off for the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from api_load import row, running_app  # noqa: E402


def page_turn(client: httpx.Client, fn_index: int, question: str) -> float:
    session_hash = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    joined = client.post("/gradio_api/queue/join", json={"data": [question, [], None, None, None], "fn_index": fn_index,
                                                         "session_hash": session_hash, "event_data": None,
                                                         "trigger_id": None})
    joined.raise_for_status()
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_completed":
                break
    return (time.perf_counter() - started) * 1000


def run_level(base: str, questions: list[str], clients: int, turns: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def customer(number: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=base, timeout=120) as client:
            client.get("/")  # the page's session cookie
            fn_index = next(d["id"] for d in client.get("/config").json()["dependencies"] if d.get("api_name") == "respond")
            for turn in range(turns):
                try:
                    elapsed = page_turn(client, fn_index, questions[(number * turns + turn) % len(questions)])
                except httpx.HTTPError:
                    with lock:
                        errors += 1
                    continue
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (ROOT / "eval/cases/dev.jsonl").read_text("utf-8").splitlines()]
    print(f"page turns, approved mode, {args.clients} clients x {args.turns} turns, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'concurrency':>12}{'turns/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
    for limit in args.concurrency:
        env = dict(os.environ, CHATBOT_DATA_DIR=str(args.data_dir), CHATBOT_RATE_LIMIT="", CHATBOT_QUERY_CACHE_SIZE="0",
                   CHATBOT_UI_CONCURRENCY=str(limit))
        env.pop("CHATBOT_LLM_BASE_URL", None)
        with running_app(env) as base:
            run_level(base, questions, 1, 2)  # warm up
            started = time.perf_counter()
            latencies, errors = run_level(base, questions, args.clients, args.turns)
            print(row(limit, latencies, time.perf_counter() - started, errors, width=12))
    return 0


if __name__ == "__main__":
    sys.exit(main())
