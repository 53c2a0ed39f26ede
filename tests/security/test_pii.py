"""Finding 7: card, ID and phone numbers in every form people write them, masked wherever text is kept."""

from __future__ import annotations

import logging

import pytest

from chatbot.pii import find_pii, mask_pii
from chatbot.staff.compliance import check_draft

# (as written, kind, the digits that must not survive)
FORMS = [
    ("6222021234567890123", "card_number", "6222021234567890123"),
    ("6222 0212 3456 7890 123", "card_number", "6222021234567890123"),
    ("6222-0212-3456-7890-123", "card_number", "6222021234567890123"),
    ("６２２２０２１２３４５６７８９０１２３", "card_number", "6222021234567890123"),
    ("6222　0212　3456　7890", "card_number", "6222021234567890"),
    ("370012345678901", "card_number", "370012345678901"),  # a 15-digit card
    ("13812345678", "phone_number", "13812345678"),
    ("138-1234-5678", "phone_number", "13812345678"),
    ("138 1234 5678", "phone_number", "13812345678"),
    ("+86 138 1234 5678", "phone_number", "13812345678"),
    ("+8613812345678", "phone_number", "13812345678"),
    ("86-13812345678", "phone_number", "13812345678"),
    ("１３８１２３４５６７８", "phone_number", "13812345678"),
    ("＋８６ １３８－１２３４－５６７８", "phone_number", "13812345678"),
    ("110101199003071234", "id_number", "110101199003071234"),
    ("11010119900307123X", "id_number", "11010119900307123X"),
    ("110101 19900307 1234", "id_number", "110101199003071234"),
    ("１１０１０１１９９００３０７１２３ｘ", "id_number", "11010119900307123X"),
    ("110101900307123", "id_number", "110101900307123"),  # a 15-digit (first-generation) ID
]
NOT_PII = ["客服热线400-000-0000", "2024-01-01起施行", "工单号 XB261130-1A2B3C4D5E6F7081", "年费200元，免息期56天",
           # ticket numbers whose random hex happens to be (nearly) all digits: a card, a mobile number by shape
           "工单号：XB261130-1398765432109876。", "工单号 XB261130-A139876543210987", "XB261130-13812345678ABCDE",
           "我的工单是xb261130-13812345678abcde",  # typed by a customer in lower case
           "第1-3条", "编号 12345678", "座机 +86 10 8888 6666"]


@pytest.mark.parametrize("written, kind, digits", FORMS)
def test_every_form_is_found_and_masked(written, kind, digits):
    """Before: spaces, dashes, +86, full-width digits and 15-digit numbers passed unmasked."""
    text = f"我的号码是{written}，请帮我查一下"
    assert [(m.kind, m.digits) for m in find_pii(text)] == [(kind, digits.upper())]
    masked = mask_pii(text)
    assert written not in masked and digits not in masked.replace(" ", "").replace("-", "")
    assert masked.startswith("我的号码是") and masked.endswith("，请帮我查一下")
    assert mask_pii(masked) == masked and not find_pii(masked)


@pytest.mark.parametrize("text", NOT_PII)
def test_other_numbers_are_left_alone(text):
    assert mask_pii(text) == text


@pytest.mark.parametrize("written, kind, digits", FORMS)
def test_expert_drafts_with_any_form_fail_the_compliance_check(written, kind, digits):
    """Before: an expert's draft with `138-1234-5678` or a spaced card number passed the check."""
    assert kind in {f.rule for f in check_draft(f"您好，已核实您的号码{written}。")}


def test_numbers_never_reach_the_record_tickets_gaps_or_log(app):
    forms = ["6222 0212 3456 7890 123", "138-1234-5678", "+86 139 8765 4321", "１３７１２３４５６７８",
             "110101900307123"]
    with app.client() as customer:
        token = app.chat(customer, f"我的卡{forms[0]}被盗刷了，电话{forms[1]}")["session_id"]
        reply = app.chat(customer, f"我要投诉！回电{forms[2]}或{forms[3]}，身份证{forms[4]}", token)
        low = app.chat(customer, f"请问数字人民币钱包能绑{forms[1]}吗")
    raw = app.session_id(token)
    stored = " ".join(r[0] for r in app.sql(f"SELECT content FROM messages WHERE session_id = '{raw}'"))
    summary = app.sql(f"SELECT summary FROM tickets WHERE id = '{reply['ticket_id']}'")[0][0]
    manager = app.staff("li")
    gaps_csv = manager.get("/api/staff/gaps.csv", params={"since_days": 0}).content.decode("utf-8-sig")
    log = (app.data_dir / "app.log").read_text()
    assert low["outcome"] in {"handoff", "refused"}
    for where in (stored, summary, gaps_csv, log):
        squeezed = "".join(ch for ch in where if ch not in " -　")
        for digits in ("6222021234567890123", "13812345678", "13987654321", "13712345678", "110101900307123"):
            assert digits not in squeezed
        assert "１３７１２３４５６７８" not in where


def test_log_records_are_masked_and_cannot_forge_lines(capsys):
    """Before: control characters reached the log raw, so a message could write fake log lines."""
    from chatbot.logsafe import SafeFormatter

    record = logging.LogRecord("chatbot.test", logging.INFO, __file__, 1, "ask message=%s",
                               ("问题\n2026-01-01 INFO chatbot: 伪造的日志行\x1b[31m 电话138-1234-5678",), None)
    line = SafeFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line and "\x1b" not in line and "\\n2026-01-01" in line and "\\x1b[31m" in line
    assert "138****5678" in line and "1234-5678" not in line


def test_expert_notes_are_masked(tmp_path):
    from chatbot.conversations.db import Database
    from chatbot.conversations.models import utcnow
    from chatbot.conversations.tickets import TicketStore

    store = TicketStore(Database(f"sqlite:///{tmp_path / 'n.sqlite'}"))
    ticket = store.create(session_id="s", reason="complaint", priority="high", deadline=utcnow())
    assert store.claim(ticket.id, "wang")
    assert store.resolve(ticket.id, "wang", "answered", "已回电138-1234-5678", "退还卡号6222 0212 3456 7890 123的年费")
    resolved = store.get(ticket.id)
    assert "1234-5678" not in resolved.resolution_note and "0212 3456" not in resolved.care_gesture
