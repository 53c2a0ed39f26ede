"""The knowledge-gap panel of the staff console's 知识库 tab (Gradio, Simplified Chinese).

No `from __future__ import annotations` here: Gradio passes `gr.Request` to a handler by reading its
annotations at run time, which must therefore be real objects, not strings.
"""

import html
import tempfile
from pathlib import Path

from ..staff.gap_drafts import draft_card
from ..staff.gaps import GapReport, GapReporter

GAP_HEADERS = ["排名", "代表问题", "提问次数", "会话数", "类型", "示例问题", "最近出现", "最接近的知识卡片"]


def gap_rows(report: GapReport, reporter: GapReporter | None = None) -> list[list]:
    """One table row per cluster, ranked; times in the office time zone when a reporter is given."""
    zone = reporter.zone if reporter else None
    rows = []
    for rank, cluster in enumerate(report.clusters, start=1):
        card = (f"{cluster.nearest_card_title}（{cluster.nearest_card_id}，{cluster.nearest_card_score:.2f}）"
                if cluster.nearest_card_id else "无")
        last = cluster.to_dict(zone)["last_seen"].replace("T", " ")[:16]
        rows.append([rank, cluster.label, cluster.count, cluster.sessions, cluster.kinds_text(),
                     " ｜ ".join(cluster.examples[1:]) or "—", last, card])
    return rows


def gap_summary(report: GapReport, since_days: float | None) -> str:
    period = f"最近 {since_days:g} 天" if since_days else "全部记录"
    if not report.clusters:
        return f"{period}没有低置信转人工、超出范围或被点踩的问题。"
    return (f"{period}：**{report.questions}** 个未能解决的问题，归为 **{len(report.clusters)}** 个问题簇"
            f"（按提问次数排序；相似度阈值 {report.threshold}）。")


def cluster_choices(report: GapReport) -> list[tuple[str, str]]:
    return [(f"{rank}. {cluster.label}（{cluster.count}次）", cluster.id)
            for rank, cluster in enumerate(report.clusters, start=1)]


def build_gap_panel(reporter: GapReporter, authorize) -> None:
    """Inside an open Gradio Blocks/Tab. `authorize(request, permission)` raises gr.Error when refused."""
    import gradio as gr

    def generate(since_days, request: gr.Request):
        authorize(request, "knowledge")
        days = float(since_days or 0) or None
        report = reporter.report(since_days=days)
        folder = Path(tempfile.mkdtemp(prefix="xiaobao-gaps-"))  # Gradio serves files from the temp dir
        csv_path = folder / f"知识缺口报告-{report.until:%Y%m%d-%H%M}.csv"
        csv_path.write_bytes(reporter.to_csv(report))
        choices = cluster_choices(report)
        return (gap_summary(report, days), gap_rows(report, reporter), str(csv_path),
                gr.update(choices=choices, value=choices[0][1] if choices else None), report)

    def draft(cluster_id, report, request: gr.Request):
        authorize(request, "knowledge")
        cluster = report.cluster(cluster_id) if report and cluster_id else None
        if cluster is None:
            raise gr.Error("请先生成缺口报告，并选择一个问题簇。")
        written = draft_card(reporter, cluster)
        try:
            shown = written.path.relative_to(reporter.settings.knowledge_dir.parent)
        except ValueError:
            shown = written.path
        note = (f"**【已保存】** 卡片草稿已保存到 `{html.escape(str(shown))}`。草稿目录不会被导入："
                "请填写标准答案、核对主题与来源后移到 `knowledge/cards/`，再重新导入知识库。")
        return note, written.text

    gr.Markdown("### 知识缺口报告\n低置信转人工、超出范围、被客户点踩的问题，按语义归类、按提问次数排序。")
    report_state = gr.State(None)
    with gr.Row():
        since = gr.Number(label="统计最近天数（0 = 全部）", value=30, minimum=0, precision=0, elem_id="xb-gap-days")
        generate_button = gr.Button("生成缺口报告", variant="primary", elem_id="xb-gap-generate")
    summary = gr.Markdown(elem_id="xb-gap-summary")
    table = gr.Dataframe(headers=GAP_HEADERS, interactive=False, wrap=True, elem_id="xb-gap-table",
                         column_widths=["6%", "24%", "7%", "7%", "13%", "21%", "10%", "12%"])
    csv_file = gr.File(label="下载 CSV（Excel 可直接打开）", interactive=False, elem_id="xb-gap-csv")
    with gr.Row():
        cluster = gr.Dropdown(label="问题簇", choices=[], elem_id="xb-gap-cluster")
        draft_button = gr.Button("从该问题簇起草知识卡片", elem_id="xb-gap-draft")
    draft_note = gr.Markdown(elem_id="xb-gap-draft-note")
    draft_yaml = gr.Code(label="卡片草稿（YAML）", language="yaml", interactive=False, elem_id="xb-gap-draft-yaml")

    generate_button.click(generate, since, [summary, table, csv_file, cluster, report_state])
    draft_button.click(draft, [cluster, report_state], [draft_note, draft_yaml])
