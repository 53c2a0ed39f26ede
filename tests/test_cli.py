"""The command lines, run as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, write_small_kb


def _run(args, data_dir, knowledge_dir=None, timeout=300, **env_overrides):
    env = dict(os.environ, CHATBOT_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", **env_overrides)
    if knowledge_dir:
        env["CHATBOT_KNOWLEDGE_DIR"] = str(knowledge_dir)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ask_json_on_the_demo_index(demo_data_dir):
    result = _run(["-m", "chatbot", "ask", "信用卡免息期最长多少天？", "--json"], demo_data_dir)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["outcome"] == "answered" and "56天" in payload["answer"]
    assert payload["citations"][0]["id"] == "card-credit-interest-free"


def test_ask_plain_text(demo_data_dir):
    result = _run(["-m", "chatbot", "ask", "我要投诉你们网点"], demo_data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[转人工]")


def test_ingest_json_then_nothing_to_do(tmp_path):
    kb = write_small_kb(tmp_path / "kb")
    first = _run(["ingest.py", str(kb), "--json"], tmp_path / "data")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 2
    second = json.loads(_run(["ingest.py", str(kb), "--json"], tmp_path / "data").stdout)
    assert (second["added"], second["updated"], second["skipped"]) == (0, 0, 2)


def test_ingest_exit_code_1_when_a_file_fails(tmp_path):
    kb = write_small_kb(tmp_path / "kb")
    (kb / "cards" / "card-broken.yaml").write_text("id: card-broken\ntitle: [未闭合\n", encoding="utf-8")
    result = _run(["ingest.py", str(kb), "--json"], tmp_path / "data")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["added"] == 2
    assert summary["errors"][0]["path"] == "cards/card-broken.yaml"
    assert "line" in summary["errors"][0]["error"]


def test_first_ask_on_an_empty_index_ingests_with_progress(tmp_path):
    kb = write_small_kb(tmp_path / "kb")
    result = _run(["-m", "chatbot", "ask", "跨行取钱要收费吗", "--json"], tmp_path / "data", knowledge_dir=kb)
    assert result.returncode == 0, result.stderr
    assert "ingest progress 100%" in result.stderr
    assert "2元" in json.loads(result.stdout)["answer"]


def test_importing_the_library_leaves_the_environment_alone():
    # Offline switches (HF_HUB_OFFLINE, telemetry) belong to the entry points, not to `import chatbot`.
    code = ("import os; before = dict(os.environ); import chatbot, chatbot.services, chatbot.web.app, "
            "chatbot.index.embeddings; print(dict(os.environ) == before)")
    env = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ANONYMIZED_TELEMETRY"}}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "True", result.stderr
