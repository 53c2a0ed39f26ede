"""The customer page in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import contextlib
import json
import os
import re
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


def _staff_users() -> str:
    from chatbot.staff.accounts import hash_password

    return ";".join(f"{name}:{role}:{hash_password(password, iterations=1000)}:{display}"
                    for name, role, password, display in [("wang", "expert", "expert-pass", "王芳"),
                                                          ("zhao", "expert", "expert2-pass", "赵强")])


# Experts are at work whenever the tests run (the callback test has its own server, outside office hours).
ALWAYS_OPEN = {"CHATBOT_OFFICE_WEEKDAYS": "1234567", "CHATBOT_OFFICE_OPEN": "00:00", "CHATBOT_OFFICE_CLOSE": "24:00"}


@pytest.fixture(scope="module")
def app_url(demo_data_dir, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    with _serve(data_dir, CHATBOT_STAFF_USERS=_staff_users(), **ALWAYS_OPEN) as url:
        yield url


def _screenshot(page, tmp_path: Path, name: str, **options) -> None:
    page.screenshot(path=str(tmp_path / name), **options)
    if os.environ.get("XB_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / name, Path(os.environ["XB_SCREENSHOT_DIR"]) / name)


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

    page.locator("#xb-chat button[aria-label='没帮助']").last.click()
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
    _screenshot(page, tmp_path, "chat.png", full_page=True)

    # A reload keeps the conversation (the session lives in the browser, the transcript on the server).
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("text=工单号", timeout=60000)
    _screenshot(page, tmp_path, "chat-phone.png")  # what the phone's screen shows, without scrolling
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


def _open_ticket(page, ticket_id: str) -> None:
    """Click the ticket's row in the queue (it arrives there by the console's timer)."""
    page.locator(f"#xb-queue >> text={ticket_id} >> visible=true").first.click(timeout=60000)
    page.wait_for_selector(f"#xb-ticket-info >> text=工单 {ticket_id}", timeout=60000)
    page.wait_for_selector("#xb-suggestion >> text=建议回复", timeout=60000)


def _toast(page, text: str) -> None:
    page.locator(f"text={text} >> visible=true").first.wait_for(timeout=30000)


def test_expert_desk(app_url, browser, tmp_path):
    customer = _post(app_url + "/api/chat", {"message": "我刚把8万块转进了一个安全账户"})
    ticket_id = customer["ticket_id"]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    _sign_in(page, app_url, "wang", "expert-pass")
    _open_ticket(page, ticket_id)
    draft = page.input_value("#xb-draft textarea")  # the suggested reply, ready to edit
    assert "止付" in draft and "转接" not in draft
    page.click("#xb-claim")
    page.wait_for_selector("#xb-ticket-info >> text=处理中", timeout=30000)

    page.fill("#xb-draft textarea", "您好，这款理财保本，您放心。")
    page.click("#xb-check")
    page.wait_for_selector("text=未通过合规检查", timeout=30000)
    page.fill("#xb-draft textarea", "您好，我是专家王芳，已为您联系紧急止付，请同时拨打110报警。")
    page.click("#xb-send-reply")
    page.wait_for_selector("text=回复已发送给客户", timeout=30000)
    _screenshot(page, tmp_path, "desk.png", full_page=True)
    messages = _get(f"{app_url}/api/messages?session_id={customer['session_id']}")["messages"]
    assert messages[-1]["role"] == "expert" and "紧急止付" in messages[-1]["content"]
    assert messages[-1]["expert"] == "王芳"
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
        _screenshot(page, tmp_path, "knowledge.png", full_page=True)
        page.close()
        answer = _post(url + "/api/chat", {"session_id": "kb-2", "message": "跨行取钱要收费吗"})["answer"]
        assert "3元" in answer and "2元" not in answer



def _ask(page, text: str) -> None:
    page.fill("#xb-input textarea", text)
    page.keyboard.press("Enter")


def _ticket_of(page) -> str:
    return re.search(r"XB\d{6}-[0-9A-F]+", page.inner_text("#xb-agent")).group(0)


def _roles(app_url: str, ticket_id: str) -> list[str]:
    return [role for (role,) in _query(app_url, "SELECT role FROM messages WHERE session_id = (SELECT session_id "
                                                f"FROM tickets WHERE id = '{ticket_id}') ORDER BY id")]


def test_live_handoff_customer_and_expert_at_once(app_url, browser, tmp_path):
    expert = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    customer = browser.new_context(viewport={"width": 400, "height": 900}).new_page()  # a phone
    _sign_in(expert, app_url, "wang", "expert-pass")
    expert.locator("role=tab >> text=工单队列").wait_for(timeout=30000)  # the tabs appear once the role is known
    assert expert.locator("role=tab").all_inner_texts() == ["工单队列", "智能助手"]  # no 知识库 for an expert

    customer.goto(app_url + "/", wait_until="domcontentloaded")
    customer.wait_for_selector("#xb-input textarea", timeout=60000)
    _ask(customer, "信用卡免息期最长多少天？")
    customer.wait_for_selector("text=参考依据", timeout=60000)
    _ask(customer, "我要投诉你们网点的柜员态度太差")
    customer.wait_for_selector("#xb-agent >> text=正在为您转接人工专家", timeout=60000)
    ticket_id = _ticket_of(customer)

    _open_ticket(expert, ticket_id)  # the row arrived without pressing 刷新队列
    suggestion = expert.inner_text("#xb-suggestion")
    assert "投诉受理专员王芳" in suggestion and "我已为您转接" not in suggestion
    assert "我要投诉你们网点的柜员态度太差" in expert.inner_text("#xb-transcript .xb-trigger")
    expert.click("#xb-claim")
    expert.wait_for_selector("#xb-ticket-info >> text=处理中", timeout=30000)
    expert.locator(f"#xb-queue >> text=王芳 >> visible=true").first.wait_for(timeout=30000)  # the queue shows the owner
    customer.wait_for_selector("#xb-agent >> text=专家 王芳 正在为您服务", timeout=30000)
    assert customer.is_visible("#xb-back") and not customer.is_visible("#xb-human")

    expert.fill("#xb-draft textarea", "您好，我是王芳，已为您登记投诉。请问是哪个网点、什么时间办理的业务？")
    expert.click("#xb-send-reply")
    expert.wait_for_selector("text=回复已发送给客户", timeout=30000)
    # the draft is cleared after sending (a second output of the same event: it may land after the notice)
    expert.wait_for_function("document.querySelector('#xb-draft textarea').value === ''", timeout=30000)
    customer.wait_for_selector("#xb-chat .xb-expert >> text=请问是哪个网点", timeout=30000)
    assert "人工专家 · 王芳" in customer.inner_text("#xb-chat .xb-expert")

    customer.locator("#xb-input textarea").press_sequentially("城东支行，昨天下午。那大概什么时候能有结果？", delay=150)
    expert.wait_for_selector("#xb-ticket-info >> text=客户正在输入…", timeout=30000)
    customer.keyboard.press("Enter")
    expert.wait_for_selector("#xb-transcript >> text=城东支行，昨天下午", timeout=30000)  # no manual refresh
    time.sleep(2)
    assert _roles(app_url, ticket_id)[-3:] == ["assistant", "expert", "user"]  # the assistant said nothing
    chat = customer.inner_text("#xb-chat")
    assert chat.rstrip().endswith("那大概什么时候能有结果？") or "那大概什么时候能有结果？" in chat[-80:]
    _screenshot(customer, tmp_path, "handoff-customer.png", full_page=True)
    _screenshot(expert, tmp_path, "handoff-expert.png", full_page=True)

    expert.click("#xb-resolve")
    _toast(expert, "请选择处理结果")
    expert.locator("#xb-resolution input").fill("已登记投诉")
    expert.keyboard.press("Enter")
    expert.click("#xb-resolve")
    _toast(expert, "投诉工单办结时必须填写处理说明")
    expert.fill("#xb-resolve-note textarea, #xb-resolve-note input", "已登记投诉，转城东支行负责人核查，3日内回复客户")
    expert.click("#xb-resolve")
    expert.wait_for_selector("#xb-ticket-info >> text=已解决", timeout=30000)

    customer.wait_for_selector("#xb-agent >> text=本次人工服务已结束", timeout=30000)
    _ask(customer, "信用卡免息期最长多少天？")  # back with the assistant
    customer.wait_for_function("document.querySelector('#xb-chat').innerText.split('56天').length >= 3",
                               timeout=60000)  # a second answer with the figure
    # The banner goes with the answer's last update (the streamed text shows first), or with the next poll
    # if a poll read the state just before the question was stored.
    customer.wait_for_selector("#xb-agent", state="hidden", timeout=15000)
    assert customer.is_visible("#xb-chips")  # the quick replies are back with the assistant

    # 满意度评价: the resolved ticket makes the chat offer the survey (its timer checks every 10 s), once.
    customer.wait_for_selector("#xb-survey", state="visible", timeout=30000)
    customer.locator("#xb-stars label").first.click()  # ★★★★★
    customer.fill("#xb-comment textarea", "王芳处理得很及时")
    customer.click("#xb-survey-send")
    customer.wait_for_selector("#xb-survey-note >> text=感谢您的评价", timeout=30000)
    assert not customer.is_visible("#xb-survey")
    customer.click("#xb-end")  # rating again is refused
    customer.wait_for_selector("#xb-survey-note >> text=您已评价过本次服务", timeout=30000)
    assert _query(app_url, f"SELECT stars, comment FROM surveys WHERE ticket_id = '{ticket_id}'") == \
        [(5, "王芳处理得很及时")]
    expert.wait_for_selector("#xb-ticket-info >> text=王芳处理得很及时", timeout=30000)  # the open ticket redraws
    assert "客户评价：★★★★★（5星）" in expert.inner_text("#xb-ticket-info")

    expert.click("#xb-logout")
    expert.wait_for_selector("input[type=password]", timeout=30000)  # signed out: the login form again
    expert.context.close()
    customer.context.close()


@pytest.fixture(scope="module")
def closed_url(demo_data_dir, tmp_path_factory):
    """A server whose experts never work (CHATBOT_OFFICE_WEEKDAYS=""): the longest waiting banner, and the
    callback form."""
    data_dir = tmp_path_factory.mktemp("closed") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    with _serve(data_dir, CHATBOT_STAFF_USERS=_staff_users(), CHATBOT_OFFICE_WEEKDAYS="") as url:
        yield url


def _inside(box: dict, width: int, height: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 1 and box["y"] + box["height"] <= height + 1


@pytest.mark.parametrize("width,height", [(360, 640), (390, 844)])
def test_a_waiting_customer_on_a_phone_still_sees_the_input_and_the_newest_message(closed_url, browser, tmp_path,
                                                                                    width, height):
    """Outside office hours, with the banner and the callback form: the input, 发送 and the end of the newest
    message are on the screen without scrolling; the banner is compact (its details folded under 详情)."""
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(closed_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    _ask(page, "我要转人工")
    page.wait_for_selector("#xb-agent >> text=非工作时间", timeout=60000)
    page.wait_for_selector("#xb-callback >> text=留下回电号码", timeout=30000)
    page.wait_for_timeout(1000)  # the chat scrolls to its newest message

    def on_screen(selector: str) -> dict:
        box = page.locator(selector).last.bounding_box()
        assert box is not None and _inside(box, width, height), (selector, box, width, height)
        return box

    assert page.evaluate("window.scrollY") == 0
    on_screen("#xb-input textarea")
    on_screen("#xb-send")
    on_screen("#xb-callback")
    banner = on_screen("#xb-agent")
    assert banner["height"] <= 80, banner  # two short lines, not four
    assert "非工作时间" in page.inner_text("#xb-agent") and not page.is_visible("#xb-agent details p")
    chat, composer = page.locator("#xb-chat").bounding_box(), page.locator("#xb-composer").bounding_box()
    newest = page.locator("#xb-chat .message-row").last.bounding_box()  # the hand-off message, with the ticket
    assert chat["y"] < newest["y"] + newest["height"] <= min(chat["y"] + chat["height"], composer["y"]) + 1, (newest, chat)
    assert not page.is_visible("#xb-chips")  # quick replies would go to the expert: they wait
    _screenshot(page, tmp_path, f"handoff-waiting-{width}.png")

    page.click("#xb-agent summary")  # the details unfold: office hours and the hotline
    page.wait_for_selector("#xb-agent >> text=紧急情况请拨打24小时客服热线", timeout=10000)
    page.click("#xb-agent summary")
    page.locator("#xb-callback >> text=留下回电号码").click()  # the form unfolds; the input and 提交 stay
    page.wait_for_selector("#xb-callback-phone input", timeout=10000)
    page.wait_for_timeout(500)
    on_screen("#xb-input textarea")
    on_screen("#xb-callback-submit")
    context.close()


def test_callback_number_reaches_the_assigned_expert_and_nobody_else(closed_url, browser, tmp_path):
    url, data_dir = closed_url, _DATA_DIRS[closed_url]
    phone = "13812345678"
    customer = browser.new_context(viewport={"width": 400, "height": 900}).new_page()
    customer.goto(url + "/", wait_until="domcontentloaded")
    customer.wait_for_selector("#xb-input textarea", timeout=60000)
    _ask(customer, "我要转人工")
    customer.wait_for_selector("#xb-agent >> text=非工作时间", timeout=60000)
    ticket_id = _ticket_of(customer)
    customer.locator("#xb-callback >> text=留下回电号码").click()  # folded until the customer wants it
    customer.fill("#xb-callback-phone input", phone)
    customer.click("#xb-callback-submit")
    _toast(customer, "请先勾选同意")
    assert "仅用于就本次咨询回电联系我" in customer.inner_text("#xb-callback")
    customer.check("#xb-callback-consent input")
    customer.click("#xb-callback-submit")
    customer.wait_for_selector("#xb-agent >> text=已收到您的回电号码 138****5678", timeout=30000)
    assert phone not in customer.inner_text("#xb-chat") and not customer.is_visible("#xb-callback")

    other = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(other, url, "zhao", "expert2-pass")
    _open_ticket(other, ticket_id)
    assert "客户留下了回电号码" in other.inner_text("#xb-ticket-info")
    owner = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    _sign_in(owner, url, "wang", "expert-pass")
    _open_ticket(owner, ticket_id)
    owner.click("#xb-claim")
    owner.wait_for_selector(f"#xb-ticket-info >> text=回电号码：{phone}", timeout=30000)
    _open_ticket(other, ticket_id)
    other.wait_for_selector("#xb-ticket-info >> text=处理中", timeout=30000)
    assert phone not in other.content() and "仅负责本工单的专家可见" in other.inner_text("#xb-ticket-info")

    with sqlite3.connect(data_dir / "xiaobao.sqlite") as connection:  # encrypted at rest
        assert phone not in "\n".join(connection.iterdump())
    assert phone not in (data_dir / "app.log").read_text()  # and masked in the log
    for page in (customer, other, owner):
        page.context.close()  # open pages keep the server's event streams open
