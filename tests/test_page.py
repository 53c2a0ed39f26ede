"""The customer page judged at phone width as a new customer would see it, in a real headless Chromium whose
browser language is English (as many phones are): no framework strings, Chinese throughout."""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request

import pytest

from chatbot.web.page import rewrite_shell
from tests.conftest import make_settings
from tests.server import serve

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-US"}
# What Gradio shows an English browser unless told otherwise.
FRAMEWORK_STRINGS = ["Built with Gradio", "Use via API", "Settings", "Copy message", "Like", "Dislike", "Clear",
                     "Info", "Warning", "Error", "chatbot conversation", "bot's message", "Gradio", "Feedback"]


def test_shell_rewrite_sets_language_title_and_viewport(tmp_path):
    shell = (b'<!doctype html>\n<html\n\tlang="en"\n\tstyle="margin: 0;"\n>\n<head>\n<meta charset="utf-8" />'
             b'<meta\n name="viewport"\n content="width=device-width, initial-scale=1, shrink-to-fit=no"\n/>'
             b'<meta property="og:title" content="Gradio" /><meta name="twitter:creator" content="@Gradio" />'
             b'</head><body></body></html>')
    page = rewrite_shell(shell, make_settings(tmp_path, bank_name="测试银行")).decode()
    assert '<html lang="zh-CN">' in page and 'lang="en"' not in page
    assert "Gradio" not in page and '<meta property="og:title" content="测试银行 · 消保智答" />' in page
    assert "interactive-widget=resizes-content" in page and 'Navigator.prototype, "language"' in page


@pytest.fixture(scope="module")
def app_url(demo_data_dir, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("page") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    with serve(data_dir, CHATBOT_RATE_LIMIT="") as url:
        yield url


def test_staff_without_trailing_slash(app_url):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(app_url + "/staff", timeout=10)
    assert answer.value.code == 307 and answer.value.headers["location"] == "staff/"
    with urllib.request.urlopen(app_url + "/staff", timeout=30) as response:  # followed: the console
        assert response.url == app_url + "/staff/" and response.status == 200


def _visible_and_labels(page) -> str:
    return page.evaluate("""() => document.body.innerText + '\\n' +
        [...document.querySelectorAll('[aria-label],[title],[placeholder]')]
          .map(e => [e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder')].join(' '))
          .join('\\n')""")


def test_phone_page_speaks_chinese_to_an_english_browser(app_url, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    page.fill("#xb-input textarea", "信用卡免息期最长多少天？")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=参考依据", timeout=60000)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.evaluate("document.querySelector('meta[property=\"og:title\"]').content") == "示例银行 · 消保智答"
    shown = _visible_and_labels(page)
    leftovers = [s for s in FRAMEWORK_STRINGS if re.search(r"(?<![A-Za-z])" + re.escape(s) + r"(?![A-Za-z])", shown)]
    assert leftovers == [], leftovers
    context.close()


def test_phone_page_like_a_bank_app(app_url, browser):
    """Header with the bank, chips above the fold, the input pinned, tel: hotline on one line, no 👍/👎 on the
    welcome or a hand-off, suggestions to tap, 大字 mode, office hours in the customer's time zone."""
    context = browser.new_context(**(PHONE | {"timezone_id": "Europe/London"}))
    page = context.new_page()
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    assert page.inner_text("#xb-header").startswith("示")  # the logo badge, then 示例银行
    assert "示例银行" in page.inner_text("#xb-header")
    chip = page.locator("#xb-chips button", has_text="银行卡丢了怎么挂失？")
    assert chip.bounding_box()["y"] + chip.bounding_box()["height"] <= 844  # above the fold
    composer = page.locator("#xb-composer").bounding_box()
    assert composer["y"] + composer["height"] <= 844 + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tel = page.locator("#xb-header a[href='tel:4000000000']")
    assert tel.inner_text() == "400-000-0000"
    assert tel.evaluate("node => getComputedStyle(node).whiteSpace") == "nowrap"
    welcome_buttons = page.locator("#xb-chat .message-buttons").first
    assert not welcome_buttons.locator("button[aria-label='有帮助']").is_visible()
    assert "即您当地时间 01:00–10:00" in page.inner_text("#xb-footnote")  # 09:00–18:00 in Beijing

    chip.click()  # a chip asks at once
    page.wait_for_selector("#xb-chat >> text=参考依据", timeout=60000)
    answer_buttons = page.locator("#xb-chat .message-buttons").last
    assert answer_buttons.locator("button[aria-label='没帮助']").is_visible()  # answers can be rated
    for _ in range(3):  # the input stays on screen as the chat grows
        page.fill("#xb-input textarea", "信用卡免息期最长多少天？")
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)
    box = page.locator("#xb-input textarea").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 844 + 1

    page.click("#xb-large")
    assert "xb-large" in page.evaluate("document.documentElement.className")
    size = page.locator("#xb-chat .message-content").last.evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    assert size >= 20
    context.close()


def test_suggested_questions_are_buttons_and_hand_offs_have_no_rating(app_url, browser):
    context = browser.new_context(**PHONE)  # a new customer: no earlier turns to read the question against
    page = context.new_page()
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    page.fill("#xb-input textarea", "卡的事情怎么弄")
    page.keyboard.press("Enter")
    option = page.locator("#xb-chat button", has_text="银行卡丢了怎么挂失？").last
    option.wait_for(timeout=60000)
    handoff_buttons = page.locator("#xb-chat .message-buttons").last
    assert not handoff_buttons.locator("button[aria-label='有帮助']").is_visible()
    assert page.locator("#xb-chat a[href='tel:4000000000']").last.is_visible()
    option.click()  # a suggested question is asked when tapped
    page.locator("#xb-chat .user-row", has_text="银行卡丢了怎么挂失？").first.wait_for(timeout=60000)
    context.close()


def _phone_chat(app_url, browser, message: str):
    """A new customer on a phone who has sent `message`: (context, page)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    page.fill("#xb-input textarea", message)
    page.keyboard.press("Enter")
    return context, page


def test_a_reload_keeps_the_buttons_to_pick_from(app_url, browser):
    """The options of "您想问的是以下哪个问题？" and the 您是不是想问 questions come back after a reload, and a
    tap on a restored option answers the card it names."""
    context, page = _phone_chat(app_url, browser, "房贷想一把还清，咋操作")
    option = "#xb-chat button:has-text('房贷提前还款要提前多久预约？')"
    page.locator(option).last.wait_for(timeout=60000)
    offered = page.locator("#xb-chat .options button").all_inner_texts()
    assert len(offered) >= 2
    page.reload(wait_until="domcontentloaded")
    page.locator(option).last.wait_for(timeout=60000)
    assert page.locator("#xb-chat .options button").all_inner_texts() == offered
    page.locator(option).last.click()
    page.wait_for_selector("#xb-chat >> text=15日", timeout=60000)  # answered as the chosen card
    assert "15日" in page.locator("#xb-chat .message-row").last.inner_text()
    context.close()

    context, page = _phone_chat(app_url, browser, "卡的事情怎么弄")  # a new customer: 您是不是想问 under a hand-off
    suggestion = "#xb-chat button:has-text('银行卡丢了怎么挂失？')"
    page.locator(suggestion).last.wait_for(timeout=60000)
    page.reload(wait_until="domcontentloaded")
    page.locator(suggestion).last.wait_for(timeout=60000)
    context.close()
