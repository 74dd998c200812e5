"""HTML and text for what the app shows: answers, citation cards, search hits, outlines, tables.

Pure functions of rag's records, so the look can be checked without a browser. Every piece of
document text passes through `html.escape` (uploaded files are untrusted); highlighting works on
character spans of the raw text and escapes each piece separately, so a `<mark>` never splits an
entity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from ingest.text import MARKER, citation_label
from rag.answer.presentation import partial_note, without_note
from rag.records import Answer, Citation, Coverage, Hit

if TYPE_CHECKING:  # the app reads articles through rag; only their type comes from ingest
    from ingest.records import Article

MIN_TERM_CHARS = 2  # one-character words ("市", "和") would light up every line
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")
_MD_LIST_START = re.compile(r"^(\s*\d+)\.", re.MULTILINE)
_CLAUSE_MARK = re.compile(
    r"第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十百零〇]+、|（[^）]{1,4}）|\d+[.．]"
)
MODES = {"hybrid": "混合检索", "keyword": "关键词检索", "dense": "语义检索"}
EMPTY_CITATIONS = "提问后，这里会列出回答所依据的条款原文，引用句以黄色标出。"


# -- text and spans -----------------------------------------------------------------------------
def heading_of(article: Article) -> str:
    """The heading words after the clause ref ("空间相近人文相亲"), from the article's citation."""
    prefix = citation_label(article.doc_title, article.clause_ref)
    citation = article.citation
    return citation[len(prefix) :] if citation.startswith(prefix) else article.section


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans (overlapping ones joined; touching ones stay two, so each quoted
    sentence is a mark of its own)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, spans: Iterable[tuple[int, int]], css_class: str = "hl") -> str:
    """`text` escaped for HTML, with each span wrapped in `<mark class=…>`."""
    out: list[str] = []
    at = 0
    for start, end in merge_spans(spans):
        out.append(escape(text[at:start]))
        out.append(f'<mark class="{css_class}">{escape(text[start:end])}</mark>')
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the query terms occur in `text` (case-insensitive for Latin letters)."""
    lowered = text.lower()
    spans = []
    for term in {t.lower() for t in terms if len(t) >= MIN_TERM_CHARS or t.isascii() and t.isalnum()}:
        start = lowered.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = lowered.find(term, start + 1)
    return spans


def clause_depth(clause_ref: str) -> int:
    """How deep a clause sits: `三、` 1, `三、（七）` 2, `三、（七）1.` 3 (at least 1)."""
    return max(1, len(_CLAUSE_MARK.findall(clause_ref)))


# -- the chat -----------------------------------------------------------------------------------
def md_escape(text: str) -> str:
    """Plain text that the chat's Markdown renderer shows as written ("1." stays no list)."""
    text = escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LIST_START.sub(r"\1\\.", text)


def answer_markdown(answer: Answer, key: str = "1") -> str:
    """The answer as a chat message: its direct line ("28公里[1]") standing apart first, then the text,
    each `[n]` a link to card n of answer `key`, unsupported sentences marked, and for a partial answer
    a notice naming what it found nothing about."""
    cited = {c.n for c in answer.citations}
    text = answer_body(answer)
    spans = []
    missing = []
    for sentence in answer.unsupported:
        span = sentence_span(text, sentence)
        if span:
            spans.append(span)
        else:
            missing.append(sentence)
    pieces = []
    if answer.direct:
        pieces.append(f'<span class="direct-answer">{_with_markers(answer.direct, key, cited)}</span>\n\n')
    at = 0
    for start, end in merge_spans(spans):
        pieces.append(_with_markers(text[at:start], key, cited))
        pieces.append(
            f'<mark class="unsupported" title="未能在引用条款中核实">'
            f"{_with_markers(text[start:end], key, cited)}</mark>"
        )
        at = end
    pieces.append(_with_markers(text[at:], key, cited))
    message = "".join(pieces)
    if answer.coverage == Coverage.PARTIAL:
        message += "\n\n" + partial_notice(answer)
    if answer.unsupported:
        message += (
            f'\n\n<span class="unsupported-note">⚠ 有 {len(answer.unsupported)} 句未能在所引条款中核实'
            f"{'（已标出）' if not missing else ''}，请以条款原文为准。</span>"
        )
        for sentence in missing:
            message += f"\n- {md_escape(sentence)}"
    return message


def answer_body(answer: Answer) -> str:
    """The answer's text without its direct line and its partial note (the message shows them apart)."""
    text = without_note(answer.text)
    if answer.direct and text.startswith(answer.direct + "\n"):
        text = text[len(answer.direct) + 1 :]
    return text


def partial_notice(answer: Answer) -> str:
    """ "只回答了部分问题：没有找到关于“交通建设”的内容。", set apart under a partial answer."""
    head, _, rest = partial_note(tuple(answer.missing)).strip("（）").partition("：")
    return f'<span class="partial-note" role="note"><b>⚠ {escape(head)}</b>：{md_escape(rest)}</span>'


def sentence_span(text: str, sentence: str) -> tuple[int, int] | None:
    """Where a claim sits in the answer. Claims are checked without their `[n]` markers, and a
    model may put a marker before the full stop ("…城市[1]。"), so search the text without markers
    and map the match back."""
    kept: list[int] = []  # offsets in `text` of the characters outside markers
    at = 0
    for match in MARKER.finditer(text):
        kept += range(at, match.start())
        at = match.end()
    kept += range(at, len(text))
    start = "".join(text[i] for i in kept).find(sentence)
    if start < 0 or not sentence:
        return None
    return kept[start], kept[start + len(sentence) - 1] + 1


def card_id(key: str, n: int, place: str = "cite") -> str:
    """The HTML id of card `n` of answer `key`: in the sources panel ("cite") or under the message ("msg")."""
    return f"{place}-{key}-{n}"


def _with_markers(text: str, key: str, cited: set[int]) -> str:
    """Escaped text with each `[n]` a superscript link to its card (plain when nothing has that number)."""
    out = []
    at = 0
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        out.append(md_escape(text[at : match.start()]))
        label = f"[{n}]"
        if n in cited:
            label = f'<a class="cite-link" href="#{card_id(key, n)}" title="查看出处 {n}">[{n}]</a>'
        out.append(f'<sup class="cite-marker">{label}</sup>')
        at = match.end()
    out.append(md_escape(text[at:]))
    return "".join(out)


def _sources_title(answer: Answer) -> tuple[str, bool]:
    """The heading over an answer's cards, and whether they are only possibly related."""
    related = answer.refused or all(c.related_only for c in answer.citations)
    title = "可能相关的条款（未据此作答，仅供参考）" if related else f"出处（{len(answer.citations)} 条）"
    return title, related


def citation_cards(answer: Answer | None, key: str = "1", *, current: bool = True) -> str:
    """The sources panel's group for answer `key`: its question, then a card per citation (document,
    clause and heading, every quote, the whole article on demand). Only the `current` group shows."""
    if answer is None:
        return f'<div class="cites-empty">{escape(EMPTY_CITATIONS)}</div>'
    if not answer.citations:
        cards = '<div class="cites-empty">没有可引用的条款。</div>'
        title, related = "出处", False
    else:
        title, related = _sources_title(answer)
        cards = "".join(_card(c, card_id(key, c.n)) for c in answer.citations)
    classes = "cites" + (" related" if related else "") + (" current" if current else "")
    return (
        f'<section class="{classes}" data-answer="{key}"><h3 class="cites-title">{title}</h3>'
        f'<p class="cites-question">问：{escape(answer.question)}</p>{cards}</section>'
    )


def sources_panel(answers: Sequence[Answer], pending: bool = False) -> str:
    """The cards of every answer of the chat, answer i keyed "i" (1-based) as its message's links are;
    only the last group shows, or a searching note while the next answer is written."""
    last = len(answers) if not pending else 0
    groups = [citation_cards(a, str(i), current=i == last) for i, a in enumerate(answers, start=1)]
    if pending:
        groups.append(citations_pending())
    return "".join(groups) or citation_cards(None)


def message_sources(answer: Answer, key: str) -> str:
    """An answer's cards inside its chat message, collapsed: on a phone they sit right under the answer
    (style.css shows them where the sources panel is hidden)."""
    if not answer.citations:
        return ""
    title, related = _sources_title(answer)
    cards = "".join(_card(c, card_id(key, c.n, "msg")) for c in answer.citations)
    return f'<details class="msg-sources{" related" if related else ""}"><summary>{title}</summary>{cards}</details>'


def understood_as(answer: Answer) -> str:
    """The line that shows how a follow-up was read ("理解为：自贡的GDP目标是多少？"), or ""."""
    if not answer.understood_as:
        return ""
    return f'<div class="understood-as">理解为：{escape(answer.understood_as)}</div>\n\n'


def chat_message(answer: Answer, key: str) -> str:
    """The finished answer as it stays in the chat: the text with linked markers, then its own sources."""
    sources = message_sources(answer, key)
    return answer_markdown(answer, key) + (f"\n\n{sources}" if sources else "")


def citations_pending() -> str:
    return '<div class="cites-empty">正在查找相关条款…</div>'


def _card(citation: Citation, html_id: str) -> str:
    article = citation.article
    full = marked(citation.text, citation.quote_spans, "quote")
    quotes = "".join(f"<p>{escape(q)}</p>" for q in citation.quotes)
    quote = f'<blockquote class="cite-quote">{quotes}</blockquote>' if quotes else ""
    return (
        f'<article class="cite-card{" related" if citation.related_only else ""}" id="{html_id}" '
        f'data-n="{citation.n}" data-clause="{escape(article.clause_ref)}">'
        f'<header><span class="cite-n">{citation.n}</span><div class="cite-head">'
        f'<div class="cite-doc">《{escape(article.doc_title)}》</div>'
        f'<div class="cite-ref"><b class="clause-ref">{escape(article.clause_ref)}</b> {escape(heading_of(article))}</div>'
        f"</div></header>{quote}"
        f'<details class="cite-full"><summary>展开条款全文（{len(citation.text)} 字）</summary>'
        f'<div class="article-text">{full}</div></details></article>'
    )


def answer_plain(answer: Answer) -> str:
    """The answer with its sources as plain text, for copying into a letter or a note."""
    lines = [f"问：{answer.question}", f"答：{answer.text}"]
    if answer.unsupported:
        lines.append("未能在所引条款中核实：" + "；".join(answer.unsupported))
    if answer.citations:
        lines.append("")
        lines.append("可能相关的条款：" if answer.refused else "出处：")
        for citation in answer.citations:
            lines.append(f"[{citation.n}] {citation.label}")
            lines.extend(f"    “{quote}”" for quote in citation.quotes)
    return "\n".join(lines)


# -- checking clauses ---------------------------------------------------------------------------
WEAK_MARK = "相关度低"


def hit_cards(hits: Sequence[Hit], terms: Sequence[str], *, show_doc: bool = True, weak_below: float = 0.0) -> str:
    """Search hits: rank, clause ref, heading, document, score, and the text with query terms marked;
    a hit scoring under `weak_below` is marked as a weak match."""
    if not hits:
        return '<div class="hits-empty">没有找到相关条款。换个说法，或放宽文件范围试试。</div>'
    cards = []
    for rank, hit in enumerate(hits, start=1):
        a = hit.article
        part = f'<span class="hit-part">第 {a.part}/{a.parts} 段</span>' if a.parts > 1 else ""
        doc = f'<div class="hit-doc">《{escape(a.doc_title)}》</div>' if show_doc else ""
        weak = hit.score < weak_below
        mark = (
            f'<span class="weak-mark" title="得分低于 {weak_below:.2f}，可能与主题无关">{WEAK_MARK}</span>'
            if weak
            else ""
        )
        cards.append(
            f'<article class="hit-card{" weak" if weak else ""}" data-clause="{escape(a.clause_ref)}">'
            f'<header><span class="hit-rank">{rank}</span><div class="hit-head">{doc}'
            f'<div class="hit-ref"><b class="clause-ref">{escape(a.clause_ref)}</b> {escape(heading_of(a))}{part}</div></div>'
            f'{mark}<span class="hit-score" title="融合得分（0–1）">{hit.score:.2f}</span></header>'
            f'<div class="article-text">{marked(a.text, term_spans(a.text, terms))}</div></article>'
        )
    return f'<div class="hits">{"".join(cards)}</div>'


def search_summary(count: int, mode: str, scope: str) -> str:
    return f'<p class="hits-summary">{escape(scope)} · {MODES.get(mode, mode)} · 前 {count} 条</p>'


def outline(title: str, articles: Sequence[Article]) -> str:
    """The document's chapters, sections and items; each item carries its chunk id for opening."""
    groups: list[tuple[str, list[Any]]] = []
    for article in articles:
        if not groups or groups[-1][0] != article.chapter:
            groups.append((article.chapter, []))
        groups[-1][1].append(article)
    parts = []
    for chapter, members in groups:
        items = "".join(_outline_item(a, chapter) for a in members)
        if not chapter:
            parts.append(f'<ul class="ol-items ol-front">{items}</ul>')
        else:
            parts.append(
                f'<details class="ol-chapter" open><summary>{escape(chapter)}</summary>'
                f'<ul class="ol-items">{items}</ul></details>'
            )
    return f'<nav class="outline" aria-label="文件目录"><h3 class="ol-title">《{escape(title)}》</h3>{"".join(parts)}</nav>'


def _outline_item(article: Article, chapter: str) -> str:
    heading = heading_of(article)
    if chapter and article.section == chapter:
        heading = "（本章导语）"
    depth = clause_depth(article.clause_ref) if chapter else 1
    return (
        f'<li class="ol-item depth-{min(depth, 4)}"><a href="#" role="button" data-chunk="{escape(article.chunk_id)}" '
        f'data-clause="{escape(article.clause_ref)}"><b class="clause-ref">{escape(article.clause_ref)}</b> '
        f"{escape(heading)}</a></li>"
    )


def article_view(article: Article, text: str) -> str:
    """One article in full, with where it sits in the cleaned document (character offsets)."""
    end = article.start + len(text)
    parts = f" · 分 {article.parts} 段索引" if article.parts > 1 else ""
    chapter = f"{escape(article.chapter)} · " if article.chapter and article.chapter != article.section else ""
    return (
        f'<article class="article-view" data-clause="{escape(article.clause_ref)}">'
        f'<header><div class="cite-doc">《{escape(article.doc_title)}》</div>'
        f'<div class="cite-ref"><b class="clause-ref">{escape(article.clause_ref)}</b> {escape(heading_of(article))}</div>'
        f'<p class="article-meta">{chapter}<span class="offsets">起止位置：第 {article.start}–{end} 字</span>'
        f" · 共 {len(text)} 字{parts}</p></header>"
        f'<div class="article-text">{escape(text)}</div></article>'
    )


ARTICLE_PLACEHOLDER = '<div class="hits-empty">在左侧目录中点选任一条款，查看全文与起止位置。</div>'


# -- documents and evaluation -------------------------------------------------------------------
def documents_table(rows: Sequence[dict[str, Any]]) -> str:
    """The indexed plans with their metadata and article counts."""
    if not rows:
        return '<div class="hits-empty">索引中还没有文件。</div>'
    head = "".join(
        f"<th>{h}</th>" for h in ("文件标题", "发文机关", "文号", "成文日期", "发布日期", "条款数", "文件名")
    )
    body = "".join(
        "<tr>"
        f'<td class="doc-title">{escape(r["title"])}</td><td>{escape(r["issuer"]) or "—"}</td>'
        f'<td>{escape(r["doc_number"]) or "—"}</td><td class="date">{escape(r["date_written"]) or "—"}</td>'
        f'<td class="date">{escape(r["date_published"]) or "—"}</td><td class="num">{r["articles"]}</td>'
        f'<td class="doc-file">{escape(r["doc_file"])}</td></tr>'
        for r in rows
    )
    total = sum(r["articles"] for r in rows)
    return (
        f'<div class="table-wrap"><table class="docs-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
        f'<tfoot><tr><td colspan="7">共 {len(rows)} 份文件，{total} 个条款</td></tr></tfoot></table></div>'
    )


TYPE_NAMES = {
    "fact": "事实",
    "list": "列举",
    "locate": "定位",
    "compare": "比较",
    "multi": "多问",
    "unanswerable": "无法回答",
    "clause": "条款",
}


def metric_label(name: str, metrics: dict[str, Any]) -> str:
    """The report's Chinese label for a metric, with its key in small print."""
    info = metrics.get(name) or {}
    label = info.get("label")
    arrow = "" if "higher_is_better" not in info else (" ↑" if info["higher_is_better"] else " ↓")
    key = f'<span class="metric-key">{escape(name)}{arrow}</span>'
    return f"{escape(label)}{key}" if label else f"{escape(name)}{key if arrow else ''}"


def metric_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) <= 1 else f"{value:,.0f}"
    return escape(str(value))


def eval_tables(report: dict[str, Any], source: str) -> str:
    """The headline table (overall) and the per-type table of an eval report (`reports/latest.json`)."""
    summary = report.get("summary") or {}
    overall = summary.get("overall") or {}
    by_type = summary.get("by_type") or {}
    counts = summary.get("items") or {}
    metrics = report.get("metrics") or {}
    facts = [source]
    if report.get("created"):
        facts.append(f"生成于 {report['created']}")
    if report.get("dataset"):
        facts.append(f"数据集 {report['dataset']}")
    if counts.get("overall") is not None:
        facts.append(f"{counts['overall']} 题")
    gate = report.get("gate") or {}
    if "passed" in gate:
        facts.append("门槛：通过" if gate["passed"] else "门槛：未通过")
    html = [f'<p class="eval-source">{" · ".join(escape(str(f)) for f in facts)}</p>']
    names = list(overall)
    tiles = "".join(
        f'<div class="tile" data-metric="{escape(m)}"><div class="tile-value">{metric_value(overall[m])}</div>'
        f'<div class="tile-label">{metric_label(m, metrics)}</div></div>'
        for m in names
    )
    html.append(f'<h3 class="eval-heading">总体</h3><div class="metric-tiles">{tiles}</div>')
    if by_type:  # metrics down, question types across: fits a desktop, scrolls sideways on a phone
        names = list(dict.fromkeys([*names, *(m for values in by_type.values() for m in values)]))
        per_type = counts.get("by_type") or {}
        head = "<th>指标</th>" + "".join(
            f"<th data-type='{escape(kind)}'>{escape(TYPE_NAMES.get(kind, kind))}"
            f"<span class='metric-key'>{escape(kind)} · {metric_value(per_type.get(kind))} 题</span></th>"
            for kind in by_type
        )
        body = "".join(
            f"<tr><th>{metric_label(m, metrics)}</th>"
            + "".join(f"<td class='num'>{metric_value(values.get(m))}</td>" for values in by_type.values())
            + "</tr>"
            for m in names
        )
        html.append(
            f'<h3 class="eval-heading">按题型</h3><div class="table-wrap"><table class="eval-table by-type">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )
    return "".join(html)


def notice(text: str, kind: str = "info") -> str:
    """A one-line message box (info, ok, warn, error)."""
    return f'<div class="notice notice-{kind}" role="status">{escape(text)}</div>' if text else ""
