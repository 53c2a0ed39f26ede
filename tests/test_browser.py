"""The customer page in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import write_small_kb
from tests.server import CHROMIUM, get_json as _get, serve

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (make test installs it)")

_DATA_DIRS: dict[str, Path] = {}


def _query(app_url: str, sql: str) -> list[tuple]:
    with sqlite3.connect(_DATA_DIRS[app_url] / "xiaobao.sqlite") as connection:
        return connection.execute(sql).fetchall()


@contextlib.contextmanager
def _serve(data_dir: Path, **env_overrides):
    with serve(data_dir, **env_overrides) as url:
        _DATA_DIRS[url] = data_dir
        yield url


@pytest.fixture(scope="module")
def app_url(demo_data_dir, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    from chatbot.staff.accounts import hash_password

    with _serve(data_dir, CHATBOT_STAFF_USERS=f"wang:expert:{hash_password('expert-pass', iterations=1000)}") as url:
        yield url


def test_ask_see_citation_give_feedback_and_hand_off(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 400, "height": 860})  # phone width
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    assert "消保智答" in page.content()

    page.fill("#xb-input textarea", "信用卡免息期最长多少天？")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=参考依据", timeout=60000)
    assert "56天" in page.inner_text("#xb-chat")

    page.click("text=参考依据")  # the citation unfolds
    page.wait_for_selector("text=信用卡免息还款期", timeout=10000)

    page.locator("#xb-chat button[aria-label='Dislike']").last.click()
    for _ in range(40):  # the 👎 lands on the stored answer
        rows = _query(app_url, "SELECT content FROM messages WHERE feedback = -1")
        if rows:
            break
        time.sleep(0.25)
    else:
        raise AssertionError("👎 was not stored: " + (_DATA_DIRS[app_url] / "app.log").read_text()[-3000:])
    assert "56天" in rows[0][0]

    page.click("#xb-human")
    page.wait_for_selector("text=工单号", timeout=30000)
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    if os.environ.get("XB_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / "chat.png", Path(os.environ["XB_SCREENSHOT_DIR"]) / "chat.png")

    # A reload keeps the conversation (the session lives in the browser, the transcript on the server).
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("text=工单号", timeout=60000)
    page.close()


def test_empty_input_gets_a_gentle_prompt(app_url, browser):
    page = browser.new_page()
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-send", timeout=60000)
    page.click("#xb-send")
    page.wait_for_selector("text=请输入您想咨询的问题", timeout=20000)
    page.close()


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_expert_desk(app_url, browser, tmp_path):
    customer = _post(app_url + "/api/chat", {"message": "我刚把8万块转进了一个安全账户"})
    ticket_id = customer["ticket_id"]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(app_url + "/staff/", wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]", timeout=60000)
    page.locator("input").nth(0).fill("wang")
    page.locator("input[type=password]").fill("expert-pass")
    page.keyboard.press("Enter")
    page.locator(f"#xb-queue >> text={ticket_id} >> visible=true").first.wait_for(timeout=60000)
    page.wait_for_selector("text=当前用户：wang", timeout=30000)

    page.locator("#xb-ticket input").fill(ticket_id)
    page.keyboard.press("Enter")
    page.click("#xb-view")
    page.wait_for_selector("text=建议回复", timeout=60000)
    page.click("#xb-claim")
    page.wait_for_selector("#xb-transcript >> text=处理中", timeout=30000)

    page.fill("#xb-draft textarea", "您好，这款理财保本，您放心。")
    page.click("#xb-check")
    page.wait_for_selector("text=未通过合规检查", timeout=30000)
    page.fill("#xb-draft textarea", "您好，我是专家小王，已为您联系紧急止付，请同时拨打110报警。")
    page.click("#xb-send-reply")
    page.wait_for_selector("text=回复已发送给客户", timeout=30000)
    page.screenshot(path=str(tmp_path / "desk.png"))
    if os.environ.get("XB_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / "desk.png", Path(os.environ["XB_SCREENSHOT_DIR"]) / "desk.png")
    messages = _get(f"{app_url}/api/messages?session_id={customer['session_id']}")["messages"]
    assert messages[-1]["role"] == "expert" and "紧急止付" in messages[-1]["content"]
    page.close()


def _sign_in(page, url: str, name: str, password: str) -> None:
    page.goto(url + "/staff/", wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]", timeout=60000)
    page.locator("input").nth(0).fill(name)
    page.locator("input[type=password]").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"text=当前用户：{name}", timeout=60000)


def test_knowledge_manager_uploads_validates_and_publishes(browser, tmp_path):
    from chatbot.staff.accounts import hash_password

    knowledge = write_small_kb(tmp_path / "knowledge")
    incoming = write_small_kb(tmp_path / "incoming", fee="3")  # the fee changes in the card and the document
    staff = f"li:knowledge_manager:{hash_password('km-pass', iterations=1000)}"
    with _serve(tmp_path / "data", CHATBOT_KNOWLEDGE_DIR=str(knowledge), CHATBOT_STAFF_USERS=staff,
                CHATBOT_EVAL_GATE_CASES="") as url:
        assert "2元" in _post(url + "/api/chat", {"session_id": "kb-1", "message": "跨行取钱要收费吗"})["answer"]
        page = browser.new_page(viewport={"width": 1280, "height": 1300})
        _sign_in(page, url, "li", "km-pass")
        page.click("role=tab[name='知识库']")
        page.wait_for_selector("#xb-kb-status >> text=线上索引：第 1 版", timeout=30000)

        page.locator("#xb-upload input[type=file]").set_input_files(
            [str(incoming / "cards" / "card-test-atm-fee.yaml"), str(incoming / "docs" / "fees.md")])
        page.locator("#xb-upload >> text=fees").first.wait_for(timeout=30000)  # both files uploaded
        page.click("#xb-upload-button")
        page.locator("text=已替换 >> visible=true").first.wait_for(timeout=30000)
        page.click("#xb-validate")
        page.wait_for_selector("#xb-validate-summary >> text=待更新 2 个文件", timeout=60000)
        page.click("#xb-reingest")
        page.wait_for_selector("#xb-reingest-summary >> text=已发布第 2 版索引", timeout=120000)
        summary = page.inner_text("#xb-reingest-summary")
        assert "旧内容核验 通过：card-test-atm-fee" in summary and "每笔收费2元" in summary
        page.wait_for_selector("#xb-kb-status >> text=线上索引：第 2 版", timeout=30000)
        # The button queued a job that the app's embedded worker ran; progress and report are the job row's.
        page.wait_for_selector("#xb-kb-status >> text=导入任务 #1（li）已完成：已发布", timeout=30000)
        [(status, attempts, report_text)] = _query(url, "SELECT status, attempts, report_text FROM ingest_jobs")
        assert (status, attempts) == ("done", 1) and "已发布第 2 版索引" in report_text
        page.screenshot(path=str(tmp_path / "knowledge.png"), full_page=True)
        if os.environ.get("XB_SCREENSHOT_DIR"):
            shutil.copy(tmp_path / "knowledge.png", Path(os.environ["XB_SCREENSHOT_DIR"]) / "knowledge.png")
        page.close()
        answer = _post(url + "/api/chat", {"session_id": "kb-2", "message": "跨行取钱要收费吗"})["answer"]
        assert "3元" in answer and "2元" not in answer

