"""The 核对 tab: staff search clauses, read a plan by its outline, and compare two plans on a topic."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import gradio as gr

from rag.api import PlanQA, UnknownDocument
from rag.query.checks import QuestionError
from rag.search.keyword import tokenize
from ui import render
from ui.serving import PAGE

ALL_DOCUMENTS = "全部文件"
SEARCH_K = 5  # hits shown by default: a screenful, each with its whole clause
MAX_SEARCH_K = 30
COMPARE_K = 3  # clauses per plan side by side
# Fused scores are scaled so a search's best hit is near 1; a clause under this share of it is marked
# 相关度低 (on the bundled plans such clauses share a word with the topic, not the topic: 0.14, 0.09).
WEAK_MATCH_SCORE = 0.3
SAME_DOCUMENT = "请选择两份不同的文件进行对照。"
PHONE_MAX_WIDTH = 700  # px: below this the outline and the article stack
MODE_CHOICES = [("混合", "hybrid"), ("关键词", "keyword"), ("语义", "dense")]

# Clicks on outline items become an `open_article` event carrying the item's ids. One listener on
# the component survives re-rendering the outline when another document is picked.
OUTLINE_JS = """
element.addEventListener('click', (event) => {
  const item = event.target.closest('[data-chunk]');
  if (!item) return;
  event.preventDefault();
  element.querySelectorAll('.ol-item.active').forEach((li) => li.classList.remove('active'));
  item.parentElement.classList.add('active');
  trigger('open_article', {chunk: item.dataset.chunk});
});
"""

# On a phone the article opens below the long outline: bring it into view.
SHOW_ARTICLE_JS = f"""
() => {{
  if (window.innerWidth <= {PHONE_MAX_WIDTH}) document.querySelector('#article-view')?.scrollIntoView({{behavior: 'smooth'}});
}}
"""


@dataclass
class VerifyTab:
    """The document pickers, which must follow uploads and deletions."""

    search_doc: gr.Dropdown
    outline_doc: gr.Dropdown
    compare_a: gr.Dropdown
    compare_b: gr.Dropdown

    @property
    def pickers(self) -> list[gr.Dropdown]:
        return [self.search_doc, self.outline_doc, self.compare_a, self.compare_b]

    def updates(self, planqa: PlanQA, *, reset: bool) -> list[Any]:
        """New choices for `pickers`; with `reset`, their starting values too (a picked document
        may be gone)."""
        choices = document_choices(planqa)
        defaults = ["", *_defaults(choices)]
        lists = [[(ALL_DOCUMENTS, "")] + choices, choices, choices, choices]
        if not reset:
            return [gr.update(choices=c) for c in lists]
        return [gr.update(choices=c, value=v) for c, v in zip(lists, defaults)]


def _defaults(choices: list[tuple[str, str]]) -> tuple[str | None, str | None, str | None]:
    """Starting documents of the outline and the comparison (the first two plans)."""
    first = choices[0][1] if choices else None
    second = choices[1][1] if len(choices) > 1 else first
    return first, first, second


def document_choices(planqa: PlanQA) -> list[tuple[str, str]]:
    return [(d.title, d.doc_id) for d in planqa.documents()]


def search(planqa: PlanQA, query: str, mode: str, doc_id: str, k: float) -> tuple[str, str]:
    """Summary line and hit cards for a clause search."""
    query = (query or "").strip()
    if not query:
        return render.notice("请输入要检索的词句。", "warn"), ""
    try:
        hits = planqa.search(query, k=int(k), doc=doc_id or None, mode=mode)
    except (QuestionError, UnknownDocument) as error:
        return render.notice(str(error), "error"), ""
    scope = next((title for title, value in document_choices(planqa) if value == doc_id), ALL_DOCUMENTS)
    terms = tokenize(query, planqa.settings.retrieval.tokenizer)
    cards = render.hit_cards(hits, terms, show_doc=not doc_id, weak_below=WEAK_MATCH_SCORE)
    return render.search_summary(len(hits), mode, scope), cards


def outline(planqa: PlanQA, doc_id: str) -> tuple[str, str]:
    """The outline of a document, and the article pane reset."""
    document = next((d for d in planqa.documents() if d.doc_id == doc_id), None)
    if document is None:
        return render.notice("请选择一份文件。", "info"), render.ARTICLE_PLACEHOLDER
    return render.outline(document.title, planqa.articles(doc_id)), render.ARTICLE_PLACEHOLDER


def open_article(planqa: PlanQA, doc_id: str, chunk_id: str) -> str:
    """An article of the outline in full, with its offsets."""
    article = next((a for a in planqa.articles(doc_id) if a.chunk_id == chunk_id), None)
    if article is None:
        return render.notice("该条款已不在索引中（文件可能已被更新或删除），请重新选择文件。", "warn")
    return render.article_view(article, planqa.article_text(article))


def compare(planqa: PlanQA, topic: str, doc_a: str, doc_b: str) -> tuple[str, str]:
    """The best clauses of each plan on a topic, side by side."""
    topic = (topic or "").strip()
    if not topic:
        return render.notice("请输入要对照的主题。", "warn"), ""
    if not doc_a or not doc_b:
        return render.notice("请选择两份文件。", "warn"), ""
    if doc_a == doc_b:
        return render.notice(SAME_DOCUMENT, "warn"), ""
    try:
        found = planqa.compare(topic, [doc_a, doc_b], k=COMPARE_K)
    except (QuestionError, UnknownDocument) as error:
        return render.notice(str(error), "error"), ""
    terms = tokenize(topic, planqa.settings.retrieval.tokenizer)
    titles = dict((value, title) for title, value in document_choices(planqa))
    columns = []
    for doc_id in (doc_a, doc_b):
        header = f'<h3 class="compare-title">《{escape(titles.get(doc_id, doc_id))}》</h3>'
        cards = render.hit_cards(found.get(doc_id, []), terms, show_doc=False, weak_below=WEAK_MATCH_SCORE)
        columns.append(header + cards)
    return columns[0], columns[1]


def build_verify_tab(planqa: PlanQA) -> VerifyTab:
    choices = document_choices(planqa)
    first, _, second = _defaults(choices)
    with gr.Tabs(elem_id="verify-tabs"):
        with gr.Tab("条款检索", id="search"):
            with gr.Row(elem_classes="search-row"):
                query = gr.Textbox(
                    show_label=False,
                    placeholder="输入词句，例如：轨道交通",
                    scale=5,
                    min_width=200,
                    container=False,
                    elem_id="search-query",
                )
                go = gr.Button("检索", variant="primary", scale=1, min_width=72, elem_id="search-button")
            with gr.Row():
                mode = gr.Radio(MODE_CHOICES, value="hybrid", label="检索方式", min_width=220, elem_id="search-mode")
                doc = gr.Dropdown(
                    [(ALL_DOCUMENTS, "")] + choices, value="", label="文件范围", min_width=220, elem_id="search-doc"
                )
                k = gr.Slider(1, MAX_SEARCH_K, value=SEARCH_K, step=1, label="显示条数", min_width=160)
            summary = gr.HTML("", elem_id="search-summary")
            results = gr.HTML("", elem_id="search-results")
        with gr.Tab("文件目录", id="outline"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=300):
                    outline_doc = gr.Dropdown(choices, value=first, label="文件", elem_id="outline-doc")
                    tree = gr.HTML(
                        outline(planqa, first)[0] if first else "",
                        js_on_load=OUTLINE_JS,
                        elem_id="outline",
                        padding=False,
                    )
                with gr.Column(scale=3, min_width=300):
                    article = gr.HTML(render.ARTICLE_PLACEHOLDER, elem_id="article-view")
        with gr.Tab("对照阅读", id="compare"):
            with gr.Row(elem_classes="search-row"):
                topic = gr.Textbox(
                    show_label=False,
                    placeholder="对照主题，例如：交通基础设施",
                    scale=5,
                    min_width=200,
                    container=False,
                    elem_id="compare-topic",
                )
                run = gr.Button("对照", variant="primary", scale=1, min_width=72, elem_id="compare-button")
            with gr.Row():
                doc_a = gr.Dropdown(choices, value=first, label="文件甲", min_width=220, elem_id="compare-a")
                doc_b = gr.Dropdown(choices, value=second, label="文件乙", min_width=220, elem_id="compare-b")
            with gr.Row(equal_height=False, elem_classes="compare-columns"):  # stacked on a phone (style.css)
                left = gr.HTML("", elem_id="compare-left", min_width=300)
                right = gr.HTML("", elem_id="compare-right", min_width=300)

    def do_search(text: str, how: str, doc_id: str, count: float) -> tuple[str, str]:
        return search(planqa, text, how, doc_id, count)

    def do_outline(doc_id: str) -> tuple[str, str]:
        return outline(planqa, doc_id)

    def do_open(doc_id: str, evt: gr.EventData) -> str:
        return open_article(planqa, doc_id, str(evt._data.get("chunk", "")))

    def do_compare(text: str, a: str, b: str) -> tuple[str, str]:
        return compare(planqa, text, a, b)

    for trigger in (query.submit, go.click):
        trigger(do_search, [query, mode, doc, k], [summary, results], api_visibility="private", concurrency_id=PAGE)
    outline_doc.change(do_outline, outline_doc, [tree, article], api_visibility="private", concurrency_id=PAGE)
    tree.open_article(do_open, outline_doc, article, api_visibility="private", concurrency_id=PAGE).then(
        None, js=SHOW_ARTICLE_JS, api_visibility="private"
    )
    for trigger in (topic.submit, run.click):
        trigger(do_compare, [topic, doc_a, doc_b], [left, right], api_visibility="private", concurrency_id=PAGE)
    return VerifyTab(doc, outline_doc, doc_a, doc_b)
