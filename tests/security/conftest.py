"""The red-team suite: the real app (`python app.py`) on 127.0.0.1 with a copy of the demo index and
knowledge, attacked over HTTP (httpx) and, where a browser is needed, headless Chromium."""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import KNOWLEDGE
from tests.server import serve

PASSWORDS = {"wang": "expert-pass", "zhao": "expert2-pass", "li": "km-pass", "root": "admin-pass",
             "lockme": "lock-pass"}
ROLES = {"wang": "expert", "zhao": "expert", "li": "knowledge_manager", "root": "admin", "lockme": "expert"}
IDENTITY_SECRET = "bank-website-secret-for-the-red-team-tests"


def staff_users() -> str:
    from chatbot.staff.accounts import hash_password

    return ";".join(f"{name}:{ROLES[name]}:{hash_password(pw, iterations=1000)}" for name, pw in PASSWORDS.items())


@dataclass
class App:
    url: str
    data_dir: Path
    knowledge_dir: Path

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def staff(self, name: str) -> httpx.Client:
        """A Basic-auth client for the staff API."""
        return self.client(auth=(name, PASSWORDS[name]))

    def console(self, name: str) -> httpx.Client:
        """A client signed in to the staff console (Gradio's login cookie)."""
        client = self.client()
        assert client.post("/staff/login", data={"username": name, "password": PASSWORDS[name]}).status_code == 200
        return client

    def chat(self, client: httpx.Client, message: str, session: str | None = None, **extra) -> dict:
        body = {"message": message, **extra} | ({"session_id": session} if session else {})
        response = client.post("/api/chat", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def sql(self, statement: str) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.data_dir / "xiaobao.sqlite") as connection:
            return connection.execute(statement).fetchall()

    def session_id(self, token: str) -> str:
        from chatbot.web.sessions import SessionSigner

        return SessionSigner((self.data_dir / "secret_key").read_text().strip()).verify(token)


def app_env(**overrides) -> dict:
    return {"CHATBOT_STAFF_USERS": staff_users(), "CHATBOT_IDENTITY_SECRET": IDENTITY_SECRET,
            "CHATBOT_EVAL_GATE_CASES": "", "CHATBOT_RATE_LIMIT": "10000/minute",
            "CHATBOT_LOGIN_LIMIT_ADDRESS": "10000/minute", **overrides}


def copy_app_dirs(demo_data_dir: Path, root: Path) -> tuple[Path, Path]:
    data_dir, knowledge_dir = root / "data", root / "knowledge"
    shutil.copytree(demo_data_dir, data_dir)
    shutil.copytree(KNOWLEDGE, knowledge_dir)
    return data_dir, knowledge_dir


@pytest.fixture(scope="session")
def app(demo_data_dir, tmp_path_factory) -> App:
    """One real server for the suite (attacks that need other settings start their own)."""
    data_dir, knowledge_dir = copy_app_dirs(demo_data_dir, tmp_path_factory.mktemp("redteam"))
    with serve(data_dir, **app_env(CHATBOT_KNOWLEDGE_DIR=str(knowledge_dir))) as url:
        yield App(url, data_dir, knowledge_dir)


def gradio_call(client: httpx.Client, mount: str, api_name: str, data: list, *, headers: dict | None = None) -> dict:
    """Call one event of a Gradio app the way its page does (queue/join, then the SSE stream); returns
    the final message ({"output": …} or {"error": …}), or the refusal of the join itself."""
    config = client.get(f"{mount}/config").json()
    found = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    session_hash = uuid.uuid4().hex[:12]
    payload = {"data": data, "fn_index": found["id"], "session_hash": session_hash, "event_data": None,
               "trigger_id": None}
    joined = client.post(f"{mount}/gradio_api/queue/join", content=json.dumps(payload).encode(),  # \u-escaped
                         headers={"Content-Type": "application/json", **(headers or {})})
    if joined.status_code != 200:
        return {"status": joined.status_code, "detail": joined.text}
    logs = []  # gr.Info / gr.Warning shown on the page
    with client.stream("GET", f"{mount}/gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "log":
                    logs.append(message.get("log") or message.get("message") or "")
                if message.get("msg") == "process_completed":
                    output = message.get("output") or {}
                    result = {"error": output["error"]} if output.get("error") else {"output": output.get("data")}
                    return result | {"logs": logs}
    raise AssertionError("the event never completed")
