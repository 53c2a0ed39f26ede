"""The audit trail of answers: what produced each assistant message, stored when the message is, and
the explanation staff read (`python -m chatbot explain <message id>`, the ticket view).

The generation and the card version are taken when the answer is given, so an answer given before a
re-ingest still names the generation and card version that produced it.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from ..answer.llm import fallback_label
from ..payloads import Answer
from .db import Database
from .handoff import reason_label
from .models import Message
from .ops_models import AnswerAudit

OUTCOME_LABELS = {"answered": "已回答", "clarify": "请客户澄清", "handoff": "转人工", "refused": "未回答（超出范围）"}
DECIDED_BY_LABELS = {"input": "消息本身（空消息或过长）", "rule": "规则", "retrieval": "检索与置信度",
                     "choice": "客户在澄清选项中的选择", "button": "客户点击“转人工”"}


class AnswerTrail:
    def __init__(self, db: Database, assistant):
        self.db = db
        self.assistant = assistant

    def record(self, message_id: int, session_id: str, answer: Answer, *, decided_by: str | None = None) -> None:
        """Store what produced the answer (one row per assistant message)."""
        retriever = self.assistant.retriever
        generation, collection = retriever.served_generation
        basis = answer.basis
        card_ids = [c.id for c in answer.citations if c.source.startswith("知识卡片")]
        card_id = answer.matched_id if answer.matched_id in card_ids else (card_ids[0] if card_ids else None)
        card = retriever.card(card_id) if card_id else None
        checks = {"decided_by": decided_by or (basis.decided_by if basis else None),
                  "rule": basis.rule if basis else None,
                  "retrieved": list(basis.retrieved) if basis else [],
                  "signals": asdict(basis.signals) if basis and basis.signals else None,
                  "priority": answer.priority, "llm_fallback": answer.llm_fallback}
        passages = [{"id": c.id, "title": c.title} for c in answer.citations if c.id != card_id]
        with self.db.session.begin() as session:
            session.merge(AnswerAudit(
                message_id=message_id, session_id=session_id, generation=generation or None,
                collection=collection or None, card_id=card_id, card_version=card.version if card else None,
                passages=json.dumps(passages, ensure_ascii=False), confidence=answer.confidence,
                checks=json.dumps(checks, ensure_ascii=False), outcome=answer.outcome,
                reason=answer.handoff_reason, llm_model=answer.generated_by))

    def get(self, message_id: int) -> AnswerAudit | None:
        with self.db.session() as session:
            return session.get(AnswerAudit, message_id)

    def for_session(self, session_id: str) -> dict[int, AnswerAudit]:
        with self.db.session() as session:
            rows = session.query(AnswerAudit).filter(AnswerAudit.session_id == session_id).all()
            return {row.message_id: row for row in rows}

    def explain(self, message_id: int) -> str | None:
        """Why the message was given, in Chinese; None when there is no such assistant message."""
        with self.db.session() as session:
            message = session.get(Message, message_id)
        audit = self.get(message_id)
        if message is None or audit is None:
            return None
        return explain_text(audit, message.content)


def explain_text(audit: AnswerAudit, content: str | None = None) -> str:
    details = audit.details
    checks = details["checks"]
    lines = [f"消息 {audit.message_id} · {audit.created_at:%Y-%m-%d %H:%M:%S} UTC"]
    if content is not None:
        lines.append(f"回答内容：{content[:200]}")
    lines.append(f"结果：{OUTCOME_LABELS.get(audit.outcome, audit.outcome)}"
                 + (f"（原因：{reason_label(audit.reason)}）" if audit.reason else ""))
    lines.append(f"判定依据：{DECIDED_BY_LABELS.get(checks.get('decided_by'), checks.get('decided_by') or '—')}"
                 + (f"，规则 {checks['rule']}" if checks.get("rule") else ""))
    lines.append(f"置信度：{audit.confidence:.3f}" if audit.confidence is not None else "置信度：—")
    lines.append(f"索引版本：第 {audit.generation} 代（{audit.collection}）" if audit.generation else "索引版本：—")
    if audit.card_id:
        lines.append(f"知识卡片：{audit.card_id}，第 {audit.card_version} 版")
    for passage in details["passages"]:
        lines.append(f"引用：{passage['title']}（{passage['id']}）")
    if checks.get("retrieved"):
        lines.append("检索候选：" + "、".join(checks["retrieved"][:5]))
    if checks.get("signals"):
        signals = checks["signals"]
        lines.append("检索信号：" + "，".join(f"{k}={v:.3f}" for k, v in signals.items()))
    lines.append(f"生成方式：{generation_text(audit, details)}")
    return "\n".join(lines)


def generation_text(audit: AnswerAudit, details: dict) -> str:
    """Who wrote the served text: the LLM (its model), or the approved text and why the LLM's was not served."""
    if audit.llm_model:
        return f"大模型 {audit.llm_model}"
    served = ("知识卡片原文" if audit.card_id else
              "政策文件原文摘录" if audit.outcome == "answered" and details["passages"] else "固定话术")
    fallback = details["checks"].get("llm_fallback")  # none: an answer of the service itself (转人工 button…)
    return f"{served}（大模型未使用：{fallback_label(fallback)}）" if fallback else f"{served}（未经大模型）"
