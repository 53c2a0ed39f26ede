"""The ingest report as plain Chinese text for knowledge managers (`ingest.py` prints it, the console
shows it)."""

from __future__ import annotations

FILE_STATUS = {"added": "新增", "updated": "更新", "deleted": "删除", "unchanged": "未变", "error": "失败"}


def format_report(summary: dict) -> str:
    """The ingest report as plain Chinese text (`ingest.py` prints it, the console shows it)."""
    lines = [f"新增 {summary['added']}，更新 {summary['updated']}，删除 {summary['deleted']}，"
             f"未变 {summary['skipped']}，失败 {len(summary['errors'])} 个文件"]
    for item in summary["files"]:
        label = FILE_STATUS.get(item["status"], item["status"])
        extra = f" — {item['error']}" if item["error"] else f"（片段 +{item['chunks_added']} −{item['chunks_deleted']}）"
        lines.append(f"  {label}：{item['path']}{extra}")
    for item in summary["archived"]:
        lines.append(f"  存档：{item['id']} 第 {item['version']} 版（已被取代，仅供审计查询）")
    for probe in summary["probe"]:
        # Only stale content blocks a publish; a phrasing that another card answers is worth a look.
        if not probe["old_gone"]:
            verdict = "未通过（旧内容仍可检索）"
        elif probe["new_answered"] is False:
            verdict = "通过（旧内容已清除；部分问法由其他卡片回答，请留意）"
        else:
            verdict = "通过"
        removed = f"；已清除：“{probe['removed'][0][:60]}”" if probe["removed"] else ""
        lines.append(f"  旧内容核验 {verdict}：{probe['item_id'] or probe['source']} — {probe['detail']}{removed}")
    evaluation = summary["evaluation"]
    if evaluation:
        previous, current = evaluation["previous"] or {}, evaluation["current"]
        lines.append("  评测（上次 → 本次）：" + "，".join(
            f"{name} {_figure(previous.get(name))} → {_figure(current.get(name))}"
            for name in ("outcome", "facts", "hit@1", "hit@3")))
    if summary["generation"] is None:
        lines.append("没有需要写入的变更，当前索引保持不变。")
    elif summary["published"]:
        note = f"（强制发布：{summary['override']['by']}，原因：{summary['override']['reason']}）" \
            if summary["override"] else ""
        lines.append(f"已发布第 {summary['generation']} 版索引{note}。")
    else:
        lines.append(f"第 {summary['generation']} 版索引未发布，线上仍使用原索引：" + "；".join(summary["blocked"]))
        lines.append("确认无误后可运行：python ingest.py --publish-staged --override \"原因\"")
    return "\n".join(lines)


def _figure(value) -> str:
    return "—" if value is None else f"{value:.3f}"
