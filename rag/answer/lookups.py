"""Answers looked up rather than searched: a clause the question points at ("第（十二）条", "四、（三）",
"第26项"), and a document's metadata (发文字号, 发布单位, 成文日期, which is earlier), cited from its
issuing notice."""

from __future__ import annotations

from ingest.records import Article, ArticleRole, Document
from ingest.text import citation_label
from rag.answer.citations import Composer
from rag.answer.evidence import Passage, Weights, sentences, whole_article
from rag.query.clauses import ClauseQuery, clause_path, find_clause
from rag.query.reader import Question
from rag.records import REFUSAL, Draft, Hit, Via
from rag.settings import AnswerSettings
from rag.store.catalogue import Catalogue

FIELD_LABELS = {
    "doc_number": "发文字号",
    "issuer": "发布单位",
    "date_written": "成文日期",
    "date_published": "发布日期",
}


def chinese_date(iso: str) -> str:
    """2023-03-02 → 2023年3月2日 (as the notices write dates)."""
    year, month, day = iso.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def _passage(article: Article, catalogue: Catalogue, via: Via) -> Passage:
    """The whole article as evidence, with a hit saying how it was found."""
    first, text = whole_article(article, catalogue)
    return Passage(first, text, Hit(first, 1.0, via=via), text)


def clause_answer(
    question: Question, catalogue: Catalogue, weights: Weights, settings: AnswerSettings
) -> tuple[Draft, list[Hit]] | None:
    """The clause the question points at, quoted with its heading, and the looked-up hits; a chapter's
    outline when it points at a chapter; a refusal when it does not exist; None when it points at none.
    `weights` choose which of the clause's sentences are quoted."""
    query = question.clause
    if query is None:
        return None
    documents = set(question.doc_ids) or {d.doc_id for d in catalogue.documents}
    candidates = [a for a in catalogue.articles if a.doc_id in documents and a.part == 1]
    found = find_clause(query, candidates)
    if not found and query.section is None and query.item is None and query.unit is None:
        return _chapter_outline(query, candidates, catalogue, settings)
    if not found:
        return Draft(f"{REFUSAL}（所指条款在{_scope(question, catalogue)}中不存在。）", [], True), []
    composer = Composer(settings.max_quote_chars)
    lines, hits = [], []
    for article in found[: settings.lookup_max_documents]:
        passage = _passage(article, catalogue, Via.LOOKUP)
        hits.append(passage.hit)
        spans = _key_spans(passage, weights, settings.clause_key_sentences)
        pieces = "".join(passage.text[s:e] + composer.cite(passage.article, passage.text, s, e) for s, e in spans)
        lines.append(citation_label(article.doc_title, article.clause_ref, passage.heading) + "：" + pieces)
    return Draft("\n".join(lines), composer.citations, False), hits


def _key_spans(passage: Passage, weights: Weights, count: int) -> list[tuple[int, int]]:
    """The `count` sentences of the clause that match the question's own words best, else its opening ones."""
    body = [s for s in sentences(passage) if not s.is_heading]
    matching = sorted((s for s in body if weights.coverage(s.text) > 0), key=lambda s: -weights.coverage(s.text))
    chosen = matching[:count] if matching else body[:count]
    return sorted((s.start, s.end) for s in chosen)


def _chapter_outline(
    query: ClauseQuery, candidates: list[Article], catalogue: Catalogue, settings: AnswerSettings
) -> tuple[Draft, list[Hit]]:
    """A chapter: its heading and the headings of its articles."""
    in_chapter = [a for a in candidates if clause_path(a.clause_ref).chapter == query.chapter]
    if not in_chapter:
        return Draft(f"{REFUSAL}（文件中没有第{query.chapter}部分。）", [], True), []
    composer = Composer(settings.max_quote_chars)
    lines, hits = [], []
    for doc_id in dict.fromkeys(a.doc_id for a in in_chapter):
        articles = [a for a in in_chapter if a.doc_id == doc_id][: settings.outline_max_headings]
        pieces = []
        for article in articles:
            passage = _passage(article, catalogue, Via.LOOKUP)
            hits.append(passage.hit)
            heading_end = passage.text.find("\n") if passage.text.startswith(article.chapter) else -1
            if heading_end > 0 and not pieces:  # the chapter heading opens its first article
                pieces.append(passage.text[:heading_end] + composer.cite(article, passage.text, 0, heading_end))
            first = next((s for s in sentences(passage) if s.start > heading_end), None)
            if first is not None:
                pieces.append(passage.text[first.start : first.end] + composer.cite(article, passage.text, first.start, first.end))
        lines.append(citation_label(articles[0].doc_title, articles[0].chapter) + "：\n" + "\n".join(pieces))
        if len(lines) == settings.lookup_max_documents:
            break
    return Draft("\n".join(lines), composer.citations, False), hits


def _scope(question: Question, catalogue: Catalogue) -> str:
    """The documents the question names ("《A》《B》"), or all of them."""
    titles = [catalogue.documents_by_id[d].title for d in question.doc_ids if d in catalogue.documents_by_id]
    return "".join(citation_label(title) for title in titles) if titles else "已收录的文件"


def metadata_answer(
    question: Question, catalogue: Catalogue, settings: AnswerSettings
) -> tuple[Draft, list[Hit]] | None:
    """A document's 发文字号 / 发布单位 / dates, or which documents came first, cited from the notice,
    and the notices' hits; None when the question asks for no metadata (or names no document)."""
    field = question.metadata_field
    if field is None:
        return None
    documents = [catalogue.documents_by_id[d] for d in question.doc_ids if d in catalogue.documents_by_id]
    if field == "order":
        return _order(documents or list(catalogue.documents), catalogue, settings)
    if not documents:
        return None
    composer = Composer(settings.max_quote_chars)
    lines, hits, refused = [], [], True
    for document in documents:
        value = _value(document, field)
        notice = _notice(document, catalogue)
        label = FIELD_LABELS[field]
        title = citation_label(document.title)
        if not value:
            lines.append(f"{title}未载明{label}。")
            continue
        refused = False
        if notice is None:
            lines.append(f"{title}的{label}：{value}（据网页发布信息）。")
            continue
        passage = _passage(notice, catalogue, Via.METADATA)
        hits.append(passage.hit)
        start = passage.text.find(value)
        if start < 0:  # e.g. the website's publishing date, which the notice does not print
            lines.append(f"{title}的{label}：{value}（据网页发布信息，通知正文未载）。")
            continue
        line_start = passage.text.rfind("\n", 0, start) + 1
        line_end = passage.text.find("\n", start)
        line_end = line_end if line_end >= 0 else len(passage.text)
        marker = composer.cite(passage.article, passage.text, line_start, line_end)
        lines.append(f"{title}的{label}：{value}{marker}")
    if refused:
        return Draft(REFUSAL + "".join(lines), [], True), hits
    return Draft("\n".join(lines), composer.citations, False), hits


def _value(document: Document, field: str) -> str:
    """The document's value of a metadata field, dates written as the notices write them."""
    value = getattr(document, field)
    return chinese_date(value) if value and field.startswith("date") else value


def _notice(document: Document, catalogue: Catalogue) -> Article | None:
    """The issuing notice printed before the document, if it has one."""
    return next((a for a in catalogue.of_document(document.doc_id) if a.role == ArticleRole.NOTICE), None)


def _order(documents: list[Document], catalogue: Catalogue, settings: AnswerSettings) -> tuple[Draft, list[Hit]]:
    """Documents by date, earliest first, each date cited from its notice."""
    dated = sorted((d for d in documents if d.date), key=lambda d: d.date)
    if not dated:
        return Draft(f"{REFUSAL}（文件未载明日期。）", [], True), []
    composer = Composer(settings.max_quote_chars)
    lines, hits = [f"按成文日期，最早的是{citation_label(dated[0].title)}，依次为："], []
    for document in dated:
        value = chinese_date(document.date)
        notice = _notice(document, catalogue)
        marker = ""
        if notice is not None:
            passage = _passage(notice, catalogue, Via.METADATA)
            hits.append(passage.hit)
            start = passage.text.find(value)
            if start >= 0:
                marker = composer.cite(passage.article, passage.text, start, start + len(value))
        lines.append(citation_label(document.title) + f"：{value}{marker}")
    return Draft("\n".join(lines), composer.citations, False), hits
