"""Finding 8: erasure of a customer's data on request, retention, and an audit record without the data."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import Column, Integer, String, Table, delete, insert, select

from chatbot.conversations.db import Database
from chatbot.conversations.erasure import REGISTRY, DataEraser, PersonalData, register
from chatbot.conversations.models import Base, Conversation, ErasureRecord, Message, Ticket, utcnow
from tests.conftest import ROOT
from tests.security.test_sessions import _identity_token


def _counts(app, raw_sessions: list[str], customer: str) -> dict:
    joined = ",".join(f"'{s}'" for s in raw_sessions)
    return {"messages": app.sql(f"SELECT COUNT(*) FROM messages WHERE session_id IN ({joined})")[0][0],
            "conversations": app.sql(f"SELECT COUNT(*) FROM conversations WHERE session_id IN ({joined})")[0][0],
            "tickets": app.sql(f"SELECT COUNT(*) FROM tickets WHERE session_id IN ({joined}) "
                               f"OR customer_id = '{customer}'")[0][0]}


def test_admin_erases_a_customer_by_id_and_a_session_over_the_api(app):
    """Before: there was no way to erase a customer's data, and nothing was ever deleted."""
    identity = _identity_token("cust-erase")
    with app.client() as first, app.client() as second, app.client() as anonymous:
        one = app.chat(first, "我要投诉你们网点", identity_token=identity)
        first.post("/api/feedback", json={"session_id": one["session_id"], "message_id": one["message_id"], "value": -1})
        two = app.chat(second, "我的卡被盗刷了", identity_token=identity)
        other = app.chat(anonymous, "信用卡年费怎么免？")
    sessions = [app.session_id(one["session_id"]), app.session_id(two["session_id"])]
    assert _counts(app, sessions, "cust-erase") == {"messages": 4, "conversations": 2, "tickets": 2}

    assert app.staff("wang").post("/api/staff/privacy/erase", json={"customer_id": "cust-erase"}).status_code == 403
    assert app.staff("li").post("/api/staff/privacy/erase", json={"customer_id": "cust-erase"}).status_code == 403
    erased = app.staff("root").post("/api/staff/privacy/erase", json={"customer_id": "cust-erase"})
    assert erased.status_code == 200
    counts = erased.json()["erased"]
    assert {name: counts[name] for name in ("messages", "tickets", "conversations")} == \
        {"messages": 4, "tickets": 2, "conversations": 2}
    assert counts["takeovers"] == 2 and counts["ticket_events"] >= 2  # the hand-off's state and record go too
    assert _counts(app, sessions, "cust-erase") == {"messages": 0, "conversations": 0, "tickets": 0}

    other_raw = app.session_id(other["session_id"])
    by_session = app.staff("root").post("/api/staff/privacy/erase", json={"session_id": other_raw}).json()
    assert by_session["erased"]["messages"] == 2
    assert app.staff("root").post("/api/staff/privacy/erase", json={"session_id": other_raw}).status_code == 404

    log = app.staff("root").get("/api/staff/privacy/log").json()["records"]
    assert [r["kind"] for r in log[:3]] == ["session", "session", "customer"] and log[2]["by"] == "root"
    assert log[0]["counts"]["messages"] == 0  # a request that found nothing is recorded too
    audit = json.dumps(app.sql("SELECT * FROM erasure_log"), ensure_ascii=False)
    assert "cust-erase" not in audit and sessions[0] not in audit and other_raw not in audit  # no data in it


def test_cli_erases_and_enforces_retention(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    db = Database(url)
    old, recent = utcnow() - dt.timedelta(days=200), utcnow() - dt.timedelta(days=10)
    with db.session.begin() as session:
        for sid, when, customer in (("old", old, None), ("recent", recent, None), ("cust", recent, "c-9")):
            session.add(Conversation(session_id=sid, customer_id=customer, created_at=when, updated_at=when))
            session.add(Message(session_id=sid, role="user", content="问", created_at=when))
            session.add(Ticket(id=f"T-{sid}", session_id=sid, customer_id=customer, reason="complaint",
                               priority="high", deadline=when, created_at=when, updated_at=when))
    env = {"CHATBOT_DATABASE_URL": url, "PATH": "/usr/bin", "CHATBOT_DATA_DIR": str(tmp_path)}
    run = lambda *args: subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True)
    retention = run("retention")
    assert retention.returncode == 0, retention.stderr
    erased = json.loads(retention.stdout)["erased"]
    assert {name: erased.pop(name) for name in ("messages", "tickets", "conversations")} == \
        {"messages": 1, "tickets": 1, "conversations": 1}
    assert not any(erased.values())  # the hand-off's tables (callbacks…) had nothing for these sessions
    erase = run("erase", "--customer", "c-9")
    assert erase.returncode == 0 and json.loads(erase.stdout)["erased"]["tickets"] == 1
    assert run("erase", "--session", "nobody").returncode == 1
    with db.session() as session:
        assert list(session.scalars(select(Conversation.session_id))) == ["recent"]
        assert [r.kind for r in session.scalars(select(ErasureRecord).order_by(ErasureRecord.id))] == \
            ["retention", "customer", "session"]


def test_tables_added_later_register_themselves(tmp_path):
    """Erasure iterates over a registry: a new table of per-customer data (e.g. callback phone numbers)
    is erased and expired once it registers."""
    registered = list(REGISTRY)
    callbacks = Table("test_callbacks", Base.metadata, Column("id", Integer, primary_key=True),
                      Column("session_id", String(128)), Column("phone", String(32)), extend_existing=True)
    try:
        db = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
        register(PersonalData("test_callbacks", lambda s, sessions, customer: s.execute(
            delete(callbacks).where(callbacks.c.session_id.in_(sessions))).rowcount))
        with db.session.begin() as session:
            session.add(Conversation(session_id="s1", customer_id="c1"))
            session.execute(insert(callbacks).values(session_id="s1", phone="138****5678"))
        counts = DataEraser(db).erase_customer("c1", by="test")
        assert counts["test_callbacks"] == 1 and counts["conversations"] == 1
    finally:
        REGISTRY[:] = registered  # the real entries (the hand-off's callbacks among them) stay
        Base.metadata.remove(callbacks)


def test_the_app_runs_retention_at_start(app):
    log = (app.data_dir / "app.log").read_text()
    assert "retention enforced days=180" in log
