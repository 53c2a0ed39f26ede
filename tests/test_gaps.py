"""The knowledge-gap report: which questions it lists, how they group, the CSV, card drafts, the staff
API's roles, the CLI and the dev-set recording — on a real SQLite database, the real bundled embeddings
and the demo Chroma index."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys

import pytest

from chatbot.conversations.handoff import GAP_HANDOFF_REASONS
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import update

from chatbot.conversations.db import Database
from chatbot.conversations.models import Message, utcnow
from chatbot.conversations.service import ChatService
from chatbot.knowledge.documents import scan
from chatbot.quality.cases import Case
from chatbot.quality.scoring import run_case
from chatbot.schema import Card
from chatbot.staff.accounts import StaffDirectory, hash_password
from chatbot.staff.desk import Desk
from chatbot.staff.gap_drafts import draft_card
from chatbot.staff.gaps import CSV_HEADERS, GapReporter, gap_questions
from chatbot.web.api import create_api
from chatbot.web.gaps_ui import gap_rows, gap_summary
from chatbot.web.staff_api import staff_router
from eval.record import CaseRecorder
from tests.conftest import ROOT, make_settings

PASSWORDS = {"wang": "expert-pass", "li": "km-pass"}
SAFE_MASKED = "保险柜租一年要多少钱？我手机138****5678"
DCEP = ["示例银行支持开通数字人民币钱包吗？", "数字人民币钱包怎么开通？", "你们能开数字人民币钱包吗"]
CATEGORY = ["我要投诉你们的客户经理", "有人在电话里让我把验证码告诉他", "为什么冻结我的卡"]


@pytest.fixture(scope="module")
def settings(demo_data_dir, tmp_path_factory):
    roles = {"wang": "expert", "li": "knowledge_manager"}
    users = ";".join(f"{n}:{roles[n]}:{hash_password(p, iterations=1000)}" for n, p in PASSWORDS.items())
    knowledge = tmp_path_factory.mktemp("kb")  # drafts land here, never in the repository's knowledge/
    return make_settings(demo_data_dir, knowledge_dir=knowledge, staff_users=users)


@pytest.fixture(scope="module")
def service(demo_assistant, settings, tmp_path_factory):
    """Conversations as customers produce them: gaps, category hand-offs, good answers, a 👎."""
    db_path = tmp_path_factory.mktemp("gaps-db") / "records.sqlite"
    service = ChatService(demo_assistant, Database(f"sqlite:///{db_path}"), settings)
    outcomes = {}
    for number, question in enumerate(DCEP):
        outcomes[question] = service.chat(f"s-dcep-{number}", question).answer.handoff_reason
    outcomes["car"] = service.chat("s-car", "车贷可以贷几年？").answer.handoff_reason
    outcomes["safe"] = service.chat("s-safe", "保险柜租一年要多少钱？我手机13812345678").answer.handoff_reason
    figure = service.chat("s-rate", "两年期定期存款的年利率是多少？").answer.handoff_reason
    assert figure == "figure_not_in_knowledge"
    for number, question in enumerate(CATEGORY):
        service.chat(f"s-category-{number}", question)
    service.chat("s-human", "信用卡年费怎么免？")
    service.request_human("s-human")
    service.chat("s-ok", "信用卡免息期最长多少天？")
    disliked = service.chat("s-down", "信用卡最低还款额怎么算？")
    assert disliked.answer.outcome == "answered"
    service.feedback(disliked.answer_message_id, -1, "s-down")
    assert service.chat("s-oos", "埃菲尔铁塔有多高？").answer.outcome == "refused"
    # The scenario needs these hand-offs to be of a gap kind; fail loudly if the engine changed.
    assert set(outcomes.values()) <= set(GAP_HANDOFF_REASONS), outcomes
    service.db_path = db_path
    return service


@pytest.fixture(scope="module")
def report(service):
    return GapReporter.from_service(service).report(since_days=30)


def _cluster_of(report, text):
    return next(c for c in report.clusters if text in c.questions)


def test_similar_questions_cluster_together_and_different_ones_do_not(report):
    dcep = _cluster_of(report, DCEP[0])
    assert sorted(dcep.questions) == sorted(DCEP)
    assert (dcep.count, dcep.sessions, sum(dcep.kinds.values())) == (3, 3, 3)
    assert set(dcep.kinds) <= set(GAP_HANDOFF_REASONS)
    assert report.clusters[0] is dcep  # ranked by count
    car, safe = _cluster_of(report, "车贷可以贷几年？"), _cluster_of(report, SAFE_MASKED)
    assert len({dcep.id, car.id, safe.id}) == 3
    assert car.count == safe.count == 1


def test_category_handoffs_good_answers_and_the_human_button_are_left_out(report):
    listed = {q for c in report.clusters for q in c.questions}
    assert not listed & set(CATEGORY)
    assert "信用卡免息期最长多少天？" not in listed and "信用卡年费怎么免？" not in listed
    assert report.questions == 8  # 3 + car + safe + rate + 👎 + out of scope


def test_a_question_whose_figure_no_card_states_is_a_gap(report):
    assert _cluster_of(report, "两年期定期存款的年利率是多少？").kinds == {"figure_not_in_knowledge": 1}


def test_thumbs_down_and_out_of_scope_are_included(report):
    disliked = _cluster_of(report, "信用卡最低还款额怎么算？")
    assert disliked.kinds == {"thumbs_down": 1}
    assert disliked.nearest_card_id == "card-credit-minimum-payment"
    outside = _cluster_of(report, "埃菲尔铁塔有多高？")
    assert outside.kinds == {"out_of_scope": 1} and outside.nearest_card_id is None


def test_pii_stays_masked(report, service):
    text = json.dumps([c.to_dict() for c in report.clusters], ensure_ascii=False)
    assert "138****5678" in text and "13812345678" not in text
    assert b"13812345678" not in GapReporter.from_service(service).to_csv(report)


def test_the_period_leaves_older_questions_out(service):
    with service.db.session.begin() as session:
        session.execute(update(Message).where(Message.session_id == "s-safe")
                        .values(created_at=utcnow() - dt.timedelta(days=40)))
    try:
        recent = {q.text for q in gap_questions(service.db, since=utcnow() - dt.timedelta(days=30))}
        everything = {q.text for q in gap_questions(service.db)}
        assert SAFE_MASKED not in recent and SAFE_MASKED in everything
    finally:
        with service.db.session.begin() as session:
            session.execute(update(Message).where(Message.session_id == "s-safe").values(created_at=utcnow()))


def test_csv_has_a_bom_chinese_headers_and_one_row_per_cluster(service, report):
    data = GapReporter.from_service(service).to_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADERS
    assert len(rows) == len(report.clusters) + 1
    first = dict(zip(CSV_HEADERS, rows[1]))
    assert first["排名"] == "1" and first["提问次数"] == "3" and first["代表问题"] in DCEP
    assert "知识库无所问产品或事项×3" in first["类型"]  # 数字人民币 is named by no card


def test_csv_cells_never_start_a_formula(service, report):
    cluster = report.clusters[0]
    original = cluster.label
    cluster.label = "=HYPERLINK(\"http://x\")"
    try:
        rows = list(csv.reader(io.StringIO(GapReporter.from_service(service).to_csv(report).decode("utf-8-sig"))))
        assert rows[1][2].startswith("'=")
    finally:
        cluster.label = original


def test_draft_is_a_card_under_drafts_that_ingest_skips_and_that_never_overwrites(service, report, settings):
    reporter = GapReporter.from_service(service)
    cluster = _cluster_of(report, "信用卡最低还款额怎么算？")
    first = draft_card(reporter, cluster)
    assert first.path.parent == settings.knowledge_dir / "_drafts"
    assert first.path.name == f"{first.card_id}.yaml" and first.card_id.startswith("card-draft-")
    fields = yaml.safe_load(first.path.read_text(encoding="utf-8"))
    assert set(fields) == set(Card.model_fields) and fields["not_answered"] == []
    # the nearest card may be the one that must not answer these questions: the header says where they go
    assert "not_answered" in first.path.read_text(encoding="utf-8").split("\nid:")[0]
    assert fields["question"] == "信用卡最低还款额怎么算？" and fields["topic"] == "credit_card"
    assert "【待填写】" in fields["answer"]
    with pytest.raises(ValidationError, match="draft placeholder"):  # an unfinished draft cannot go live
        Card.model_validate(fields)
    before = first.path.read_bytes()
    second = draft_card(reporter, cluster)
    assert second.path != first.path and first.path.read_bytes() == before
    assert not [path for _, path, _ in scan(settings.knowledge_dir) if "_drafts" in path.parts]

    car = yaml.safe_load(draft_card(reporter, _cluster_of(report, "车贷可以贷几年？")).text)
    assert car["topic"] == "loans"  # the vote of the nearest cards; the single nearest is a credit-card card

    dcep = draft_card(reporter, _cluster_of(report, DCEP[0]))
    similar = yaml.safe_load(dcep.path.read_text(encoding="utf-8"))["similar_questions"]
    assert sorted(similar + [yaml.safe_load(dcep.text)["question"]]) == sorted(DCEP)


def test_a_finished_draft_is_a_valid_card(service, report):
    fields = yaml.safe_load(draft_card(GapReporter.from_service(service), report.clusters[0]).text)
    fields["answer"] = "示例银行暂未开通数字人民币钱包服务，请以网点公告为准。"
    fields["similar_questions"] += ["数字人民币能开吗"]
    assert Card.model_validate(fields).question in DCEP


@pytest.fixture(scope="module")
def client(service, settings):
    app = create_api(service)
    app.include_router(staff_router(Desk(service), StaffDirectory.from_settings(settings)))
    return TestClient(app)


def test_staff_api_refuses_an_expert(client, settings, report):
    drafts = settings.knowledge_dir / "_drafts"
    before = sorted(drafts.iterdir()) if drafts.exists() else []
    auth = ("wang", PASSWORDS["wang"])
    assert client.get("/api/staff/gaps", auth=auth).status_code == 403
    assert client.get("/api/staff/gaps.csv", auth=auth).status_code == 403
    refused = client.post("/api/staff/gaps/drafts", json={"cluster_id": report.clusters[0].id}, auth=auth)
    assert refused.status_code == 403
    assert client.get("/api/staff/gaps").status_code == 401
    assert (sorted(drafts.iterdir()) if drafts.exists() else []) == before


def test_staff_api_serves_a_knowledge_manager(client, settings):
    auth = ("li", PASSWORDS["li"])
    body = client.get("/api/staff/gaps", params={"since_days": 30}, auth=auth).json()
    top = body["clusters"][0]
    assert top["count"] == 3 and top["kinds"] == {"知识库无所问产品或事项": 3} and body["questions"] == 8
    response = client.get("/api/staff/gaps.csv", auth=auth)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    made = client.post("/api/staff/gaps/drafts", json={"cluster_id": top["id"]}, auth=auth)
    assert made.status_code == 200, made.text
    assert made.json()["path"].startswith("_drafts/card-draft-")
    assert (settings.knowledge_dir / made.json()["path"]).read_text(encoding="utf-8") == made.json()["yaml"]
    missing = client.post("/api/staff/gaps/drafts", json={"cluster_id": "gap-0000000000"}, auth=auth)
    assert missing.status_code == 404


def test_console_rows(report):
    rows = gap_rows(report)
    top = report.clusters[0]
    assert rows[0][:4] == [1, top.label, 3, 3]
    # A banking gap names the nearest card (title, id, similarity); an out-of-scope question has none.
    assert top.nearest_card_id.startswith("card-")
    assert rows[0][7] == f"{top.nearest_card_title}（{top.nearest_card_id}，{top.nearest_card_score:.2f}）"
    outside = report.clusters.index(_cluster_of(report, "埃菲尔铁塔有多高？"))
    assert rows[outside][7] == "无"
    assert "**8** 个未能解决的问题" in gap_summary(report, 30)


def test_recorded_dev_cases_feed_the_report(demo_assistant, tmp_path):
    cases = [Case.model_validate(raw) for raw in [
        {"id": "ok", "question": "信用卡免息期最长多少天？", "expect": {"outcome": "answered", "facts": [["56天"]]}},
        {"id": "gap", "question": "示例银行支持开通数字人民币钱包吗？", "expect": {"outcome": "handoff"}},
        {"id": "wrong", "question": "信用卡年费怎么免？", "expect": {"outcome": "answered", "facts": [["不存在的事实"]]}},
        {"id": "follow", "question": "那要多久？", "history": [{"role": "user", "content": "征信异议怎么提"}],
         "expect": {"outcome": "answered"}},
        # A hand-off in the history would give the conversation to an expert: the case still asks the assistant.
        {"id": "after-handoff", "question": "信用卡免息期最长多少天？",
         "history": [{"role": "user", "content": "我要投诉你们网点"}], "expect": {"outcome": "answered"}},
    ]]
    recorder = CaseRecorder(demo_assistant, str(tmp_path / "dev.sqlite"), run_id="t")
    results = [run_case(demo_assistant, case, recorder) for case in cases]
    assert [r.outcome for r in results][:3] == ["answered", "handoff", "answered"]
    assert results[4].outcome == "answered" and "56天" in results[4].answer
    assert recorder.thumbs_down_wrong(cases, results) == 1
    found = {q.text: q.kinds for q in gap_questions(Database(f"sqlite:///{tmp_path / 'dev.sqlite'}"))}
    assert found == {"示例银行支持开通数字人民币钱包吗？": ("subject_not_in_knowledge",), "信用卡年费怎么免？": ("thumbs_down",)}
    messages = recorder.service.conversations.messages("eval-t-follow")
    assert [m.content for m in messages if m.role == "user"] == ["征信异议怎么提", "那要多久？"]


def test_cli_prints_the_report_and_writes_csv_and_draft(service, settings, tmp_path):
    env = dict(os.environ, CHATBOT_DATA_DIR=str(settings.data_dir), CHATBOT_KNOWLEDGE_DIR=str(tmp_path / "kb"),
               HF_HUB_OFFLINE="1")
    out = tmp_path / "gaps.csv"
    result = subprocess.run([sys.executable, "ingest.py", "--gaps", "--records", str(service.db_path), "--since", "30",
                             "--csv", str(out), "--draft", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "3 次，3 个会话" in result.stdout and "卡片草稿已保存" in result.stdout
    assert "最接近：card-" in result.stdout  # the records come from --records, the index from the deployment
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    drafts = list((tmp_path / "kb" / "_drafts").glob("card-draft-*.yaml"))
    assert len(drafts) == 1 and yaml.safe_load(drafts[0].read_text(encoding="utf-8"))["question"] in DCEP
    bad = subprocess.run([sys.executable, "ingest.py", "--gaps", "--records", str(service.db_path), "--draft", "99"],
                         cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "没有第 99 个问题簇" in bad.stderr
