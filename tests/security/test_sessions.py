"""Findings 4 and 5: sessions are the server's, bound to the client; a customer id must be verified."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.security.conftest import IDENTITY_SECRET, app_env, copy_app_dirs, gradio_call
from tests.server import serve


# --- 4. session ids: issued by the server, never chosen or guessed ------------------------------------

def test_a_known_session_id_opens_nothing(app):
    """Before: anyone who knew or guessed a session id read the transcript, wrote into it and opened
    tickets on it (/api/messages, /api/chat, /api/handoff)."""
    with app.client() as victim, app.client() as attacker:
        token = app.chat(victim, "我的卡号6222021234567890123被冻结了怎么办")["session_id"]
        raw = app.session_id(token)
        assert raw and len(raw) >= 22 and token != raw  # ≥128 random bits, and signed
        # the victim's own message may open a ticket (a frozen card of one's own goes to a person)
        tickets = app.sql(f"SELECT COUNT(*) FROM tickets WHERE session_id = '{raw}'")
        for guess in (raw, token[:-2] + "xx", "victim", f"{raw}.forged"):
            assert attacker.get("/api/messages", params={"session_id": guess}).status_code == 404
            reply = app.chat(attacker, "我要投诉", guess)
            assert reply["session_id"] != token and app.session_id(reply["session_id"]) != raw
            handoff = attacker.post("/api/handoff", json={"session_id": guess}).json()
            assert app.session_id(handoff["session_id"]) != raw
            assert attacker.post("/api/feedback", json={"session_id": guess, "message_id": 1, "value": -1}
                                 ).status_code == 404
        assert [r[0] for r in app.sql(f"SELECT role FROM messages WHERE session_id = '{raw}'")] == ["user", "assistant"]
        assert app.sql(f"SELECT COUNT(*) FROM tickets WHERE session_id = '{raw}'") == tickets
        mine = victim.get("/api/messages", params={"session_id": token}).json()["messages"]
        assert len(mine) == 2


def test_gradio_restore_reads_the_signed_cookie_only(app):
    """Before: the page's `restore` event returned the transcript of whatever session id the request named."""
    with app.client() as victim:
        token = app.chat(victim, "信用卡免息期最长多少天？")["session_id"]
    raw = app.session_id(token)
    with app.client() as attacker:
        attacker.get("/")  # a page visit: its own signed cookie
        for guess in (raw, token):
            chat = gradio_call(attacker, "", "restore", [guess])["output"][1]
            text = str(chat)
            assert "56天" not in text and "信用卡免息期" not in text
    with app.client(cookies={"xb_session": token}) as owner:  # the cookie the page set for this session
        assert "56天" in str(gradio_call(owner, "", "restore", [None])["output"][1])


def test_page_cookie_is_signed_httponly_samesite(app):
    with app.client() as client:
        cookie = client.get("/").headers["set-cookie"]
        assert cookie.startswith("xb_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert app.session_id(cookie.split(";")[0].split("=", 1)[1])
        assert "set-cookie" not in client.get("/").headers  # a valid cookie is kept
        reset = client.post("/api/session/reset", headers={"Origin": app.url})
        assert reset.status_code == 200 and reset.headers["set-cookie"] != cookie
        assert client.post("/api/session/reset", headers={"Origin": "http://evil.example"}).status_code == 403


def _ask_and_dislike(page, question: str, expected: str) -> None:
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    page.fill("#xb-input textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=参考依据", timeout=60000)
    assert expected in page.inner_text("#xb-chat")
    page.locator("#xb-chat button[aria-label='没帮助']").last.click()


def _restored(page, expected: str) -> bool:
    page.wait_for_selector("text=参考依据", timeout=60000)  # the citations came back
    page.wait_for_selector("#xb-chat button[aria-label='已标记没帮助']", timeout=20000)  # and the 👎
    return expected in page.inner_text("#xb-chat")


def _wait_for_feedback(app_dir, value: int) -> None:
    import sqlite3

    for _ in range(40):
        with sqlite3.connect(app_dir / "xiaobao.sqlite") as connection:
            if connection.execute("SELECT COUNT(*) FROM messages WHERE feedback = ?", (value,)).fetchone()[0]:
                return
        time.sleep(0.25)
    raise AssertionError("the 👎 was not stored")


@pytest.mark.parametrize("workers", [2])
def test_conversation_survives_restart_and_workers_and_clear_starts_anew(demo_data_dir, tmp_path, browser, workers):
    """Before: the page kept its session in gr.BrowserState, encrypted with a per-process key: after a
    restart, or with CHATBOT_WORKERS=2, a reload showed only the welcome message (0 of 8 reloads)."""
    data_dir, knowledge_dir = copy_app_dirs(demo_data_dir, tmp_path)
    env = app_env(CHATBOT_KNOWLEDGE_DIR=str(knowledge_dir))
    context = browser.new_context()
    page = context.new_page()
    with serve(data_dir, **env) as url:
        page.goto(url + "/", wait_until="domcontentloaded")
        _ask_and_dislike(page, "信用卡免息期最长多少天？", "56天")
        _wait_for_feedback(data_dir, -1)
    with serve(data_dir, **env) as url:  # a restart (the same port is not needed: the cookie is the host's)
        page.goto(url + "/", wait_until="domcontentloaded")
        assert _restored(page, "56天")
    with serve(data_dir, **env, CHATBOT_WORKERS=str(workers)) as url:
        page.goto(url + "/", wait_until="domcontentloaded")
        restored = 0
        for _ in range(6):
            page.reload(wait_until="domcontentloaded")
            restored += _restored(page, "56天")
        assert restored == 6
        page.click("#xb-clear")  # 清空对话: a new session; the old one must not come back on this device
        page.wait_for_function("!document.body.innerText.includes('56天')", timeout=60000)
        page.reload(wait_until="domcontentloaded")
        page.wait_for_selector("#xb-input textarea", timeout=60000)
        time.sleep(2)
        assert "56天" not in page.inner_text("#xb-chat")
        storage = page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")
        assert "56" not in storage and "xiaobao_session" not in storage
    context.close()


# --- 5. a customer id only from a verified identity token --------------------------------------------

def _identity_token(customer: str, **claims) -> str:
    import jwt

    now = dt.datetime.now(dt.timezone.utc)
    payload = {"sub": customer, "aud": "xiaobao", "iat": now, "exp": now + dt.timedelta(minutes=5)} | claims
    return jwt.encode(payload, IDENTITY_SECRET, algorithm="HS256")


def test_cli_signs_identity_tokens_the_app_accepts():
    from chatbot.web.identity import verify_identity
    from tests.conftest import make_settings

    settings = make_settings(ROOT / "data-unused", identity_secret=IDENTITY_SECRET)
    printed = subprocess.run([sys.executable, "-m", "chatbot", "identity-token", "cust-42"], cwd=ROOT, text=True,
                             capture_output=True, env={"CHATBOT_IDENTITY_SECRET": IDENTITY_SECRET, "PATH": "/usr/bin"},
                             check=True).stdout.strip()
    assert verify_identity(printed, settings) == "cust-42"
    assert verify_identity(_identity_token("cust-42", aud="other"), settings) is None
    assert verify_identity(_identity_token("cust-42", exp=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)),
                           settings) is None
    import jwt

    forged = jwt.encode({"sub": "cust-42", "aud": "xiaobao", "iat": 1, "exp": 2**40}, "a-guessed-secret-of-the-right-length!!", algorithm="HS256")
    assert verify_identity(forged, settings) is None
    unsigned = jwt.encode({"sub": "cust-42", "aud": "xiaobao", "iat": 1, "exp": 2**40}, None, algorithm="none")
    assert verify_identity(unsigned, settings) is None


def test_a_claimed_customer_id_joins_no_history(app):
    """Before: `customer_id` was taken from the client, so an attacker's chats appeared in a victim's
    history in the desk."""
    with app.client() as customer, app.client() as attacker:
        verified = app.chat(customer, "我要投诉你们网点", identity_token=_identity_token("cust-victim"))
        assert verified["identity_verified"] is True
        forged = app.chat(attacker, "我的卡被盗刷了，我要投诉", customer_id="cust-victim")
        assert forged["identity_verified"] is False
        expired = app.chat(attacker, "我要投诉柜员", identity_token=_identity_token(
            "cust-victim", exp=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)))
        assert expired["identity_verified"] is False
    expert = app.staff("wang")
    real = expert.get(f"/api/staff/tickets/{verified['ticket_id']}").json()
    assert real["identity_verified"] is True and real["customer_id"] == "cust-victim"
    for reply in (forged, expired):
        fake = expert.get(f"/api/staff/tickets/{reply['ticket_id']}").json()
        assert fake["identity_verified"] is False and fake["customer_id"] is None
        assert reply["ticket_id"] not in real["earlier_tickets"]
        assert app.session_id(reply["session_id"]) not in real["earlier_sessions"]
