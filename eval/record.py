"""`python -m eval.run … --record-db URL_OR_PATH`: run the cases as customers through the real chat
service, so the conversations, outcomes, hand-off tickets and feedback land in a conversation database
exactly as the website would write them — for example to produce the knowledge-gap report from the dev
set (`python ingest.py --gaps`).

Each case is one conversation (session `eval-<run>-<case id>`); a case's `history` is replayed by asking
its user turns first, so follow-ups are answered from the recorded conversation. Customer
dissatisfaction is simulated: after all cases have run, every answer the evaluation judged wrong (wrong
outcome, or a required fact missing) gets a 👎, as a customer who got a wrong or useless answer would.
The 👎 comes after the conversation's last question, so it does not itself trigger a
`repeated_failure` hand-off.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from chatbot.conversations.db import Database
from chatbot.conversations.service import ChatService
from chatbot.quality.cases import Case, CaseResult
from chatbot.quality.evaluators import judged_wrong


def database_url(url_or_path: str) -> str:
    """A SQLAlchemy URL as given, or a file path as SQLite (its directory is created)."""
    if "://" in url_or_path:
        return url_or_path
    path = Path(url_or_path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class CaseRecorder:
    def __init__(self, assistant, url_or_path: str, *, run_id: str | None = None):
        self.service = ChatService(assistant, Database(database_url(url_or_path)), assistant.settings)
        self.run_id = run_id or dt.datetime.now().strftime("%Y%m%d%H%M%S")
        self._answers: dict[str, tuple[str, int]] = {}  # case id -> (session id, answer message id)

    def ask(self, case: Case):
        """The case's answer through the chat service, and the history it was answered with."""
        session_id = f"eval-{self.run_id}-{case.id}"
        for turn in case.history or []:
            if turn.role == "user":
                self.service.chat(session_id, turn.content)
        # A history turn that handed off would give the conversation to an expert; the case asks the
        # assistant, so the simulated customer goes back to it first.
        self.service.return_to_assistant(session_id)
        history = [m.as_turn() for m in self.service.conversations.messages(session_id)]
        turn = self.service.chat(session_id, case.question)
        self._answers[case.id] = (session_id, turn.answer_message_id)
        return turn.answer, history

    def thumbs_down_wrong(self, cases: list[Case], results: list[CaseResult]) -> int:
        """👎 on every recorded answer the evaluation judged wrong; returns how many."""
        given = 0
        for case, result in zip(cases, results):
            if case.id in self._answers and judged_wrong(case, result):
                session_id, message_id = self._answers[case.id]
                given += self.service.feedback(message_id, -1, session_id)
        return given
