"""The staff action log: who did what, when — login, claim, reply, resolve, care-fund gesture, upload,
publish, override, rule-set change, erasure. Append-only: this module only inserts and reads, and the
database refuses updates and deletes of the table (conversations/ops_models.py). Admins search and
export it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import or_, select

from ..conversations.db import Database
from ..conversations.ops_models import StaffAction
from ..pii import mask_pii
from ..spreadsheet import csv_bytes

logger = logging.getLogger(__name__)

ACTION_LABELS = {
    "login": "登录", "claim": "认领工单", "reply": "回复客户", "resolve": "解决工单", "transfer": "转交工单", "care_gesture": "使用客户关怀基金",
    "upload": "上传知识文件", "publish": "发布知识库", "override": "越过评估门槛发布", "rules_change": "修改质检规则",
    "erasure": "删除客户数据", "retention": "执行数据保留期清理", "rollback": "回滚知识库",
}
HEADERS = ["序号", "时间（UTC）", "员工", "操作", "对象", "详情"]


class StaffAuditLog:
    def __init__(self, db: Database):
        self.db = db

    def record(self, actor: str, action: str, target: str = "", **detail) -> None:
        """Append one action. Never raises into the caller's work: a failure is logged as an error."""
        try:
            with self.db.session.begin() as session:
                session.add(StaffAction(actor=actor or "unknown", action=action, target=mask_pii(str(target))[:200],
                                        detail=json.dumps(detail, ensure_ascii=False, default=str)))
        except Exception:
            logger.exception("staff action not recorded actor=%s action=%s", actor, action)

    def search(self, *, actor: str | None = None, action: str | None = None, text: str | None = None,
               since: dt.datetime | None = None, until: dt.datetime | None = None,
               limit: int = 5000) -> list[StaffAction]:
        query = select(StaffAction)
        if actor:
            query = query.where(StaffAction.actor == actor)
        if action:
            query = query.where(StaffAction.action == action)
        if text:
            pattern = f"%{text}%"
            query = query.where(or_(StaffAction.target.like(pattern), StaffAction.detail.like(pattern)))
        if since:
            query = query.where(StaffAction.at >= since)
        if until:
            query = query.where(StaffAction.at < until)
        with self.db.session() as session:
            return list(session.scalars(query.order_by(StaffAction.id.desc()).limit(limit)))

    @staticmethod
    def rows(actions: list[StaffAction]) -> list[list]:
        return [[a.id, f"{a.at:%Y-%m-%d %H:%M:%S}", a.actor, ACTION_LABELS.get(a.action, a.action), a.target,
                 a.detail] for a in actions]

    def csv(self, actions: list[StaffAction]) -> bytes:
        return csv_bytes(HEADERS, self.rows(actions))

    @staticmethod
    def as_dict(action: StaffAction) -> dict:
        return {"id": action.id, "at": action.at.isoformat(), "actor": action.actor, "action": action.action,
                "target": action.target, "detail": json.loads(action.detail or "{}")}
