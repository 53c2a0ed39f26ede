"""Real servers for the scale-out tests: a throwaway PostgreSQL 15 (initdb into a temporary directory,
a loopback port), `chroma run` on a loopback port, and app replicas / ingest workers as processes.

The session fixtures in conftest.py start each server once and stop it at the end of the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path(os.environ.get("XB_PG_BIN", "/usr/lib/postgresql/15/bin"))
CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if result := check():
                return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class PostgresServer:
    """initdb + pg_ctl in a temporary directory. As root the server runs as the `postgres` user (it
    refuses root), so the directory is one that user can reach (/tmp, not pytest's 0700 tree)."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="xb-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    @staticmethod
    def missing() -> str | None:
        if not (PG_BIN / "initdb").exists():
            return f"PostgreSQL 15 server binaries not found in {PG_BIN} (make test installs Debian's postgresql)"
        return None

    def _run(self, *args: str) -> None:
        command = " ".join(str(a) for a in args)
        full = ["su", "postgres", "-s", "/bin/sh", "-c", command] if self.as_root else ["sh", "-c", command]
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    def start(self) -> "PostgresServer":
        if self.as_root:
            shutil.chown(self.base, "postgres")
        data, log = self.base / "data", self.base / "postgres.log"
        self._run(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "xiaobao", "--no-sync", "--no-locale",
                  "-E", "UTF8")
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run(PG_BIN / "pg_ctl", "-D", data, "-l", log, "-o", f"'{options}'", "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://xiaobao@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=xiaobao dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(PG_BIN / "pg_ctl", "-D", self.base / "data", "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port N` (the chromadb package's CLI in the venv)."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="xb-chroma-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def missing() -> str | None:
        return None if CHROMA.exists() else f"the chroma CLI is not installed next to {sys.executable}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ChromaServer":
        log = open(self.base / "chroma.log", "w")
        self.process = subprocess.Popen([str(CHROMA), "run", "--path", str(self.base / "data"), "--host", "127.0.0.1",
                                         "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT,
                                        env=dict(os.environ, ANONYMIZED_TELEMETRY="False"))
        wait_until(lambda: get_json(f"{self.url}/api/v2/heartbeat"), 60, "the Chroma server")
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
            if self.process.poll() is None:
                self.process.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def get_json(url: str, *, auth: tuple[str, str] | None = None, timeout: float = 30) -> dict:
    return request_json("GET", url, auth=auth, timeout=timeout)[1]


def request_json(method: str, url: str, payload: dict | None = None, *, auth: tuple[str, str] | None = None,
                 timeout: float = 60) -> tuple[int, dict]:
    import base64

    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Process:
    """An app replica (`python app.py`) or an ingest worker (`python -m chatbot worker`) with its own
    environment; its log goes to `log_dir`, never to its data directory."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        handle = open(log, "w")
        self.process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, stdout=handle,
                                        stderr=subprocess.STDOUT)
        handle.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_9(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_9()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Replica(Process):
    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        super().__init__(["app.py"], {**env, "CHATBOT_HOST": "127.0.0.1", "CHATBOT_PORT": str(self.port)}, log)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 180) -> "Replica":
        def healthy():
            if not self.alive():
                raise AssertionError("the replica exited:\n" + self.output())
            return get_json(self.url + "/api/health", timeout=5)["status"] == "ok"

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if healthy():
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError("the replica did not start:\n" + self.output())
