"""Operations in a real headless Chromium: the customer's survey, the supervisor's dashboard with its
charts, the compliance officer's inspection report."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.server import serve
from tests.test_browser import CHROMIUM, _post, _sign_in

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def ops_url(demo_data_dir, tmp_path_factory):
    from chatbot.staff.accounts import hash_password

    data_dir = tmp_path_factory.mktemp("browser-ops") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    staff = ";".join(f"{name}:{role}:{hash_password(name + '-pass', iterations=1000)}"
                     for name, role in (("sue", "supervisor"), ("cora", "compliance")))
    with serve(data_dir, CHATBOT_STAFF_USERS=staff) as url:
        yield url


def _keep(tmp_path: Path, name: str) -> None:
    if os.environ.get("XB_SCREENSHOT_DIR"):
        shutil.copy(tmp_path / name, Path(os.environ["XB_SCREENSHOT_DIR"]) / name)


def test_customer_rates_the_conversation_once(ops_url, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 1000})
    page.goto(ops_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#xb-input textarea", timeout=60000)
    page.fill("#xb-input textarea", "信用卡免息期最长多少天？")
    page.click("#xb-send")
    page.wait_for_selector("text=参考依据", timeout=60000)
    page.click("#xb-end")
    page.locator("#xb-stars label").first.click()  # ★★★★★
    page.fill("#xb-comment textarea", "回答很清楚")
    page.click("#xb-survey-send")
    page.wait_for_selector("#xb-survey-note >> text=感谢您的评价", timeout=30000)
    page.click("#xb-end")
    page.wait_for_selector("#xb-survey-note >> text=您已评价过本次服务", timeout=30000)
    page.close()


def test_supervisor_sees_the_dashboard_charts_and_compliance_the_inspection_report(ops_url, browser, tmp_path):
    for message in ("我要投诉你们乱扣年费", "再不处理我就打12378投诉你们", "信用卡免息期最长多少天？", "今天天气怎么样"):
        _post(ops_url + "/api/chat", {"message": message})
    page = browser.new_page(viewport={"width": 1366, "height": 2200})
    _sign_in(page, ops_url, "sue", "sue-pass")
    page.get_by_role("tab", name="运营看板").click()
    page.click("#xb-dashboard-refresh")
    page.wait_for_selector("#xb-kpis >> text=一次性解决率", timeout=60000)
    for plot in ("outcomes", "reasons", "stars", "inspection"):
        page.locator(f"#xb-plot-{plot} canvas, #xb-plot-{plot} svg").first.wait_for(timeout=60000)
    assert page.locator("#xb-dashboard table").count() >= 5  # the numbers beside the charts
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    _keep(tmp_path, "dashboard.png")
    page.close()

    page = browser.new_page(viewport={"width": 1366, "height": 1000})
    _sign_in(page, ops_url, "cora", "cora-pass")
    page.get_by_role("tab", name="智能质检").click()
    page.click("#xb-inspection-run")
    page.wait_for_selector("#xb-inspection-summary >> text=客户升级信号", timeout=60000)
    page.screenshot(path=str(tmp_path / "inspection.png"), full_page=True)
    _keep(tmp_path, "inspection.png")
    page.close()
