"""`python app.py` on a free loopback port, for the tests that talk to the real server over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-quic", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def serve(data_dir: Path, *, port: int | None = None, **env_overrides):
    """Run `python app.py` until the block ends; yields its URL once /api/health says ok."""
    port = port or free_port()
    env = dict(os.environ, CHATBOT_DATA_DIR=str(data_dir), CHATBOT_PORT=str(port), CHATBOT_HOST="127.0.0.1",
               **env_overrides)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "app.log", "a")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if process.poll() is not None:
                raise AssertionError("the app stopped: " + (data_dir / "app.log").read_text()[-3000:])
            try:
                if get_json(url + "/api/health")["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the app did not start: " + (data_dir / "app.log").read_text()[-3000:])
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
