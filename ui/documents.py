"""The 文件 tab: the indexed plans, uploading a new one (kept in PLANQA_HOME/uploads), deleting one.

Writing needs the admin password, and is off without one (ui/access.py says why). The server checks
it before a write takes a place in the queue (ui/serving.py); `upload` and `delete` check it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
BUSY = "索引正被另一个进程写入，请稍后再试。"
# Why ingest refused a file, in the page's language: keyed by `IngestError.reason` (the keys of
# ingest.loaders.REFUSALS, and "lookalike" from rag.store.lookalikes), whose own wording is English
# for the command line. A reason not listed gets CANNOT_PARSE.
INGEST_REASONS = {
    "missing": "找不到该文件。",
    "unsupported": "不支持这种文件类型。",
    "empty": "文件是空的，没有可索引的内容。",
    "blank": "文件中只有空白，没有可索引的内容。",
    "no_text": "文件中没有找到文字，没有可索引的内容。",
    "too_big": "文件超过了解析的大小上限，请拆分后再上传。",
    "too_long": "文件字数超过了上限，请拆分后再上传。",
    "too_many_articles": "文件的条款数超过了上限，请拆分后再上传。",
    "binary": "这像是二进制文件，不是文字，请检查文件类型。",
    "misnamed": "文件内容与扩展名不符，请改用正确的扩展名后再上传。",
    "foreign": "这不是文字文件，请另存为 DOCX 或纯文本后再上传。",
    "pdf_encrypted": "PDF 已加密，请另存一份未加密的副本后再上传。",
    "pdf_scanned": "PDF 没有文字层（可能是扫描件），请先做文字识别（OCR）。",
    "pdf_truncated": "PDF 不完整（缺少文件结尾），请重新下载或导出。",
    "pdf_broken": "PDF 已损坏或无法读取，请重新打开并另存后再上传。",
    "pdf_fonts": "PDF 的字体编码无法解码，请另存为 DOCX 或纯文本后再上传。",
    "pdf_pages": "PDF 页数超过了上限，请拆分后再上传。",
    "docx_broken": "DOCX 已损坏或无法读取，请在 Word 中重新保存后再上传。",
    "timeout": "解析超时，已停止，请拆分文件后再上传。",
    "crashed": "解析程序在该文件上出错，请另存为 DOCX 或纯文本后再上传。",
    "html_deep": "网页标签嵌套过深，请把网页文字另存为 .txt 后再上传。",
    "memory": "解析所需内存超过了上限，请拆分文件后再上传。",
    "unreadable": "文件无法读取，请另存为 DOCX 或纯文本后再上传。",
    "no_articles": "清理后没有可索引的正文，请确认文件中是文件本身的文字。",
    "lookalike": "文件名或标题与已有文件几乎相同（可能是副本或仿冒），请改名，或先删除那份文件再上传。",
}
CANNOT_PARSE = "文件无法解析，请另存为 DOCX 或纯文本后再上传。"
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
    except WriterBusy:
        return Outcome("error", BUSY)
    except IngestError as error:
        return Outcome("error", f"无法索引 {name}：{INGEST_REASONS.get(error.reason, CANNOT_PARSE)}")
    row = report.files[0]
    if row.status == FileStatus.FAILED:
        return Outcome("error", f"无法索引 {name}：{INGEST_REASONS.get(row.reason, CANNOT_PARSE)}")
    if row.status == FileStatus.UNCHANGED:
        return Outcome("info", f"{name} 已在索引中，内容没有变化。")
    return Outcome(
        "ok", f"已索引《{row.title}》：{row.articles} 个条款，用时 {row.seconds:.1f} 秒。现在可以在“问答”中提问。"
    )


def wrong_type(suffix: str, extensions: Sequence[str]) -> str:
    """The message refusing a file of type `suffix` (the server's, and the page's before any upload)."""
    return f"不支持的文件类型 {suffix or '（无扩展名）'}：请上传 {'、'.join(extensions)} 文件。"


# A file of a type not accepted is refused in the page, before it is sent, in Chinese: Gradio's own
# check (`file_types`) pops up in English, and the server's refusal (HTTP 415) shows as an English
# "Error". Capturing listeners on the document run before the upload box's own.
UPLOAD_CHECK_JS = """
if (!window.planqaUploadCheck) {
  window.planqaUploadCheck = true;
  const allowed = __EXTENSIONS__;
  const template = __MESSAGE__;
  const refused = (files) => [...(files || [])].map((f) => {
    const dot = f.name.lastIndexOf('.');
    return dot > 0 ? f.name.slice(dot).toLowerCase() : '';
  }).find((suffix) => !allowed.includes(suffix));
  const say = (suffix) => {
    const box = document.querySelector('#upload-notice .prose') || document.querySelector('#upload-notice');
    const note = document.createElement('div');
    note.className = 'notice notice-error';
    note.setAttribute('role', 'status');
    note.textContent = template.replace('__SUFFIX__', suffix || '（无扩展名）');
    if (box) box.replaceChildren(note);
  };
  const check = (event, files) => {
    if (!event.target.closest || !event.target.closest('#upload-file')) return;
    const suffix = refused(files);
    if (suffix === undefined) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.target.type === 'file') event.target.value = '';
    say(suffix);
  };
  document.addEventListener('change', (event) => check(event, event.target.files), true);
  document.addEventListener('drop', (event) => check(event, event.dataTransfer?.files), true);
}
"""


def upload_check_js(extensions: Sequence[str]) -> str:
    """UPLOAD_CHECK_JS for these extensions, with the server's wording."""
    message = wrong_type("__SUFFIX__", extensions)
    return UPLOAD_CHECK_JS.replace("__EXTENSIONS__", json.dumps(list(extensions))).replace(
        "__MESSAGE__", json.dumps(message, ensure_ascii=False)
    )


def _refuse(planqa: PlanQA, source: Path, name: str) -> Outcome | None:
    """Why a file may not be uploaded (type, size, the name of a bundled plan or of a document
    already indexed), or None."""
    settings = planqa.settings
    suffix = Path(name).suffix.lower()
    if suffix not in settings.ingest.extensions:
        return Outcome("error", wrong_type(suffix, settings.ingest.extensions))
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
    except WriterBusy:
        return Outcome("error", BUSY)
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
            # No `file_types`: Gradio's own check of them pops up in English; the server says it in Chinese.
            file = gr.File(label="选择文件", elem_id="upload-file", height=120)
            go = gr.Button("上传并索引", variant="primary", elem_id="upload-button")
            upload_notice = gr.HTML("", elem_id="upload-notice", js_on_load=upload_check_js(settings.ingest.extensions))
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
