"""Property-based fuzzing (hypothesis): no input to the JSON endpoints or the knowledge loaders gives a
500 or hangs."""

from __future__ import annotations

import json
import string
from urllib.parse import quote
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.errors import LoaderError
from tests.conftest import make_settings

FUZZ = settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=12, deadline=20000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])

# Text as attackers send it: any code point, lone surrogates and control characters included.
wild_text = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=60),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "6222 0212 3456 7890 123", "' OR 1=1 --", "../../etc/passwd",
                     "<script>alert(1)</script>", "我" * 1200, "%00", "XB251201-ABC"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.floats()
    | wild_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(wild_text, inner, max_size=3), max_leaves=6)


def post(client, path: str, payload, **kwargs):
    """JSON as a hostile client may write it: lone surrogates escaped, NaN and Infinity included."""
    return client.post(path, content=json.dumps(payload).encode(), headers={"Content-Type": "application/json"},
                       **kwargs)


def raw_quote(text: str) -> str:
    """Percent-encoded bytes, lone surrogates included (as a client that does not care would send them)."""
    return quote(str(text).encode("utf-8", "surrogatepass"), safe="")


def body(*keys: str):
    return st.one_of(st.fixed_dictionaries({}, optional={key: json_values for key in keys}), json_values)


@pytest.fixture(scope="module")
def client(demo_assistant, demo_data_dir, tmp_path_factory):
    from chatbot.conversations.db import Database
    from chatbot.conversations.service import ChatService
    from chatbot.staff.accounts import StaffDirectory, hash_password
    from chatbot.staff.desk import Desk
    from chatbot.web.api import create_api
    from chatbot.web.staff_api import staff_router

    folder = tmp_path_factory.mktemp("fuzz")
    staff = f"root:admin:{hash_password('admin-pass', iterations=1000)}"
    settings_ = make_settings(demo_data_dir, staff_users=staff)
    service = ChatService(demo_assistant, Database(f"sqlite:///{folder / 'fuzz.sqlite'}"), settings_)
    app = create_api(service)
    app.include_router(staff_router(Desk(service), StaffDirectory.from_settings(settings_)))
    return TestClient(app, raise_server_exceptions=False)


@FUZZ
@given(path=st.sampled_from(["/api/chat", "/api/feedback", "/api/handoff", "/api/handoff/return", "/api/callback",
                             "/api/presence"]),
       payload=body("session_id", "message", "message_id", "value", "identity_token", "customer_id", "phone",
                    "consent", "typing"))
def test_customer_endpoints_never_fail(client, path, payload):
    assert post(client, path, payload).status_code < 500


@FUZZ
@given(raw=st.binary(max_size=200))
def test_raw_bodies_never_fail(client, raw):
    assert client.post("/api/chat", content=raw, headers={"Content-Type": "application/json"}).status_code < 500


@FUZZ
@given(session_id=wild_text, after_id=st.one_of(st.integers(min_value=-(2**70), max_value=2**70), wild_text))
def test_messages_query_never_fails(client, session_id, after_id):
    response = client.get(f"/api/messages?session_id={raw_quote(session_id)}&after_id={raw_quote(after_id)}")
    assert response.status_code < 500
    assert client.get(f"/api/agent?session_id={raw_quote(session_id)}").status_code < 500


@FUZZ
@given(ticket=wild_text.filter(lambda t: t not in {"", ".", ".."}).map(raw_quote),
       action=st.sampled_from(["claim", "check", "reply", "resolve", "transfer"]),
       payload=body("draft", "resolution", "note", "to_expert", "to_queue"))
def test_staff_endpoints_never_fail(client, ticket, action, payload):
    auth = ("root", "admin-pass")
    assert client.get(f"/api/staff/tickets/{ticket}", auth=auth).status_code < 500
    assert post(client, f"/api/staff/tickets/{ticket}/{action}", payload, auth=auth).status_code < 500
    subject = payload | {"customer_id": ticket[:100]} if isinstance(payload, dict) else payload
    erase = post(client, "/api/staff/privacy/erase", subject, auth=auth)
    assert erase.status_code < 500


# --- the knowledge loaders --------------------------------------------------------------------------------

yaml_text = st.one_of(
    wild_text,
    st.text(st.sampled_from(string.ascii_letters + string.digits + ":-[]{}'\" \n\t&*!|>%@`#,?"), max_size=300),
    st.builds(lambda key, value: f"id: card-x\n{key}: {value}\n", wild_text, wild_text),
)


@FUZZ
@given(text=yaml_text)
def test_card_loader_raises_only_loader_errors(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("card") / "card-x.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        from chatbot.knowledge.loaders import load_card

        load_card(path)
    except LoaderError:
        pass


@FUZZ
@given(text=yaml_text, suffix=st.sampled_from([".md", ".txt"]))
def test_text_document_loader_raises_only_loader_errors(tmp_path_factory, text, suffix):
    from chatbot.knowledge.loaders import load_document

    path = tmp_path_factory.mktemp("doc") / f"doc{suffix}"
    path.write_bytes(("---\n" + text + "\n---\n第一条 内容。\n").encode("utf-8", "surrogatepass"))
    try:
        load_document(path)
    except LoaderError:
        pass


def _zip_like(data: bytes) -> bytes:
    return b"PK\x03\x04" + data


@SLOW_FUZZ
@given(data=st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(_zip_like),
                      st.binary(max_size=400).map(lambda d: b"%PDF-1.4\n" + d),
                      wild_text.map(lambda t: f"<html><h1>{t}</h1><p>{t}</p>".encode("utf-8", "surrogatepass"))),
       suffix=st.sampled_from([".docx", ".pdf", ".html"]))
def test_binary_document_loaders_raise_only_loader_errors(tmp_path_factory, data, suffix):
    from chatbot.knowledge.loaders import load_document
    from chatbot.knowledge.sandbox import ParseLimits, parse_blocks

    folder = tmp_path_factory.mktemp("bin")
    path = folder / f"doc{suffix}"
    path.write_bytes(data)
    Path(str(path) + ".meta.yaml").write_text("id: doc-x\ntitle: 测试\nversion: '1'\neffective_date: 2024-01-01\n",
                                              encoding="utf-8")
    try:
        load_document(path, parse=lambda file, shown: parse_blocks(file, shown, ParseLimits(timeout_s=15)))
    except LoaderError:
        pass
