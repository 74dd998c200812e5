"""The Gradio app: four tabs over one `PlanQA` (models and index loaded once), and the `/ask` API.

    from ui.app import launch
    launch(PlanQA())                 # blocks; binds settings.app.host:port (127.0.0.1:7860)

Tests start it themselves: `build_app(planqa).launch(**launch_options(settings, port=…,
prevent_thread_lock=True))`. Only `/ask` and `/ask_in_conversation` are public API; the page's own events are private. What the
server lets in, and how many of each kind of request wait, is ui/serving.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from rag.answer.llm import LLMError
from rag.api import PlanQA, UnknownDocument
from rag.query.checks import QuestionError
from rag.settings import PROJECT_DIR, Settings
from ui.chat import build_chat_tab
from ui.documents import build_documents_tab
from ui.evaltab import build_eval_tab, report_html, reports_dir_of
from ui.serving import ASK, PAGE, RequestGuard, WriteGate, allowed_hosts, gate_queue, upload_cache_schedule
from ui.verify import build_verify_tab

STYLE_FILE = Path(__file__).with_name("style.css")
TITLE = "PlanQA 规划文件问答"
# Local fonts only: the default theme asks Google Fonts, which an offline machine cannot reach.
FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif")
MONO_FONTS = ("Noto Sans Mono CJK SC", "ui-monospace", "monospace")
HEADER = """
<header class="app-header">
  <div class="app-mark">规</div>
  <div>
    <h1>PlanQA 规划文件问答</h1>
    <p>用日常的话提问政府规划文件。每个回答都标明出自哪份文件、哪一条，并附条款原文。</p>
  </div>
</header>
"""
FOOTER = '<footer class="app-footer">回答由检索到的条款原文摘录而成，仅供参考；以正式发布的文件为准。</footer>'


def theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.red,
        secondary_hue=gr.themes.colors.amber,
        neutral_hue=gr.themes.colors.stone,
        font=list(FONTS),
        font_mono=list(MONO_FONTS),
        radius_size=gr.themes.sizes.radius_md,
    )


def ask_json(planqa: PlanQA, question: str, history: list[str] | None = None) -> dict[str, Any]:
    """The `ask --json` object for a question; a bad question, or a model endpoint that failed, is an
    error with its reason (never a stack trace). `history`: earlier questions of the conversation,
    oldest first, when a follow-up ("自贡呢？") is to be read with them."""
    try:
        return planqa.ask(question, history=history or ()).to_json()
    except (QuestionError, UnknownDocument, LLMError) as error:
        raise gr.Error(str(error)) from None


def build_app(planqa: PlanQA, *, reports_dir: Path | None = None, eval_command: list[str] | None = None) -> gr.Blocks:
    """The app's Blocks. Eval reports live in PLANQA_HOME/reports; `reports_dir` and `eval_command` let
    tests use their own report and suite."""
    gate = WriteGate(planqa.settings)
    reports_dir = reports_dir or reports_dir_of(planqa.settings)
    with gr.Blocks(
        title=TITLE, analytics_enabled=False, fill_width=False, delete_cache=upload_cache_schedule(planqa.settings)
    ) as app:
        gr.HTML(HEADER, padding=False)
        with gr.Tabs(elem_id="main-tabs"):
            with gr.Tab("问答", id="chat", elem_id="tab-chat"):
                build_chat_tab(planqa)
            with gr.Tab("核对", id="verify", elem_id="tab-verify"):
                verify = build_verify_tab(planqa)
            with gr.Tab("文件", id="documents", elem_id="tab-documents"):
                documents = build_documents_tab(planqa, verify, gate)
            with gr.Tab("评测", id="eval", elem_id="tab-eval"):
                report = build_eval_tab(planqa, gate, reports_dir, eval_command)
        gr.HTML(FOOTER, padding=False)

        def ask(question: str) -> dict[str, Any]:
            """Answer a question about the plans: the same JSON object as `python -m rag ask --json`."""
            return ask_json(planqa, question)

        def ask_in_conversation(question: str, history: list[str]) -> dict[str, Any]:
            """`ask` for a question that may follow up the conversation's earlier questions (oldest first):
            "自贡呢？" after "内江的GDP目标是多少？". `/ask` stays one question in, one object out."""
            return ask_json(planqa, question, history)

        gr.api(ask, api_name="ask", concurrency_id=ASK)
        gr.api(ask_in_conversation, api_name="ask_in_conversation", concurrency_id=ASK)

        def fresh() -> list[Any]:
            """A page opened after uploads, deletions or an eval run shows things as they are now."""
            return [*documents.updates(planqa), *verify.updates(planqa, reset=True), report_html(reports_dir)]

        app.load(
            fresh, None, [*documents.outputs, *verify.pickers, report], api_visibility="private", concurrency_id=PAGE
        )
    gate_queue(app, gate)
    return app


def launch_options(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """`Blocks.launch` arguments with PlanQA's safe defaults: loopback, no share link, an upload
    size limit, nothing served from the data folder or `.env`, only the API link in the footer, and
    `RequestGuard` in front of every route (no file-serving workers beside it)."""
    options: dict[str, Any] = dict(
        server_name=settings.app.host,
        server_port=settings.app.port,
        share=False,
        max_file_size=int(settings.app.max_upload_mb * 1024 * 1024),
        app_kwargs={"middleware": [Middleware(RequestGuard, settings=settings)]},
        num_workers=0,
        allowed_paths=[],
        blocked_paths=[str(settings.home.resolve()), str(PROJECT_DIR / ".env"), str(Path.cwd() / ".env")],
        theme=theme(),
        css_paths=[STYLE_FILE],
        footer_links=["api"],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        show_error=False,
        quiet=True,
    )
    options.update(overrides)
    return options


def launch(planqa: PlanQA) -> None:
    """Serve the app until interrupted, on `settings.app.host`:`settings.app.port`."""
    settings = planqa.settings
    print(f"PlanQA: http://{settings.app.host}:{settings.app.port}/  (Ctrl+C to stop)", flush=True)
    hosts = allowed_hosts(settings.app)
    names = "any host (PLANQA_APP__ALLOWED_HOSTS=*)" if hosts is None else ", ".join(sorted(hosts))
    print(f"PlanQA answers requests naming: {names}; set PLANQA_APP__ALLOWED_HOSTS for others", flush=True)
    build_app(planqa).launch(**launch_options(settings))
