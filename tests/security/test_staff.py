"""Findings 6, 9, 10, 11 and the staff-side low findings: plain text in the desk, nothing left in the
browser, login back-off, ticket ids, cross-site requests."""

from __future__ import annotations

import hashlib
import http.server
import re
import threading
import time

import pytest

from chatbot.conversations.tickets import TicketStore
from chatbot.staff.accounts import StaffDirectory, hash_password
from tests.security.conftest import PASSWORDS, gradio_call

# --- 6 and 9: customer text is plain text in the desk; no transcript stays in the browser ------------


@pytest.fixture
def beacon():
    """An HTTP server on 127.0.0.1 that counts requests (a tracking pixel's server)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_desk_shows_customer_markdown_as_text_and_the_browser_keeps_nothing(app, browser, beacon):
    """Before: customer Markdown was rendered in the desk (a remote image loaded in the expert's
    browser, links were clickable), and Gradio's run history kept ticket views in localStorage, after
    logout too."""
    beacon_url, hits = beacon
    message = (f"我要投诉 ![x]({beacon_url}/pixel.png) [点我领取补偿](http://evil.example/) "
               f"<img src=\"{beacon_url}/raw.png\"> 电话13812345678")
    with app.client() as customer:
        ticket_id = app.chat(customer, message)["ticket_id"]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(app.url + "/staff/", wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]", timeout=60000)
    page.locator("input").nth(0).fill("wang")
    page.locator("input[type=password]").fill(PASSWORDS["wang"])
    page.keyboard.press("Enter")
    page.wait_for_selector("text=当前用户：wang", timeout=60000)
    page.locator(f"#xb-queue >> text={ticket_id} >> visible=true").first.click(timeout=60000)  # its row
    page.wait_for_selector("#xb-suggestion >> text=建议回复", timeout=60000)
    transcript, ticket = page.locator("#xb-transcript"), page.locator("#xb-ticket-info")
    assert "![x](" in transcript.inner_text() and "[点我领取补偿](http://evil.example/)" in transcript.inner_text()
    for shown in (transcript, ticket):  # the transcript, and the summary quoting the customer
        assert shown.locator("img").count() == 0 and shown.locator("a").count() == 0
    assert "客户身份：未验证" in ticket.inner_text()
    time.sleep(1)
    assert hits == []
    stored = page.evaluate("JSON.stringify(Object.assign({}, window.localStorage, window.sessionStorage))")
    assert "投诉" not in stored and ticket_id not in stored and "138" not in stored
    page.goto(app.url + "/staff/logout", wait_until="domcontentloaded")
    page.goto(app.url + "/", wait_until="domcontentloaded")  # the public page, same origin
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    stored = page.evaluate("JSON.stringify(Object.assign({}, window.localStorage, window.sessionStorage))")
    assert "投诉" not in stored and ticket_id not in stored
    context.close()


def test_run_history_is_off_on_both_apps(app):
    with app.client() as anonymous:
        assert anonymous.get("/config").json()["run_history"] is False
    assert app.console("wang").get("/staff/config").json()["run_history"] is False


# --- 10. brute force --------------------------------------------------------------------------------

def test_login_backs_off_per_account_on_both_doors(app):
    """Before: unlimited guesses on /staff/login and Basic auth (40 ms of CPU each)."""
    with app.client() as client:
        for _ in range(5):
            assert client.post("/staff/login", data={"username": "lockme", "password": "guess"}).status_code == 400
        blocked = client.post("/staff/login", data={"username": "lockme", "password": PASSWORDS["lockme"]})
        assert blocked.status_code == 429 and "登录尝试过于频繁" in blocked.json()["detail"]
        assert int(blocked.headers["retry-after"]) >= 1
        assert client.get("/api/staff/me", auth=("lockme", PASSWORDS["lockme"])).status_code == 429
        assert client.get("/api/staff/me", auth=("wang", PASSWORDS["wang"])).status_code == 200  # others unaffected


def test_unknown_users_cost_the_same_as_known_ones(monkeypatch):
    """Before: an unknown name returned at once, a known one after the hash: the timing told which exist."""
    directory = StaffDirectory({"wang": ("expert", hash_password("right", iterations=20_000))})
    calls = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: calls.append(args[3]) or real(*args))
    assert directory.authenticate("wang", "wrong") is None and directory.authenticate("nobody", "wrong") is None
    assert calls == [20_000, 20_000]


# --- 11. ticket ids -----------------------------------------------------------------------------------

def test_ticket_ids_have_64_random_bits_and_a_collision_is_retried(app, tmp_path, monkeypatch):
    """Before: 24 random bits per day, and a collision raised a 500 on the hand-off turn."""
    with app.client() as customer:
        ticket_id = app.chat(customer, "我要投诉你们网点")["ticket_id"]
    assert re.fullmatch(r"XB\d{6}-[0-9A-F]{16}", ticket_id)
    from chatbot.conversations.db import Database
    from chatbot.conversations.models import utcnow

    store = TicketStore(Database(f"sqlite:///{tmp_path / 't.sqlite'}"))
    first = store.create(session_id="a", reason="complaint", priority="high", deadline=utcnow())
    ids = iter([first.id, first.id, "XB000000-0000000000000001"])
    monkeypatch.setattr(store, "new_id", lambda now: next(ids))
    second = store.create(session_id="b", reason="complaint", priority="high", deadline=utcnow())
    assert second.id == "XB000000-0000000000000001" and store.get(second.id).session_id == "b"


# --- low: cross-site requests, CORS, docs ---------------------------------------------------------------

def test_cross_site_staff_requests_are_refused(app):
    """Before: `claim` and the knowledge upload accepted cross-site requests carrying Basic auth, and
    Gradio allowed any localhost origin with credentials."""
    with app.client() as customer:
        ticket_id = app.chat(customer, "我要投诉你们网点的柜员")["ticket_id"]
    expert = app.staff("zhao")
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Referer": "http://localhost:9999/attack.html"}):
        refused = expert.post(f"/api/staff/tickets/{ticket_id}/claim", headers=headers)
        assert refused.status_code == 403 and "跨站" in refused.json()["detail"]
        assert expert.post("/api/staff/knowledge/upload", headers=headers,
                           files={"files": ("x.md", b"x", "text/markdown")}).status_code == 403
    assert app.sql(f"SELECT status FROM tickets WHERE id = '{ticket_id}'") == [("open",)]
    console = app.console("zhao")
    refused = gradio_call(console, "/staff", "claim", [ticket_id], headers={"Origin": "http://localhost:9999"})
    assert refused["status"] == 403
    assert expert.post(f"/api/staff/tickets/{ticket_id}/claim", headers={"Origin": app.url}).status_code == 200
    preflight = console.options("/staff/gradio_api/queue/join", headers={
        "Origin": "http://localhost:9999", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    simple = console.get("/staff/config", headers={"Origin": "http://localhost:9999"})
    assert "access-control-allow-credentials" not in simple.headers


def test_api_docs_are_not_public(app):
    with app.client() as client:
        for path in ("/api/docs", "/api/openapi.json", "/api/redoc"):
            assert client.get(path).status_code == 404
