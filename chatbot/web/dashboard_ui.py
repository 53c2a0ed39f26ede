"""The console's 运营看板 tab (supervisor, admin): the 360° dashboard as Gradio native bar charts, each
with its numbers beside it (this period and the one before), and a CSV export. The formatting helpers
are pure and unit-tested; the figures come from staff/dashboard.py.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from ..conversations.handoff import reason_label
from ..staff.operations import Operations
from .access import StaffAccess

logger = logging.getLogger(__name__)

PERIODS = {"近7天": 7, "近30天": 30, "近90天": 90}
OUTCOME_LABELS = {"resolved_confirmed": "已解决（客户确认）", "resolved_assumed": "已解决（推定）",
                  "handed_off": "转人工", "abandoned": "未解决/放弃"}
PRIORITY_LABELS = {"urgent": "紧急", "high": "高", "normal": "普通"}
SERVICE_LEVELS = {"time_to_claim": "认领用时", "time_to_first_reply": "首次回复用时", "time_to_resolve": "解决用时"}
CSS = """
#xb-dashboard .xb-kpi { font-size: 0.95rem; }
#xb-dashboard table { font-size: 0.85rem; }
"""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def change(current, previous, *, rate: bool = False) -> str:
    """How a figure moved against the previous period: ↑/↓ with the difference (percentage points for rates)."""
    if current is None or previous is None or previous == "":
        return ""
    delta = current - previous
    if abs(delta) < 1e-9:
        return "持平"
    arrow = "↑" if delta > 0 else "↓"
    return f"{arrow}{abs(delta) * 100:.1f}个百分点" if rate else f"{arrow}{abs(delta):g}"


def kpi_markdown(figures: dict) -> str:
    """The headline figures, each with the previous period's value."""
    rows = [
        ("一次性解决率", "resolution", "one_time_resolution_rate", True),
        ("满意度（4–5星占比）", "satisfaction", "csat", True),
        ("评价参与率", "satisfaction", "response_rate", True),
        ("转人工率", "outcomes", "handoff_rate", True),
        ("澄清率", "outcomes", "clarification_rate", True),
        ("澄清后选择率", "outcomes", "pick_rate", True),
        ("拒答率", "outcomes", "refusal_rate", True),
        ("会话数", "resolution", "conversations", False),
        ("质检命中", "inspection", "hits", False),
    ]
    lines = ["| 指标 | 本期 | 上期 | 变化 |", "|---|---|---|---|"]
    for label, panel, key, rate in rows:
        current, previous = figures[panel]["current"].get(key), figures[panel]["previous"].get(key)
        show = percent if rate else (lambda v: "—" if v is None else str(v))
        lines.append(f"| {label} | **{show(current)}** | {show(previous)} | {change(current, previous, rate=rate)} |")
    demo = figures["resolution"]["current"].get("demo_conversations", 0)
    if demo:
        lines.append(f"\n【演示数据】本期含 {demo} 个演示会话（demo-data 命令生成）。")
    return "\n".join(lines)


def comparison_table(current: dict, previous: dict, labels: dict) -> list[list]:
    """Rows (label, this period, previous period) of a breakdown."""
    keys = list(dict.fromkeys(list(current) + list(previous)))
    return [[labels.get(k, k) if isinstance(labels, dict) else labels(k), current.get(k, 0), previous.get(k, 0)]
            for k in keys]


def bar_frame(rows: list[list], category: str = "类别") -> pd.DataFrame:
    """This period's bars of a comparison table."""
    return pd.DataFrame({category: [str(r[0]) for r in rows], "数量": [r[1] or 0 for r in rows]})


def outcome_rows(figures: dict) -> list[list]:
    current, previous = figures["resolution"]["current"], figures["resolution"]["previous"]
    return [[label, current[key], previous[key]] for key, label in OUTCOME_LABELS.items()]


def reason_rows(figures: dict) -> list[list]:
    """Hand-offs by reason, labelled as figures["labels"] says (each card hand-off by its card's title)."""
    labels = figures.get("labels", {}).get("handoff_reasons", {})
    return comparison_table(figures["outcomes"]["current"]["handoff_by_reason"],
                            figures["outcomes"]["previous"]["handoff_by_reason"], lambda r: labels.get(r) or reason_label(r))


def star_rows(figures: dict) -> list[list]:
    current, previous = figures["satisfaction"]["current"]["stars"], figures["satisfaction"]["previous"]["stars"]
    return [[f"{n}星", current.get(n, 0), previous.get(n, 0)] for n in range(5, 0, -1)]


def inspection_rows(figures: dict, labels: dict) -> list[list]:
    return comparison_table(figures["inspection"]["current"]["by_category"],
                            figures["inspection"]["previous"]["by_category"], labels)


def desk_rows(figures: dict) -> list[list]:
    current, previous = figures["desk"]["current"], figures["desk"]["previous"]
    rows = [[f"{label}（中位数/P90，分钟）", _spread(current[key]), _spread(previous[key])]
            for key, label in SERVICE_LEVELS.items()]
    rows += [[f"超时工单 · {PRIORITY_LABELS[p]}", current["overdue_by_priority"][p], previous["overdue_by_priority"][p]]
             for p in PRIORITY_LABELS]
    rows += [["新建工单", current["tickets"], previous["tickets"]],
             ["客户关怀基金使用次数", current["care_gestures"], previous["care_gestures"]]]
    return rows


def card_rows(figures: dict, key: str) -> list[list]:
    """The card's title with its id (the id alone when the card is gone)."""
    titles = figures.get("labels", {}).get("cards", {})
    return [[f"{titles[row['card']]}（{row['card']}）" if row["card"] in titles else row["card"], row["answers"],
             row["up"], row["down"]] for row in figures["cards"]["current"][key]]


def gap_rows(figures: dict) -> list[list]:
    return [[trend["label"], trend["current"], trend["previous"]] for trend in figures.get("gap_trends", [])]


def _spread(spread: dict) -> str:
    return "—" if not spread["count"] else f"{spread['median']:g} / {spread['p90']:g}（{spread['count']}）"


COMPARE = ["项目", "本期", "上期"]
CARD_HEADERS = ["知识卡片", "回答次数", "点赞", "点踩"]


def build_dashboard_tab(operations: Operations, access: StaffAccess) -> None:
    def refresh(period: str, request: gr.Request):
        access.require(request, "dashboard")
        figures = operations.dashboard.figures(PERIODS.get(period, 7))
        labels = {c: operations.inspector.category_label(c) for c in
                  set(figures["inspection"]["current"]["by_category"]) | set(figures["inspection"]["previous"]["by_category"])}
        outcomes, reasons, stars = outcome_rows(figures), reason_rows(figures), star_rows(figures)
        inspection, gaps = inspection_rows(figures, labels), gap_rows(figures)
        export = Path(tempfile.mkdtemp(prefix="xb-dashboard-")) / f"dashboard-{PERIODS.get(period, 7)}d.csv"
        export.write_bytes(operations.dashboard.csv(figures))
        return (kpi_markdown(figures), bar_frame(outcomes, "结果"), outcomes, bar_frame(reasons, "原因"), reasons,
                bar_frame(stars, "星级"), stars, card_rows(figures, "most_used"), card_rows(figures, "most_disliked"),
                desk_rows(figures), bar_frame(inspection, "质检类别"), inspection, bar_frame(gaps, "问题簇"), gaps,
                str(export))

    with gr.Column(elem_id="xb-dashboard"):
        with gr.Row():
            period = gr.Radio(list(PERIODS), value="近7天", label="统计周期（与上一周期对比）", scale=3)
            load = gr.Button("刷新看板", variant="primary", scale=1, elem_id="xb-dashboard-refresh")
            export = gr.File(label="导出 CSV（Excel 可直接打开）", interactive=False, scale=2, elem_id="xb-dashboard-csv")
        kpis = gr.Markdown(elem_classes="xb-kpi", elem_id="xb-kpis")
        with gr.Row():
            outcome_plot = gr.BarPlot(x="结果", y="数量", title="会话结果（一次性解决）", height=260, scale=3, y_lim=[0, None],
                                      elem_id="xb-plot-outcomes")
            outcome_table = gr.Dataframe(headers=COMPARE, interactive=False, scale=2)
        with gr.Row():
            reason_plot = gr.BarPlot(x="原因", y="数量", title="转人工原因", height=260, scale=3, y_lim=[0, None], x_label_angle=-30,
                                     elem_id="xb-plot-reasons")
            reason_table = gr.Dataframe(headers=COMPARE, interactive=False, scale=2)
        with gr.Row():
            star_plot = gr.BarPlot(x="星级", y="数量", title="满意度评价分布", height=240, scale=3, y_lim=[0, None],
                                   elem_id="xb-plot-stars")
            star_table = gr.Dataframe(headers=COMPARE, interactive=False, scale=2)
        with gr.Row():
            used = gr.Dataframe(headers=CARD_HEADERS, label="使用最多的卡片", interactive=False)
            disliked = gr.Dataframe(headers=CARD_HEADERS, label="点踩最多的卡片", interactive=False)
        desk = gr.Dataframe(headers=COMPARE, label="人工服务水平", interactive=False)
        with gr.Row():
            inspection_plot = gr.BarPlot(x="质检类别", y="数量", title="智能质检命中", height=240, scale=3, y_lim=[0, None],
                                         elem_id="xb-plot-inspection")
            inspection_table = gr.Dataframe(headers=COMPARE, interactive=False, scale=2)
        with gr.Row():
            gap_plot = gr.BarPlot(x="问题簇", y="数量", title="知识缺口：主要问题簇", height=240, scale=3, y_lim=[0, None],
                                  x_label_angle=-20, elem_id="xb-plot-gaps")
            gap_table = gr.Dataframe(headers=COMPARE, interactive=False, scale=2)
    outputs = [kpis, outcome_plot, outcome_table, reason_plot, reason_table, star_plot, star_table, used, disliked,
               desk, inspection_plot, inspection_table, gap_plot, gap_table, export]
    load.click(refresh, period, outputs)
    period.change(refresh, period, outputs)
