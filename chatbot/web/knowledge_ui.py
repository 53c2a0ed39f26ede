"""The 知识库 tab of the staff console: upload, validate, re-ingest and publish, the served index's status,
and the knowledge-gap panel (Gradio, Simplified Chinese)."""

import html
import stat
import time
from pathlib import Path

import gradio as gr

from ..errors import ChatbotError
from ..knowledge.uploads import ALLOWED_SUFFIXES
from ..publishing.admin import KnowledgeAdmin, KnowledgeStatus
from ..publishing.jobs import Job
from ..publishing.report import FILE_STATUS
from ..staff.accounts import StaffUser
from ..staff.gaps import GapReporter
from .access import StaffAccess
from .gaps_ui import build_gap_panel

EVENT_LABELS = {"published": "发布", "blocked": "拦截"}
UPLOAD_LABELS = {"saved": "已保存", "replaced": "已替换", "rejected": "已拒绝"}
JOB_WAIT_S = 3600  # the console follows a job this long; the job itself goes on regardless


def job_progress_text(job: dict) -> str:
    """One line on an ingest job: its number, state and current step (the worker writes it)."""
    progress = job["progress"]
    if job["status"] == "queued":
        step = "等待导入进程" + (f"（第 {job['attempts'] + 1} 次尝试）" if job["attempts"] else "")
    elif job["status"] == "running":
        percent = f" {progress['done'] * 100 // max(progress['total'], 1)}%" if progress["total"] else ""
        step = (progress["text"] or "开始") + percent
    elif job["status"] == "failed":
        step = job["error"] or ""
    else:
        step = "已发布" if (job["report"] or {}).get("published") else "已结束"
    return f"导入任务 #{job['id']}（{html.escape(str(job['requested_by']))}）{job['status_label']}：{html.escape(step)}"


def format_status(status: KnowledgeStatus) -> str:
    current = status.current
    lines = [f"**线上索引**：第 {current['number']} 版 · 发布于 {current.get('published_at') or '—'}"
             if current else "**线上索引**：尚未建立"]
    if status.staged:
        lines.append(f"**待发布**：第 {status.staged['number']} 版，被拦下的原因："
                     + html.escape("；".join(status.staged_blocked)))
    for entry in reversed(status.log[-5:]):
        override = f" · 强制发布（{html.escape(entry.get('override_reason', ''))}）" if entry.get("override") else ""
        lines.append(f"- {entry['time']} {EVENT_LABELS.get(entry['event'], entry['event'])} 第 {entry['generation']} 版"
                     f" · {html.escape(str(entry.get('by')))}{override}")
    if status.job:
        lines.insert(2 if status.staged else 1, f"**最近的导入任务**：{job_progress_text(status.job)}")
    return "  \n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if lines[2:] else "")


def job_outcome(job: Job) -> tuple[str, list[list]]:
    """The finished job's report as the console shows it: the text, and the changed files' rows."""
    if job.status == "failed":
        raise gr.Error(f"导入任务 #{job.id} 失败：{job.error}")
    if not job.finished:
        return f"导入任务 #{job.id} 仍在进行，稍后刷新本页查看结果。", []
    rows = [[f["path"], FILE_STATUS.get(f["status"], f["status"]), f["chunks_added"], f["chunks_deleted"],
             f["error"] or ""] for f in job.report["files"] if f["status"] != "unchanged"]
    return (job.report_text or "").replace("\n", "  \n"), rows


def read_uploaded(path, limit: int, cache: Path | None = None) -> tuple[bytes, str | None]:
    """The bytes of a file Gradio received, or why not: only a regular file inside Gradio's upload cache
    (no other path a request may name, no symbolic link), its size checked before it is read."""
    import gradio.utils

    cache = (cache or Path(gradio.utils.get_upload_folder())).resolve()
    candidate = Path(str(path))
    try:
        resolved = candidate.resolve(strict=True)
        info = candidate.lstat()
    except (OSError, RuntimeError):
        return b"", "文件不存在或已过期，请重新上传。"
    if cache not in resolved.parents or candidate.is_symlink() or not stat.S_ISREG(info.st_mode):
        return b"", "只能导入通过本页面上传的文件。"
    if info.st_size > limit:
        return b"", f"文件过大（{info.st_size / 1048576:.1f} MB），上限为 {limit / 1048576:g} MB。"
    with open(resolved, "rb") as handle:
        return handle.read(limit + 1), None


def build_knowledge_tab(console: gr.Blocks, knowledge: KnowledgeAdmin | None, access: StaffAccess,
                        gaps: GapReporter) -> None:
    def manager(request: gr.Request) -> StaffUser:
        user = access.require(request, "knowledge")
        if knowledge is None:
            raise gr.Error("未配置知识库管理。")
        return user

    def upload(paths, request: gr.Request):
        user = manager(request)
        rows = []
        for path in paths or []:
            data, problem = read_uploaded(path, int(knowledge.settings.upload_max_mb * 1024 * 1024))
            name = Path(str(path)).name
            if problem:
                rows.append([name, UPLOAD_LABELS["rejected"], "", problem])
                continue
            result = knowledge.upload(name, data, user=user.name)
            rows.append([name, UPLOAD_LABELS[result.status], result.path or "", result.error or ""])
        return rows

    def validate_files(request: gr.Request, progress=gr.Progress()):
        manager(request)
        plan = knowledge.validate(lambda done, total, text: progress(done / max(total, 1), desc=text))
        errors = [f for f in plan.files if f.status == "error"]
        text = (f"校验完成：待更新 **{len(plan.pending)}** 个文件 · 待删除 **{len(plan.deleted)}** 个 · "
                f"失败 **{len(errors)}** 个" + ("（失败的文件不会导入，线上仍保留其原有内容）" if errors else ""))
        rows = [[p.source, "待更新" if p.existed else "待新增", ""] for p in plan.pending]
        rows += [[source, "待删除", ""] for source in plan.deleted]
        rows += [[f.path, "失败", f.error] for f in errors]
        return text, rows

    def run_reingest(reason: str, request: gr.Request, progress=gr.Progress()):
        """Queue the re-ingest for the worker and follow its job row (any replica can show it)."""
        user = manager(request)
        job = knowledge.reingest(user.name, override_reason=reason or "")
        deadline = time.monotonic() + JOB_WAIT_S
        while not job.finished and time.monotonic() < deadline:
            progress(job.fraction if job.status == "running" else 0, desc=job_progress_text(job.to_api()))
            time.sleep(knowledge.settings.job_poll_s)
            job = knowledge.job(job.id) or job
        return *job_outcome(job), format_status(knowledge.status())

    def publish(reason: str, request: gr.Request):
        user = manager(request)
        if not (reason or "").strip():
            raise gr.Error("请填写强制发布的原因（将记录在案）。")
        try:
            number = knowledge.publish_staged(user.name, reason)
        except ChatbotError as error:
            raise gr.Error(str(error))
        gr.Info(f"已发布第 {number} 版索引。")
        return format_status(knowledge.status())

    def show_status(request: gr.Request):
        if knowledge is None or not access.can(request, "knowledge"):
            return ""
        return format_status(knowledge.status())

    status = gr.Markdown(elem_id="xb-kb-status")
    gr.Markdown(f"**1. 上传文件**（支持 {'、'.join(sorted(ALLOWED_SUFFIXES))}；知识卡片放入 cards/，"
                "文档放入 docs/）")
    files = gr.File(label="选择文件", file_count="multiple", type="filepath", elem_id="xb-upload")
    upload_button = gr.Button("上传", elem_id="xb-upload-button")
    upload_table = gr.Dataframe(headers=["文件", "结果", "保存位置", "原因"], interactive=False)
    gr.Markdown("**2. 校验**：先检查格式（错误会指明文件和行号），此步不写入索引。")
    validate_button = gr.Button("校验", elem_id="xb-validate")
    validate_summary = gr.Markdown(elem_id="xb-validate-summary")
    validate_table = gr.Dataframe(headers=["文件", "变更", "错误"], interactive=False)
    gr.Markdown("**3. 导入并发布**：在新索引中写入变更 → 核验旧内容已清除 → 运行评测 → 全部通过后切换线上索引。")
    override = gr.Textbox(label="评测或核验未通过仍要发布时，请填写原因（将记录在案，留空则不发布）",
                          elem_id="xb-override")
    with gr.Row():
        reingest_button = gr.Button("导入并发布", variant="primary", elem_id="xb-reingest")
        publish_button = gr.Button("发布待定版本", elem_id="xb-publish-staged")
    reingest_summary = gr.Markdown(elem_id="xb-reingest-summary")
    reingest_table = gr.Dataframe(headers=["文件", "状态", "新增片段", "删除片段", "错误"], interactive=False)
    build_gap_panel(gaps, access.require)

    console.load(show_status, None, status)
    upload_button.click(upload, files, upload_table)
    validate_button.click(validate_files, None, [validate_summary, validate_table])
    reingest_button.click(run_reingest, override, [reingest_summary, reingest_table, status])
    publish_button.click(publish, override, status)
