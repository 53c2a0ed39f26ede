"""The composition root: the one `Assistant` that the UI, API, CLI and evaluation share, and the
services around it (conversations, the expert desk, staff accounts, knowledge admin, the gap report).
Production passes nothing; tests pass their own parts."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from .answer.assistant import Assistant
from .answer.generate import GroundedGenerator
from .answer.llm import LLMStatus, build_chat_model
from .config import Settings
from .conversations.db import Database
from .conversations.erasure import DataEraser
from .conversations.service import ChatService
from .index.embeddings import build_embeddings
from .publishing.admin import KnowledgeAdmin
from .publishing.jobs import JobQueue
from .publishing.pipeline import run_ingest
from .publishing.worker import IngestWorker, serve_embedded
from .retrieval.retriever import HybridRetriever
from .staff.accounts import StaffDirectory
from .staff.desk import Desk
from .staff.gaps import GapReporter
from .staff.operations import Operations
from .staff.throttle import LoginThrottle

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    assistant: Assistant
    database: Database
    chat: ChatService
    desk: Desk
    staff: StaffDirectory
    knowledge: KnowledgeAdmin
    gaps: GapReporter
    erasure: DataEraser
    login_throttle: LoginThrottle
    operations: Operations
    _stop: threading.Event = field(default_factory=threading.Event)

    def start_background(self, *, retention: bool = False) -> list[threading.Thread]:
        """The app's background threads: one follows the published generation, so a replica reloads
        its index off the request path; with `ingest_worker=embedded`, one runs the ingest jobs and, with
        `retention`, the daily retention job (whichever process holds the worker lock: it runs once per
        deployment; with `external` the worker process runs it instead)."""
        self._stop.clear()
        retriever = self.assistant.retriever
        threads = [threading.Thread(target=_follow_publishes, args=(retriever, self._stop), daemon=True,
                                    name="index-follower")]
        if self.settings.ingest_worker == "embedded":
            worker = IngestWorker(self.settings, retriever.embeddings, client=retriever.client,
                                  queue=self.knowledge.jobs, on_published=lambda: retriever.refresh(force=True),
                                  housekeeping=self.enforce_retention if retention else None)
            threads.append(threading.Thread(target=serve_embedded, args=(worker, self._stop), daemon=True,
                                            name="ingest-worker"))
        for thread in threads:
            thread.start()
        return threads

    def enforce_retention(self) -> None:
        self.erasure.enforce_retention(self.settings.retention_days)

    def stop_background(self) -> None:
        self._stop.set()


def _follow_publishes(retriever: HybridRetriever, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            retriever.refresh()
        except Exception:  # the database or the Chroma server is briefly away: keep serving what is loaded
            logger.warning("could not check the published generation", exc_info=True)


def build_services(settings: Settings, *, embeddings=None, retriever: HybridRetriever | None = None, llm=None,
                   auto_ingest: bool = True) -> Services:
    staff = StaffDirectory.from_settings(settings)  # a malformed CHATBOT_STAFF_USERS fails before any work
    if not len(staff):
        logger.warning("no staff accounts: set CHATBOT_STAFF_USERS to use /staff (see README)")
    assistant = build_assistant(settings, embeddings=embeddings, retriever=retriever, llm=llm,
                                auto_ingest=auto_ingest)
    database = Database.from_settings(settings)
    chat = ChatService(assistant, database, settings, expert_names=staff.display_name)
    gaps = GapReporter(database, assistant.retriever, settings)
    operations = Operations.attach(chat, gaps)
    return Services(settings, assistant, database, chat, Desk(chat, staff), staff,
                    KnowledgeAdmin(settings, assistant.retriever, audit=operations.audit), gaps,
                    DataEraser(database), LoginThrottle.from_settings(settings), operations)


def build_assistant(settings: Settings, *, embeddings=None, retriever: HybridRetriever | None = None,
                    llm=None, auto_ingest: bool = True) -> Assistant:
    """Production passes nothing; tests pass their own parts. Ingests first when the index is empty."""
    embeddings = embeddings or build_embeddings(settings.embeddings, query_cache_size=settings.query_cache_size)
    retriever = retriever or HybridRetriever(settings, embeddings)
    retriever.refresh()
    if auto_ingest and retriever.size == 0:
        if settings.ingest_worker == "external":  # the worker builds it; replicas follow the publish
            queue = JobQueue(settings)
            if not queue.pending():
                queue.enqueue("system")
            logger.warning("index is empty: a first ingest is queued for the ingest worker")
        else:
            ensure_index(settings, embeddings, retriever)
    model = llm if llm is not None else build_chat_model(settings)
    status = LLMStatus(enabled=model is not None)
    generator = None
    if model is not None:
        generator = GroundedGenerator(model, status, bank_name=settings.bank_name, hotline=settings.hotline,
                                      budget_tokens=settings.llm_context_tokens, model_name=settings.llm_model)
    assistant = Assistant(settings, retriever=retriever, generator=generator)
    assistant.llm_status = status
    return assistant


def ensure_index(settings: Settings, embeddings, retriever: HybridRetriever) -> None:
    """First run: index the knowledge directory so that a newcomer's first question gets an answer."""
    logger.info("index is empty: ingesting %s first (one-time, about a minute)", settings.knowledge_dir)
    report = run_ingest(settings, embeddings, progress=ProgressLog(), client=retriever.client)
    for failure in report.errors:
        logger.warning("knowledge file skipped path=%s reason=%s", failure.path, failure.error)
    retriever.refresh(force=True)
    logger.info("ingest done files=%s units=%s", len(report.files), retriever.size)


class ProgressLog:
    """Ingest progress for the log: every 10% of each phase (validating files, writing units, publishing)."""

    def __init__(self):
        self.phase, self.percent = "", 0

    def __call__(self, done: int, total: int, text: str) -> None:
        phase = text.split(" ", 1)[0]
        if phase != self.phase:
            self.phase, self.percent = phase, -10
        percent = done * 100 // max(total, 1)
        if percent >= self.percent + 10 or done == total:
            self.percent = percent
            logger.info("ingest progress %s%% (%s/%s) %s", percent, done, total, text)
