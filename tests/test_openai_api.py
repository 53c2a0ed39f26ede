"""The OpenAI-compatible endpoint, with the official `openai` package as the client, against `python app.py`
on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pytest

from tests.conftest import make_settings
from tests.server import serve

openai = pytest.importorskip("openai")

API_KEY = "sk-test-middleware-key"
IDENTITY_SECRET = "bank-website-secret-for-the-openai-tests-0123456789"


@pytest.fixture(scope="module")
def app(demo_data_dir, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("openai") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    with serve(data_dir, CHATBOT_API_KEYS=f"sk-other; {API_KEY}", CHATBOT_IDENTITY_SECRET=IDENTITY_SECRET,
               CHATBOT_RATE_LIMIT="") as url:
        yield url, data_dir


@pytest.fixture(scope="module")
def client(app):
    return openai.OpenAI(base_url=app[0] + "/v1", api_key=API_KEY, max_retries=0, timeout=60)


def _ask(client, *messages: str, **options):
    roles = ["user", "assistant"]
    return client.chat.completions.create(
        model="xiaobao", messages=[{"role": roles[n % 2], "content": text} for n, text in enumerate(messages)],
        **options)


def test_models_lists_xiaobao(client):
    assert [model.id for model in client.models.list()] == ["xiaobao"]
    assert client.models.retrieve("xiaobao").owned_by == "示例银行"


def test_non_streamed_answer_with_the_extra_field(client):
    completion = _ask(client, "信用卡免息期最长多少天？")
    assert "56天" in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra["xiaobao"]
    assert extra["outcome"] == "answered" and extra["confidence"] >= 0.5
    assert extra["citations"] and extra["citations"][0]["title"]
    assert extra["ticket_id"] is None and extra["session_id"]
    assert completion.usage.completion_tokens > 0


def test_earlier_messages_are_the_history(client):
    completion = _ask(client, "对投诉处理决定不满意怎么办？", "您可以申请复核。", "那要在多久之内提出？")
    assert "30日" in completion.choices[0].message.content


def test_streamed_answer_and_hand_off_ticket(client, app):
    chunks = list(_ask(client, "我要投诉你们网点的柜员", stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    extra = next(c.model_extra["xiaobao"] for c in chunks if c.model_extra and "xiaobao" in c.model_extra)
    assert extra["outcome"] == "handoff" and extra["handoff_reason"] == "complaint"
    assert extra["ticket_id"] and extra["ticket_id"] in text  # the next steps arrive in the stream too
    assert chunks[-1].usage.completion_tokens > 0
    with sqlite3.connect(app[1] / "xiaobao.sqlite") as db:
        assert db.execute("SELECT priority FROM tickets WHERE id = ?", (extra["ticket_id"],)).fetchone() == ("high",)

    streamed = list(_ask(client, "信用卡免息期最长多少天？", stream=True))
    assert "56天" in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)


def test_session_token_joins_the_turns_and_identity_is_verified(client, app):
    from chatbot.web.identity import issue_identity

    settings = make_settings(app[1], identity_secret=IDENTITY_SECRET)
    good = issue_identity("C-1001", settings)
    expired = issue_identity("C-1002", settings, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2))
    first = _ask(client, "银行卡丢了怎么挂失？", extra_body={"identity_token": good}).model_extra["xiaobao"]
    assert first["identity_verified"] is True
    again = _ask(client, "信用卡免息期最长多少天？", extra_body={"session_id": first["session_id"]}).model_extra["xiaobao"]
    assert again["session_id"] == first["session_id"]
    stale = _ask(client, "银行卡丢了怎么挂失？", extra_body={"identity_token": expired}).model_extra["xiaobao"]
    assert stale["identity_verified"] is False
    with sqlite3.connect(app[1] / "xiaobao.sqlite") as db:
        customers = {row[0] for row in db.execute("SELECT customer_id FROM conversations")}
    assert "C-1001" in customers and "C-1002" not in customers


def test_wrong_or_missing_key_is_refused(app):
    wrong = openai.OpenAI(base_url=app[0] + "/v1", api_key="sk-guess", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    with pytest.raises(openai.AuthenticationError):
        _ask(wrong, "信用卡免息期最长多少天？")


def test_bad_requests_get_openai_errors(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "你好"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="xiaobao", messages=[{"role": "assistant", "content": "您好"}])


def test_non_streamed_completions_do_not_wait_for_each_other(demo_data_dir, tmp_path):
    """Before: a non-streamed completion ran its turn on the event loop, so with an LLM configured each
    request held every other one of the process for the LLM's whole reply."""
    import threading

    from tests.llm_server import FakeLLMServer, Reply

    data_dir = tmp_path / "data"
    shutil.copytree(demo_data_dir, data_dir)
    with FakeLLMServer() as llm:
        llm.script(Reply("示例银行信用卡的免息还款期最长为56天[1]。", delay_s=1.5))
        with serve(data_dir, CHATBOT_API_KEYS=API_KEY, CHATBOT_RATE_LIMIT="", CHATBOT_LLM_BASE_URL=llm.base_url,
                   CHATBOT_LLM_MODEL="fake-model", CHATBOT_LLM_TIMEOUT_S="10") as url:
            client = openai.OpenAI(base_url=url + "/v1", api_key=API_KEY, max_retries=0, timeout=60)
            answers = []
            threads = [threading.Thread(target=lambda: answers.append(_ask(client, "信用卡免息期最长多少天？")))
                       for _ in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(answers) == 3 and all("56天" in a.choices[0].message.content for a in answers)
            # Not a wall-clock bound (the machine is shared): the LLM server saw requests waiting at once.
            assert llm.max_in_flight >= 2, "the completions reached the LLM one after another"
