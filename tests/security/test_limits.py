"""Findings 12–14 and the request-level low findings: concurrency, request limits, security headers,
bad input, database errors, file modes, settings checked at start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROOT, make_settings
from tests.llm_server import FakeLLMServer, Reply
from tests.security.conftest import app_env, copy_app_dirs, gradio_call
from tests.server import serve

SLOW_LLM_S = 1.5
_SLOW_LLM: list[FakeLLMServer] = []  # the tight server's LLM, to see how many turns it served at once


@pytest.fixture(scope="module")
def tight(demo_data_dir, tmp_path_factory):
    """A server with a low rate limit and a slow LLM: the limits and the concurrency show."""
    data_dir, knowledge_dir = copy_app_dirs(demo_data_dir, tmp_path_factory.mktemp("tight"))
    with FakeLLMServer() as llm:
        llm.script(Reply("示例银行信用卡的免息还款期最长为56天[1]。", delay_s=SLOW_LLM_S))
        _SLOW_LLM.append(llm)
        env = app_env(CHATBOT_KNOWLEDGE_DIR=str(knowledge_dir), CHATBOT_RATE_LIMIT="5/minute",
                      CHATBOT_LOGIN_LIMIT_ADDRESS="3/minute", CHATBOT_LLM_BASE_URL=llm.base_url,
                      CHATBOT_LLM_MODEL="fake-model", CHATBOT_LLM_TIMEOUT_S="10")
        with serve(data_dir, **env) as url:
            from tests.security.conftest import App

            yield App(url, data_dir, knowledge_dir)


def _from(address: str) -> dict:
    """The client address as a trusted local proxy reports it (uvicorn trusts 127.0.0.1's X-Forwarded-For)."""
    return {"X-Forwarded-For": address}


# --- 12. the page's chat runs turns in parallel -------------------------------------------------------

def test_page_chat_runs_turns_concurrently(tight):
    """Before: Gradio's default concurrency of 1 ran one page turn at a time (one slow LLM turn blocked
    every customer)."""
    results = []
    _SLOW_LLM[-1].script(Reply("示例银行信用卡的免息还款期最长为56天[1]。", delay_s=SLOW_LLM_S))

    def turn(number: int) -> None:
        with tight.client(headers=_from(f"10.0.0.{number}")) as client:
            client.get("/")
            results.append(gradio_call(client, "", "respond", ["信用卡免息期最长多少天？", [], None, None, None]))

    threads = [threading.Thread(target=turn, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all("output" in r for r in results), results
    # Not a wall-clock bound (this machine is shared): the LLM server saw turns waiting on it at once.
    assert _SLOW_LLM[-1].max_in_flight >= 2, "the page's turns reached the LLM one after another"


# --- 13. request limits ---------------------------------------------------------------------------------

def test_customer_requests_are_rate_limited_per_client(tight):
    """Before: one client could send thousands of requests a minute."""
    with tight.client(headers=_from("10.9.9.9")) as client, tight.client(headers=_from("10.9.9.10")) as other:
        codes = [client.post("/api/feedback", json={"session_id": "x", "message_id": 1, "value": 1}).status_code
                 for _ in range(5)]
        assert codes == [404] * 5
        limited = client.post("/api/chat", json={"message": "信用卡年费怎么免？"})
        assert limited.status_code == 429 and "请求过于频繁" in limited.json()["detail"]
        assert client.post("/api/handoff", json={}).status_code == 429
        client.get("/")
        page = gradio_call(client, "", "respond", ["信用卡年费怎么免？", [], None, None, None])
        assert any("太快" in str(log) for log in page["logs"]) and page["output"][0] == []
        assert other.post("/api/feedback", json={"session_id": "x", "message_id": 1, "value": 1}).status_code == 404


def test_login_backs_off_per_client_address(tight):
    with tight.client(headers=_from("10.8.8.8")) as client:
        for name in ("alice", "bob", "carol"):  # names that do not exist: the address is what is counted
            assert client.post("/staff/login", data={"username": name, "password": "x"}).status_code == 400
        assert client.post("/staff/login", data={"username": "root", "password": "admin-pass"}).status_code == 429
        assert client.get("/api/staff/me", auth=("root", "admin-pass")).status_code == 429
    with tight.client(headers=_from("10.8.8.9")) as elsewhere:
        assert elsewhere.get("/api/staff/me", auth=("root", "admin-pass")).status_code == 200


def test_large_bodies_and_messages(app):
    """Before: a 100 MB JSON body was accepted, and a message refused as too long was stored in full."""
    with app.client() as client:
        huge = client.post("/api/chat", content=b'{"message": "' + b"a" * (2 * 1024 * 1024) + b'"}',
                           headers={"Content-Type": "application/json"})
        assert huge.status_code == 413 and "过大" in huge.json()["detail"]
        assert client.post("/api/chat", json={"message": "我" * 20_001}).status_code == 422
        long = app.chat(client, "我" * 5000)
        assert long["outcome"] == "refused"
    stored = app.sql(f"SELECT content FROM messages WHERE session_id = '{app.session_id(long['session_id'])}' "
                     "AND role = 'user'")[0][0]
    assert len(stored) < 1100 and stored.endswith("【消息过长，仅保存前1000字】")


# --- 14. security headers -------------------------------------------------------------------------------

def test_security_headers(app):
    """Before: no CSP, no frame-ancestors, no nosniff, no Referrer-Policy, no HSTS."""
    with app.client() as client:
        page = client.get("/")
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp and "img-src 'self' data: blob:" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in page.headers
        staff = client.get("/staff/")
        assert "frame-ancestors 'none'" in staff.headers["content-security-policy"]
        assert staff.headers["x-frame-options"] == "DENY" and staff.headers["cache-control"] == "no-store"
        https = client.get("/api/health", headers={"X-Forwarded-Proto": "https"})  # behind a TLS proxy
        assert https.headers["strict-transport-security"].startswith("max-age=")
        for refused in (client.post("/gradio_api/upload"), client.post("/api/chat", content=b"x" * 2_000_000)):
            assert refused.headers["x-content-type-options"] == "nosniff"


def test_frame_ancestors_come_from_the_setting():
    from chatbot.web.guards import SecurityHeaders

    headers = SecurityHeaders(None, make_settings(ROOT, frame_ancestors="'self' https://www.bank.example"))
    assert headers.customer_csp.endswith(b"frame-ancestors 'self' https://www.bank.example")


def test_pages_work_under_the_csp(app, browser):
    """Both pages load and work with the CSP in force: no violation reported in the console."""
    context = browser.new_context()
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(app.url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    page.fill("#xb-input textarea", "信用卡免息期最长多少天？")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=参考依据", timeout=60000)
    page.goto(app.url + "/staff/", wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]", timeout=60000)
    page.locator("input").nth(0).fill("li")
    page.locator("input[type=password]").fill("km-pass")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=当前用户：li", timeout=60000)
    assert not [text for text in console if "Content Security Policy" in text], console
    context.close()


# --- low findings -----------------------------------------------------------------------------------------

def test_bad_values_are_4xx_not_500(app):
    """Before: a lone surrogate or an id ≥ 2⁶³ gave a 500; feedback `value: 0` counted as 👎."""
    with app.client() as client:
        token = app.chat(client, "信用卡年费怎么免？")["session_id"]
        for body in ({"message": "\ud800问"}, {"message": "问", "session_id": "\udfff"}):
            response = client.post("/api/chat", content=_raw_json(body), headers={"Content-Type": "application/json"})
            assert response.status_code == 422
        for value, message_id in ((0, 1), (2, 1), (1, 2**63), (1, 10**30)):
            response = client.post("/api/feedback", json={"session_id": token, "message_id": message_id, "value": value})
            assert response.status_code == 422
        assert client.get("/api/messages", params={"session_id": token, "after_id": 2**64}).status_code == 422
        too_long = client.post("/api/chat", json={"message": "我的电话13812345678" * 2000})
        assert too_long.status_code == 422 and "13812345678" not in too_long.text  # the input is not echoed
        client.get("/")
        page = gradio_call(client, "", "respond", ["\ud800信用卡年费怎么免？", [], None, None, None])
        assert "output" in page and "年费" in str(page["output"][0])
    assert app.sql("SELECT COUNT(*) FROM messages WHERE feedback = -1 AND content LIKE '%年费%'") == [(0,)]


def _raw_json(body: dict) -> bytes:
    import json

    return json.dumps(body).encode()  # ensure_ascii keeps the lone surrogate as \\udXXX


def test_database_errors_never_reach_customers_and_health_checks_a_write(tmp_path, demo_assistant, demo_data_dir):
    """Before: raw SQL errors reached customers, and /api/health said ok on a read-only database."""
    from chatbot.conversations.db import Database
    from chatbot.conversations.service import ChatService
    from chatbot.web.api import create_api

    path = tmp_path / "ro.sqlite"
    Database(f"sqlite:///{path}").engine.dispose()
    read_only = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    settings = make_settings(demo_data_dir)
    client = TestClient(create_api(ChatService(demo_assistant, read_only, settings)), raise_server_exceptions=False)
    failed = client.post("/api/chat", json={"message": "信用卡年费怎么免？"})
    assert failed.status_code == 500 and failed.json() == {"detail": "服务暂时不可用，请稍后再试。"}
    assert "sql" not in failed.text.lower() and "readonly" not in failed.text.lower()
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and health["database"] == "not writable"


def test_the_database_and_secret_are_private(app):
    for name in ("xiaobao.sqlite", "secret_key"):
        mode = stat.S_IMODE(os.stat(app.data_dir / name).st_mode)
        assert mode & 0o077 == 0, f"{name} is {oct(mode)}"


def test_malformed_staff_users_stop_the_app_at_start(tmp_path):
    """Before: a malformed CHATBOT_STAFF_USERS was reported only after the first ingest (a minute later)."""
    env = dict(os.environ, CHATBOT_DATA_DIR=str(tmp_path / "empty"), CHATBOT_STAFF_USERS="wang:expert:not-a-hash",
               CHATBOT_PORT="1")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "CHATBOT_STAFF_USERS" in done.stderr
    assert time.monotonic() - started < 30 and not (tmp_path / "empty" / "chroma").exists()
