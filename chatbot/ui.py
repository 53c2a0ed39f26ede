"""Gradio customer chat (Simplified Chinese)."""

from __future__ import annotations

import html
import uuid

from .assistant import Assistant
from .payloads import Answer

EXAMPLES = ["信用卡免息期最长多少天？", "银行卡丢了怎么挂失？", "投诉多久能有处理结果？", "理财产品保本吗？"]


def format_answer(answer: Answer) -> str:
    """The answer as Markdown with a foldable list of its sources."""
    parts = [answer.text.replace("\n", "  \n")]
    if answer.outcome == "handoff" and answer.ticket_id:
        parts.append(f"\n\n**工单号：{answer.ticket_id}**")
    if answer.citations:
        items = "".join(
            f"<li><b>{html.escape(c.title)}</b><br><small>{html.escape(c.snippet)}</small></li>"
            for c in answer.citations
        )
        parts.append(f"\n\n<details><summary>参考来源（{len(answer.citations)}）</summary><ol>{items}</ol></details>")
    return "".join(parts)


def build_ui(assistant: Assistant, bank_name: str):
    import gradio as gr

    def respond(message: str, history: list, session: str):
        turns = [{"role": m["role"], "content": _plain(m["content"])} for m in history or []]
        answer = assistant.ask(message, turns)
        return format_answer(answer)

    with gr.Blocks(title=f"{bank_name} · 消保智答") as demo:
        session = gr.State(lambda: uuid.uuid4().hex)
        gr.Markdown(f"## {bank_name} · 消保智答\n您好！我可以解答银行卡与账户、信用卡、贷款、征信、"
                    "理财保险、收费、投诉与反诈等问题。涉及您本人账户或紧急情况时，我会为您转接人工专家。")
        gr.ChatInterface(respond, additional_inputs=[session], examples=[[e] for e in EXAMPLES],
                         textbox=gr.Textbox(placeholder="请输入您的问题……", max_length=1000))
    return demo


def _plain(content) -> str:
    if isinstance(content, str):
        return content.split("<details>")[0]
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)
