"""The 文件 tab: the indexed plans, uploading a new one (kept in PLANQA_HOME/uploads), deleting one.

Writing needs the admin password, and is off without one (ui/access.py says why). The server checks
it before a write takes a place in the queue (ui/serving.py); `upload` and `delete` check it again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import gradio as gr

from rag import IngestError, PlanQA, WriterBusy
from rag.store.journal import kept_name
from rag.store.library import FileStatus
from ui import render
from ui.access import WRITES_OFF, Access, AccessDenied, authorise, write_access
from ui.serving import WRITES, WriteGate
from ui.verify import VerifyTab

SAME_KIND = {".markdown": ".md", ".htm": ".html"}  # named once in the upload hint
ProgressFn = Callable[[float, str], None]


class Outcome(NamedTuple):
    """What became of a write, for `render.notice`."""

    kind: str  # ok | info | warn | error
    message: str


def document_rows(planqa: PlanQA) -> list[dict[str, Any]]:
    return [
        {
            "title": d.title,
            "issuer": d.issuer,
            "doc_number": d.doc_number,
            "date_written": d.date_written,
            "date_published": d.date_published,
            "articles": len(planqa.articles(d.doc_id)),
            "doc_file": d.doc_file,
            "doc_id": d.doc_id,
        }
        for d in planqa.documents()
    ]


def upload(planqa: PlanQA, file_path: str | None, password: str | None, progress: ProgressFn | None = None) -> Outcome:
    """Check, keep (in the uploads folder) and ingest one file; an outcome in words for every case.
    The kept copy never replaces a file already there, nor a document of the same id."""
    settings = planqa.settings
    try:
        authorise(settings, password)
    except AccessDenied as error:
        return Outcome("error", str(error))
    if not file_path:
        return Outcome("warn", "请先选择要上传的文件。")
    source = Path(file_path)
    if not source.is_file():  # also a path holding a NUL, which the OS cannot open
        return Outcome("error", "找不到上传的文件，请重新选择后再试。")
    name = kept_name(source.name)
    if refusal := _refuse(planqa, source, name):
        return refusal
    try:  # the store keeps its copy under `name` inside the write, so a crash leaves no orphan
        report = planqa.ingest([source], progress=_ingest_progress(progress))
    except WriterBusy as error:
        return Outcome("error", f"索引正被另一个进程写入，请稍后再试：{error}")
    except IngestError as error:
        return Outcome("error", f"无法索引 {name}：{error}")
    row = report.files[0]
    if row.status == FileStatus.FAILED:
        return Outcome("error", f"无法索引 {name}：{row.error}")
    if row.status == FileStatus.UNCHANGED:
        return Outcome("info", f"{name} 已在索引中，内容没有变化。")
    return Outcome(
        "ok", f"已索引《{row.title}》：{row.articles} 个条款，用时 {row.seconds:.1f} 秒。现在可以在“问答”中提问。"
    )


def _refuse(planqa: PlanQA, source: Path, name: str) -> Outcome | None:
    """Why a file may not be uploaded (type, size, the name of a bundled plan or of a document
    already indexed), or None."""
    settings = planqa.settings
    suffix = Path(name).suffix.lower()
    if suffix not in settings.ingest.extensions:
        return Outcome(
            "error",
            f"不支持的文件类型 {suffix or '（无扩展名）'}：请上传 {'、'.join(settings.ingest.extensions)} 文件。",
        )
    size_mb = source.stat().st_size / (1024 * 1024)
    if size_mb > settings.app.max_upload_mb:
        return Outcome("error", f"文件过大：{size_mb:.2f} MB，上限 {settings.app.max_upload_mb:g} MB。")
    existing = planqa.document_for_file(name)
    bundled = (settings.plans_dir / name).exists() or (
        existing is not None and (settings.plans_dir / existing.doc_file).exists()
    )
    if bundled:  # same doc id as a bundled plan: it would replace it, and a rebuild would ingest both
        return Outcome("error", f"{name} 与内置规划文件同名，请改名后再上传。")
    if existing is not None:
        kept = settings.uploads_dir / existing.doc_file
        if existing.doc_file == name and kept.is_file() and kept.read_bytes() == source.read_bytes():
            return Outcome("info", f"{name} 已在索引中，内容没有变化。")
        return Outcome(
            "error",
            f"已有同名文件 {existing.doc_file}（《{existing.title}》），为免覆盖，未上传。"
            f"要替换它，请先删除《{existing.title}》再上传；要同时保留，请改名后再上传。",
        )
    return None


def _ingest_progress(progress: ProgressFn | None) -> Callable[[str, int, int], None] | None:
    """Index progress callbacks (what, done, total) as a fraction and a Chinese caption."""
    if progress is None:
        return None

    def report(what: str, done: int, total: int) -> None:
        fraction = done / total if total else 0.0
        if what == "embedding":
            progress(fraction, f"向量化条款 {done}/{total}")
        elif what == "done":
            progress(1.0, "完成")
        else:
            progress(fraction, f"解析 {what}")

    return report


def delete(planqa: PlanQA, doc_id: str | None, password: str | None) -> Outcome:
    """Remove a document (and its uploaded original) from the index."""
    settings = planqa.settings
    try:
        authorise(settings, password)
    except AccessDenied as error:
        return Outcome("error", str(error))
    document = next((d for d in planqa.documents() if d.doc_id == doc_id), None)
    if document is None:
        return Outcome("warn", "请先选择要删除的文件（它可能已被删除）。")
    try:
        planqa.delete(document.doc_id)
    except WriterBusy as error:
        return Outcome("error", f"索引正被另一个进程写入，请稍后再试：{error}")
    kept = (
        "内置文件仍在 data/plans 中，再次运行 python -m rag ingest 时会重新加入。"
        if (settings.plans_dir / document.doc_file).exists()
        else ""
    )
    return Outcome("ok", f"已删除《{document.title}》及其全部条款。{kept}")


@dataclass
class DocumentsTab:
    table: gr.HTML
    delete_doc: gr.Dropdown | None

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.table] + ([self.delete_doc] if self.delete_doc is not None else [])

    def updates(self, planqa: PlanQA) -> list[Any]:
        """Fresh values for `outputs` after the documents changed."""
        rows = document_rows(planqa)
        fresh: list[Any] = [render.documents_table(rows)]
        if self.delete_doc is not None:
            fresh.append(gr.update(choices=[(r["title"], r["doc_id"]) for r in rows], value=None))
        return fresh


def build_documents_tab(planqa: PlanQA, verify: VerifyTab, gate: WriteGate) -> DocumentsTab:
    """The table of plans, then the upload and delete panels (or why writing is off). Writes
    refresh the table and every document picker of the 核对 tab."""
    rows = document_rows(planqa)
    table = gr.HTML(render.documents_table(rows), elem_id="documents-table")
    if write_access(planqa.settings) is Access.OFF:
        gr.HTML(render.notice(WRITES_OFF, "warn"), elem_id="writes-off")
        return DocumentsTab(table, None)
    password = gate.password_box(
        gr.Textbox(label="管理密码（上传、删除需要）", type="password", elem_id="admin-password", max_lines=1)
    )
    settings = planqa.settings
    kinds = "、".join(dict.fromkeys(SAME_KIND.get(e, e).lstrip(".") for e in settings.ingest.extensions))
    with gr.Row(equal_height=False):
        with gr.Column(min_width=300, elem_classes="panel"):
            gr.HTML(
                f'<h3 class="panel-title">上传新文件</h3><p class="panel-hint">支持 {kinds}，单个不超过 '
                f"{settings.app.max_upload_mb:g} MB。原文件会保存在数据目录中，可随时重建索引。</p>"
            )
            file = gr.File(
                file_types=list(settings.ingest.extensions), label="选择文件", elem_id="upload-file", height=120
            )
            go = gr.Button("上传并索引", variant="primary", elem_id="upload-button")
            upload_notice = gr.HTML("", elem_id="upload-notice")
        with gr.Column(min_width=300, elem_classes="panel"):
            gr.HTML(
                '<h3 class="panel-title">删除文件</h3><p class="panel-hint">删除后，该文件的全部条款将不再参与回答。</p>'
            )
            doc = gr.Dropdown(
                [(r["title"], r["doc_id"]) for r in rows], value=None, label="要删除的文件", elem_id="delete-doc"
            )
            remove = gr.Button("删除…", elem_id="delete-button")
            with gr.Group(visible=False, elem_id="delete-confirm") as confirm_box:
                confirm_text = gr.HTML("")
                with gr.Row():
                    confirm = gr.Button("确认删除", variant="stop", elem_id="delete-confirm-button", min_width=90)
                    cancel = gr.Button("取消", elem_id="delete-cancel-button", min_width=90)
            delete_notice = gr.HTML("", elem_id="delete-notice")
    tab = DocumentsTab(table, doc)
    outputs = tab.outputs + verify.pickers

    def ask_confirm(doc_id: str | None) -> tuple[Any, str, str]:
        title = next((d.title for d in planqa.documents() if d.doc_id == doc_id), None)
        if title is None:
            return gr.update(visible=False), "", render.notice("请先选择要删除的文件。", "warn")
        return (
            gr.update(visible=True),
            render.notice(f"确定删除《{title}》吗？它的全部条款将从索引中移除。", "warn"),
            "",
        )

    def do_upload(path: str | None, secret: str | None, progress: gr.Progress = gr.Progress()) -> list[Any]:
        kind, message = upload(planqa, path, secret, lambda fraction, caption: progress(fraction, desc=caption))
        cleared = gr.skip()
        if kind in ("ok", "info") and path:  # kept in uploads/: the copy Gradio received is done with
            Path(path).unlink(missing_ok=True)
            with suppress(OSError):
                Path(path).parent.rmdir()  # Gradio's folder for it, named for its content, if now empty
            cleared = None
        return [render.notice(message, kind), cleared, *tab.updates(planqa), *verify.updates(planqa, reset=False)]

    def do_delete(doc_id: str | None, secret: str | None) -> list[Any]:
        kind, message = delete(planqa, doc_id, secret)
        return [
            render.notice(message, kind),
            gr.update(visible=False),
            *tab.updates(planqa),
            *verify.updates(planqa, reset=True),
        ]

    writes = dict(api_visibility="private", concurrency_id=WRITES, concurrency_limit=1)
    go.click(do_upload, [file, password], [upload_notice, file, *outputs], **writes)
    remove.click(ask_confirm, doc, [confirm_box, confirm_text, delete_notice], api_visibility="private")
    cancel.click(lambda: gr.update(visible=False), None, confirm_box, api_visibility="private")
    confirm.click(do_delete, [doc, password], [delete_notice, confirm_box, *outputs], **writes)
    return tab
