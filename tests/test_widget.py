"""The website widget on the mock bank site (demo/bank_site.py), served from another origin, in a real headless
Chromium: the bubble opens the chat as a full-screen sheet at phone width, the answer arrives, the bank's
signed identity attaches the customer while a forged or expired one leaves the chat anonymous, and a site
that is not in CHATBOT_FRAME_ANCESTORS cannot frame the chat."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path

import jwt
import pytest

from chatbot.web.embed import origin_patterns
from demo.bank_site import CUSTOMER_ID, make_server, serve_in_thread
from tests.server import CHROMIUM
from tests.server import free_port, serve

SECRET = "bank-website-secret-for-the-widget-tests-0123456789"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def test_origin_patterns_follow_csp_sources():
    import re

    patterns = [re.compile(p) for p in origin_patterns("'self' https://www.bank.example https://*.bank.cn:* http:")]
    allowed = lambda origin: any(p.match(origin) for p in patterns)  # noqa: E731
    assert allowed("https://www.bank.example") and not allowed("https://www.bank.example.evil.com")
    assert allowed("https://m.bank.cn:8443") and not allowed("https://bank.cn.evil.com")
    assert allowed("http://anything.test") and not allowed("ftp://www.bank.example")
    assert origin_patterns("'none'") == [] and origin_patterns("'self'") == []


@contextlib.contextmanager
def _site(chat_url: str, port: int, **options):
    server = make_server(port, chat_url, **options)
    serve_in_thread(server)
    try:
        yield f"http://localhost:{port}"  # another site than the chat's 127.0.0.1, as a bank's www is
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def sites(demo_data_dir, tmp_path_factory):
    if CHROMIUM is None and not os.environ.get("CI"):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    ports = {name: free_port() for name in ("bank", "forged", "expired", "stranger")}
    allowed = " ".join(f"http://localhost:{ports[name]}" for name in ("bank", "forged", "expired"))
    data_dir = tmp_path_factory.mktemp("widget") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    now = dt.datetime.now(dt.timezone.utc)
    forged = jwt.encode({"sub": "C-6666", "aud": "xiaobao", "iat": now, "exp": now + dt.timedelta(hours=1)},
                        "not-the-bank-secret-but-long-enough-0123456789", algorithm="HS256")
    expired = jwt.encode({"sub": "C-7777", "aud": "xiaobao", "iat": now - dt.timedelta(hours=2),
                          "exp": now - dt.timedelta(hours=1)}, SECRET, algorithm="HS256")
    with serve(data_dir, CHATBOT_FRAME_ANCESTORS=f"'self' {allowed}", CHATBOT_IDENTITY_SECRET=SECRET,
               CHATBOT_RATE_LIMIT="") as chat_url, \
            _site(chat_url, ports["bank"], secret=SECRET) as bank, \
            _site(chat_url, ports["forged"], secret=SECRET, token=forged) as forged_site, \
            _site(chat_url, ports["expired"], secret=SECRET, token=expired) as expired_site, \
            _site(chat_url, ports["stranger"], secret=SECRET) as stranger:
        yield {"chat": chat_url, "data": data_dir, "bank": bank, "forged": forged_site, "expired": expired_site,
               "stranger": stranger}


def _customer_of(data_dir: Path, question: str) -> tuple[str | None, ...]:
    with sqlite3.connect(data_dir / "xiaobao.sqlite") as db:
        return tuple(row[0] for row in db.execute(
            "SELECT c.customer_id FROM conversations c JOIN messages m ON m.session_id = c.session_id "
            "WHERE m.role = 'user' AND m.content = ?", (question,)))


def _open_and_ask(page, url: str, question: str, *, token_expected: bool = True):
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#xiaobao-widget .bubble").click(timeout=30000)
    chat = page.frame_locator("#xiaobao-widget iframe")
    chat.locator("#xb-input textarea").wait_for(timeout=60000)
    if token_expected:  # the token reached the frame through postMessage before the customer asks
        identity = chat.locator("#xb-identity textarea")
        for _ in range(100):
            if identity.input_value():
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the identity token never reached the chat frame")
    chat.locator("#xb-input textarea").fill(question)
    chat.locator("#xb-input textarea").press("Enter")
    chat.locator("text=参考依据").first.wait_for(timeout=60000)
    return chat


def _screenshot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / name))
    if os.environ.get("XB_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / name, Path(os.environ["XB_SCREENSHOT_DIR"]) / name)


def test_phone_opens_a_full_screen_sheet_and_gets_an_answer_with_verified_identity(sites, browser, tmp_path):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(sites["bank"] + "/", wait_until="domcontentloaded")
    bubble = page.locator("#xiaobao-widget .bubble")
    bubble.wait_for(timeout=30000)
    assert bubble.inner_text().strip() == "在线客服"
    _screenshot(page, "widget-phone-closed.png", tmp_path)

    question = "信用卡免息期最长多少天？"
    chat = _open_and_ask(page, sites["bank"] + "/", question)
    assert "56天" in chat.locator("#xb-chat").inner_text()
    sheet = page.locator("#xiaobao-widget .panel").bounding_box()
    assert sheet["x"] == 0 and sheet["y"] == 0 and sheet["width"] == 390 and abs(sheet["height"] - 844) <= 1
    box = chat.locator("#xb-input textarea").bounding_box()
    assert 0 < box["y"] + box["height"] <= 844  # the input is on screen
    assert _customer_of(sites["data"], question) == (CUSTOMER_ID,)
    _screenshot(page, "widget-phone.png", tmp_path)

    page.locator("#xiaobao-widget .close").click()
    assert not page.locator("#xiaobao-widget .panel").is_visible()
    context.close()


def test_desktop_panel_beside_the_page(sites, browser, tmp_path):
    page = browser.new_page(**DESKTOP)
    question = "银行卡丢了怎么挂失？"
    _open_and_ask(page, sites["bank"] + "/", question)
    panel = page.locator("#xiaobao-widget .panel").bounding_box()
    assert panel["width"] == 400 and panel["x"] + panel["width"] <= 1280 - 20
    assert _customer_of(sites["data"], question) == (CUSTOMER_ID,)
    _screenshot(page, "widget-desktop.png", tmp_path)
    page.close()


@pytest.mark.parametrize("site", ["forged", "expired"])
def test_forged_or_expired_identity_gets_an_anonymous_chat(sites, browser, site):
    page = browser.new_page(**PHONE)
    question = f"投诉多久能有处理结果？（{site}）"
    _open_and_ask(page, sites[site] + "/", question)
    assert _customer_of(sites["data"], question) == (None,)
    page.close()


def test_visitor_without_login_is_anonymous(sites, browser):
    page = browser.new_page(**PHONE)
    question = "理财产品保证本金吗？"
    _open_and_ask(page, sites["bank"] + "/?guest=1", question, token_expected=False)
    assert _customer_of(sites["data"], question) == (None,)
    page.close()


def test_a_site_not_allowed_cannot_frame_the_chat(sites, browser):
    page = browser.new_page(**DESKTOP)
    page.goto(sites["stranger"] + "/", wait_until="domcontentloaded")
    page.locator("#xiaobao-widget .bubble").click(timeout=30000)
    page.locator("#xiaobao-widget iframe").wait_for(timeout=10000)
    time.sleep(3)  # time enough for the chat to load, had it been allowed
    assert page.frame_locator("#xiaobao-widget iframe").locator("#xb-input").count() == 0
    framed = [frame.url for frame in page.frames if frame.url.startswith(sites["chat"])]
    assert framed == [], framed
    # The chat itself answers: the browser refused it because of the CSP the server sent.
    with urllib.request.urlopen(sites["chat"] + "/?embed=1", timeout=10) as response:
        policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'self' " + sites["bank"] in policy and sites["stranger"] not in policy


def test_messages_from_other_windows_or_origins_are_ignored(sites, browser):
    """Each side accepts only the other: the bank page's widget ignores a third-party frame (an advert, say)
    that posts as if it were the chat, and the chat frame takes an identity only from its parent window on
    an allowed origin."""
    from chatbot.web.identity import issue_identity
    from tests.conftest import make_settings

    stolen = issue_identity("C-9999", make_settings(sites["data"], identity_secret=SECRET))
    page = browser.new_page(**DESKTOP)
    page.goto(sites["bank"] + "/?guest=1", wait_until="domcontentloaded")
    page.locator("#xiaobao-widget .bubble").click(timeout=30000)
    chat = page.frame_locator("#xiaobao-widget iframe")
    chat.locator("#xb-input textarea").wait_for(timeout=60000)

    page.evaluate("""url => { const advert = document.createElement('iframe'); advert.src = url;
                              advert.id = 'advert'; document.body.appendChild(advert); }""",
                  sites["stranger"] + "/?guest=1")
    advert = page.locator("#advert").element_handle(timeout=10000).content_frame()
    advert.wait_for_url(sites["stranger"] + "/?guest=1", wait_until="domcontentloaded", timeout=30000)
    advert.evaluate("parent.postMessage({type: 'xiaobao:close'}, '*')")
    time.sleep(1)
    assert page.locator("#xiaobao-widget .panel").is_visible()  # not closed by the advert

    frame = page.locator("#xiaobao-widget iframe").element_handle().content_frame()
    deliver = """([token, origin, fromParent]) => window.dispatchEvent(new MessageEvent('message', {
        data: {type: 'xiaobao:identity', token}, origin, source: fromParent ? window.parent : window}))"""
    identity = chat.locator("#xb-identity textarea")
    frame.evaluate(deliver, [stolen, sites["stranger"], True])  # the parent, but on an origin not allowed
    frame.evaluate(deliver, [stolen, sites["bank"], False])  # an allowed origin, but not the parent window
    time.sleep(0.5)
    assert identity.input_value() == ""
    frame.evaluate(deliver, ["from-the-bank", sites["bank"], True])  # the parent on an allowed origin
    for _ in range(50):
        if identity.input_value():
            break
        time.sleep(0.1)
    assert identity.input_value() == "from-the-bank"
    page.close()
