"""The console's 智能质检 tab (report: compliance, supervisor, admin; rules: compliance, admin) and 操作日志
tab (admin): filters, tables and CSV exports; the rules are edited as YAML and every save is a version."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import gradio as gr

from ..conversations.models import utcnow
from ..errors import ConfigError
from ..quality.inspector import REPORT_HEADERS, ROLE_LABELS
from ..staff.audit import ACTION_LABELS, HEADERS as AUDIT_HEADERS
from ..staff.operations import Operations
from .access import StaffAccess

DAYS = {"近7天": 7, "近30天": 30, "近90天": 90, "近一年": 365}
ALL = "全部"


def export_file(data: bytes, name: str) -> str:
    path = Path(tempfile.mkdtemp(prefix="xiaobao-ops-")) / name  # Gradio serves files from the temp dir
    path.write_bytes(data)
    return str(path)


def versions_markdown(operations: Operations) -> str:
    in_force = operations.inspector.current()
    lines = [f"当前生效：**第 {in_force.version} 版**" + ("（系统内置）" if in_force.version == 0 else "")]
    lines += [f"- 第 {v.version} 版 · {v.created_at:%Y-%m-%d %H:%M} UTC · {v.author}" + (f" · {v.note}" if v.note else "")
              for v in operations.inspector.versions()[:10]]
    return "\n".join(lines)


def build_inspection_tab(operations: Operations, access: StaffAccess) -> None:
    inspector = operations.inspector

    def categories() -> list[tuple[str, str]]:
        return [(ALL, "")] + [(c.label, key) for key, c in inspector.current().rules.categories.items()]

    def report(days: str, category: str, role: str, ticket: str, request: gr.Request):
        access.require(request, "inspection")
        since = utcnow() - dt.timedelta(days=DAYS.get(days, 30))
        hits = inspector.hits(since=since, category=category or None, role=role or None,
                              ticket_id=(ticket or "").strip() or None)
        counts = {}
        for hit in hits:
            counts[inspector.category_label(hit.category)] = counts.get(inspector.category_label(hit.category), 0) + 1
        summary = f"共 **{len(hits)}** 条命中" + ("：" + "，".join(f"{k} {v}" for k, v in counts.items()) if counts else "")
        return summary, inspector.rows(hits), export_file(inspector.csv(hits), f"质检报告-{utcnow():%Y%m%d-%H%M}.csv")

    def load_rules(request: gr.Request):
        access.require(request, "inspection")
        return inspector.current().text, versions_markdown(operations)

    def save_rules(text: str, note: str, request: gr.Request):
        user = access.require(request, "rules")
        try:
            version = operations.save_rules(text, user.name, note or "")
        except ConfigError as error:
            raise gr.Error(str(error))
        gr.Info(f"质检规则已保存为第 {version} 版，立即生效。")
        return versions_markdown(operations)

    with gr.Row():
        days = gr.Dropdown(list(DAYS), value="近30天", label="时间范围")
        category = gr.Dropdown(categories(), value="", label="类别", elem_id="xb-inspection-category")
        role = gr.Dropdown([(ALL, "")] + [(label, key) for key, label in ROLE_LABELS.items()], value="", label="发言方")
        ticket = gr.Textbox(label="工单号（选填）")
        run = gr.Button("生成质检报告", variant="primary", elem_id="xb-inspection-run")
    summary = gr.Markdown(elem_id="xb-inspection-summary")
    table = gr.Dataframe(headers=REPORT_HEADERS, interactive=False, wrap=True, elem_id="xb-inspection-table")
    csv_file = gr.File(label="下载 CSV（Excel 可直接打开）", interactive=False)
    with gr.Accordion("质检规则（YAML，合规专员或管理员可编辑，每次保存为新版本）", open=False):
        versions = gr.Markdown()
        rules = gr.Code(language="yaml", lines=20, label="规则", interactive=True, elem_id="xb-rules")
        note = gr.Textbox(label="修改说明")
        with gr.Row():
            reload = gr.Button("载入当前规则")
            save = gr.Button("保存为新版本", variant="primary", elem_id="xb-rules-save")
    run.click(report, [days, category, role, ticket], [summary, table, csv_file])
    reload.click(load_rules, None, [rules, versions])
    save.click(save_rules, [rules, note], versions)


def build_audit_tab(operations: Operations, access: StaffAccess) -> None:
    def search(days: str, actor: str, action: str, text: str, request: gr.Request):
        access.require(request, "audit")
        found = operations.audit.search(actor=(actor or "").strip() or None, action=action or None,
                                        text=(text or "").strip() or None,
                                        since=utcnow() - dt.timedelta(days=DAYS.get(days, 30)))
        return (f"共 **{len(found)}** 条记录（只增不改，任何人都无法修改或删除）", operations.audit.rows(found),
                export_file(operations.audit.csv(found), f"操作日志-{utcnow():%Y%m%d-%H%M}.csv"))

    with gr.Row():
        days = gr.Dropdown(list(DAYS), value="近30天", label="时间范围")
        actor = gr.Textbox(label="员工")
        action = gr.Dropdown([(ALL, "")] + [(label, key) for key, label in ACTION_LABELS.items()], value="",
                             label="操作")
        text = gr.Textbox(label="关键词（对象或详情）")
        run = gr.Button("查询", variant="primary", elem_id="xb-audit-run")
    summary = gr.Markdown()
    table = gr.Dataframe(headers=AUDIT_HEADERS, interactive=False, wrap=True, elem_id="xb-audit-table")
    csv_file = gr.File(label="下载 CSV", interactive=False)
    run.click(search, [days, actor, action, text], [summary, table, csv_file])


def ticket_panel(operations: Operations, session_id: str) -> str:
    """What operations add to the ticket view (HTML, escaped): the 质检 flags, the customer's rating, and
    why each answer of the assistant was given (the audit trail)."""
    import html

    from ..conversations.survey import stars_text
    from ..conversations.trail import explain_text

    hits = operations.inspector.hits(session_id=session_id)
    parts = ["<div class='xb-ops'>"]
    if hits:
        items = "".join(f"<li>【{html.escape(operations.inspector.category_label(h.category))}】"
                        f"{html.escape(operations.inspector.rule_label(h.rule_id))} · {ROLE_LABELS.get(h.role, h.role)}"
                        f" · “{html.escape(h.excerpt)}”</li>" for h in hits)
        parts.append(f"<p><b>质检标记（{len(hits)}）</b></p><ul class='xb-flags'>{items}</ul>")
    else:
        parts.append("<p><b>质检标记</b>：无</p>")
    survey = operations.surveys.get(session_id)
    parts.append(f"<p><b>客户评价</b>：{stars_text(survey.stars)}（{survey.stars}星）"
                 f"{'，' + html.escape(survey.comment) if survey.comment else ''}</p>" if survey
                 else "<p><b>客户评价</b>：尚未评价</p>")
    for message_id, audit in sorted(operations.trail.for_session(session_id).items()):
        parts.append(f"<details class='xb-explain'><summary>回答 {message_id} 的依据</summary>"
                     f"<pre>{html.escape(explain_text(audit))}</pre></details>")
    return "".join(parts) + "</div>"
