"""A knowledge-card draft from a gap cluster, for a knowledge manager to finish.

Drafts are written to `knowledge/_drafts/`, which ingest skips (directories starting with `_`). The
answer is a marked placeholder that the card schema rejects (`schema.DRAFT_PLACEHOLDER`), so a draft
moved to `cards/` unfinished fails ingest with its path instead of reaching customers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..schema import DRAFT_PLACEHOLDER, Card
from .gaps import GapCluster, GapReporter

logger = logging.getLogger(__name__)

DRAFTS_DIR = "_drafts"
PLACEHOLDER_ANSWER = f"{DRAFT_PLACEHOLDER}请知识管理员依据制度条款撰写标准答案（1–4句，简体中文），并核对来源条款。"
MAX_SIMILAR = 10


@dataclass(frozen=True)
class CardDraft:
    card_id: str
    path: Path
    text: str


def draft_fields(cluster: GapCluster, nearest: Card | None, *, today: dt.date | None = None) -> dict:
    """The card's fields in file order. The topic is the cluster's guess from its nearest cards; risk tier
    and sources are the nearest card's, to be checked."""
    base_id = "card-draft-" + cluster.id.removeprefix("gap-")
    return {
        "id": base_id,
        "title": _title(cluster.label),
        "topic": cluster.guessed_topic or (nearest.topic if nearest else ""),
        "kind": "answer",
        "question": cluster.label,
        "similar_questions": cluster.questions[1:1 + MAX_SIMILAR],
        "not_answered": [],
        "answer": PLACEHOLDER_ANSWER,
        "sources": [ref.model_dump() for ref in nearest.sources] if nearest else [],
        "risk_tier": nearest.risk_tier if nearest else "medium",
        "priority": None,  # hand-off cards only (a draft answers)
        "effective_date": today or dt.date.today(),
        "effective_to": None,
        "version": 1,
        "tags": ["知识缺口"],
        "reminders": [],
    }


def draft_card(reporter: GapReporter, cluster: GapCluster) -> CardDraft:
    """Write a card draft for a cluster of the reporter's report, next to its nearest card's fields."""
    return write_draft(cluster, reporter.settings.knowledge_dir, nearest=reporter.nearest_card(cluster))


def write_draft(cluster: GapCluster, knowledge_dir: Path, *, nearest: Card | None = None,
                today: dt.date | None = None) -> CardDraft:
    """Write `<knowledge_dir>/_drafts/<id>.yaml`; an existing file is never replaced (the id gets -2, -3…)."""
    fields = draft_fields(cluster, nearest, today=today)
    folder = Path(knowledge_dir) / DRAFTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    base_id = fields["id"]
    for attempt in range(1, 1000):
        card_id = base_id if attempt == 1 else f"{base_id}-{attempt}"
        fields["id"] = card_id  # the file name must stay the card id
        text = _header(cluster, nearest) + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=100)
        path = folder / f"{card_id}.yaml"
        try:
            # "x": created only if absent, atomically, so two managers cannot overwrite each other.
            with open(path, "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        logger.info("card draft written path=%s cluster=%s", path, cluster.id)
        return CardDraft(card_id, path, text)
    raise FileExistsError(f"too many drafts for {base_id} in {folder}")


def _title(label: str) -> str:
    title = label.strip().rstrip("？?。！!")
    return title if len(title) <= 20 else title[:20] + "…"


def _header(cluster: GapCluster, nearest: Card | None) -> str:
    kinds = cluster.kinds_text()
    lines = [
        "# 知识卡片草稿（由知识缺口报告生成，尚未生效：_drafts 目录不会被导入）",
        f"# 问题簇 {cluster.id}：提问 {cluster.count} 次，{cluster.sessions} 个会话；{kinds}",
        f"# 首次出现 {cluster.first_seen:%Y-%m-%d}，最近出现 {cluster.last_seen:%Y-%m-%d}（UTC）",
        "# 发布前请：1) 撰写 answer（标准答案）；2) 核对 topic（按最接近的卡片推测）、sources 与 risk_tier（沿用最接近的卡片）；",
        "#          3) 补足至少3条 similar_questions；4) 移到 knowledge/cards/，文件名与 id 一致，再运行 python ingest.py。",
    ]
    if nearest:
        lines.append(f"# 最接近的现有卡片：{nearest.id}（{nearest.title}）——也可考虑把这些问题补充到该卡片的相似问中；")
        lines.append("#          若该卡片的答案并不回答这些问题，可把它们补充到该卡片的 not_answered，以免客户被它误答。")
    else:
        lines.append("# 没有找到相近的现有卡片：请选择 topic 并填写 sources。")
    return "\n".join(lines) + "\n\n"
