"""Answers looked up rather than searched: a clause the question points at ("第（十二）条", "四、（三）",
"第26项", "《…条例》第十五条第二款", "第九十六条（三）"), and a document's metadata (rag.answer.metadata:
文号, issuer, dates, which is earlier), cited from the line that states it."""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import takewhile

from ingest.records import Article
from ingest.text import citation_label
from rag.answer.citations import Composer
from rag.answer.evidence import Passage, Weights, sentences, whole_article
from rag.answer.metadata import chinese_date, metadata_answer
from rag.query.clauses import ClauseQuery, clause_path, find_clause, without_clause_references
from rag.query.reader import Question
from rag.records import REFUSAL, Draft, Hit, Via
from rag.settings import AnswerSettings
from rag.store.catalogue import Catalogue


def _passage(article: Article, catalogue: Catalogue, via: Via) -> Passage:
    """The whole article as evidence, with a hit saying how it was found."""
    first, text = whole_article(article, catalogue)
    return Passage(first, text, Hit(first, 1.0, via=via), text)


def missing_document_answer(question: Question) -> tuple[Draft, list[Hit]] | None:
    """A question about a document the library does not hold ("江苏省电动自行车管理条例…" beside
    浙江's): refused, naming it, rather than answered from a document of another place."""
    if question.doc_ids or not question.elsewhere:
        return None
    missing = "、".join(f"《{name}》" for name in question.elsewhere)
    return Draft(f"{REFUSAL}（文件库中没有{missing}。）", [], True), []


# The documents are Chinese and answers quote them by the question's words: a question in another
# language is asked again in Chinese, not refused as if the documents did not say.
OTHER_LANGUAGE = "请用中文提问：文件库中的文件都是中文，回答逐字引用原文中的句子。"
_LETTER = re.compile(r"[^\W\d_]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def other_language_answer(question: Question, min_chinese_share: float) -> tuple[Draft, list[Hit]] | None:
    """A question mostly in another language ("How far is Neijiang from Zigong?"): asked to be asked
    in Chinese. `min_chinese_share`: the share of its letters that must be Chinese characters."""
    letters = _LETTER.findall(question.text)
    if not letters or sum(1 for c in letters if _HAN.match(c)) >= min_chinese_share * len(letters):
        return None
    return Draft(OTHER_LANGUAGE, [], True), []


def absent_place_answer(question: Question) -> tuple[Draft, list[Hit]] | None:
    """A question about a place no document names ("…给遂宁市安排了什么"): refused, naming the place,
    rather than answered with what a document says of the places it does name."""
    if not question.absent_places:
        return None
    places = "、".join(question.absent_places)
    return Draft(f"{REFUSAL}（文件库中的文件没有提到{places}。）", [], True), []


def clause_answer(
    question: Question, catalogue: Catalogue, weights: Weights, settings: AnswerSettings
) -> tuple[Draft, list[Hit]] | None:
    """The clause the question points at, quoted with its heading, and the looked-up hits; a chapter's
    outline when it points at a chapter; a refusal when it does not exist; None when it points at none.
    `weights` choose which of the clause's sentences are quoted, and which document's clause is meant
    when the question names none."""
    query = question.clause
    if query is None:
        return None
    documents = set(question.doc_ids) or {d.doc_id for d in catalogue.documents}
    candidates = [a for a in catalogue.articles if a.doc_id in documents and a.part == 1]
    found = find_clause(query, candidates)
    if not found and query.section is None and query.item is None and query.unit is None:
        return _chapter_outline(query, candidates, catalogue, settings)
    if query.article:  # "第二十条": a regulation's article, not a plan's （二十）
        found = [a for a in found if _ARTICLE_REF.match(a.clause_ref)] or found
        if not found and query.unit and query.paragraph is None:  # a 决定 numbers its articles 一、二、…
            unnumbered = {a.doc_id for a in candidates} - {
                a.doc_id for a in candidates if _ARTICLE_REF.match(a.clause_ref)
            }
            found = find_clause(ClauseQuery(chapter=query.unit), [a for a in candidates if a.doc_id in unnumbered])
    if not question.doc_ids:
        meant = _meant(found, question, catalogue, settings)
        if meant is None:
            return None
        found = meant
    if not found:
        return Draft(f"{REFUSAL}（所指条款在{_scope(question, catalogue)}中不存在。）", [], True), []
    composer = Composer()
    lines, hits = [], []
    if len({a.doc_id for a in found}) > 1:
        lines.append("多份文件都有此条款，请指明文件；各文件的规定如下：")
    for article in found[: settings.lookup_max_documents]:
        passage = _passage(article, catalogue, Via.LOOKUP)
        spans = _part_spans(passage.text, query)
        if spans is None:
            if len(found) == 1:
                return Draft(
                    f"{REFUSAL}（{citation_label(article.doc_title, article.clause_ref)}没有所指的款项。）", [], True
                ), []
            continue
        hits.append(passage.hit)
        cited = passage.article
        if query.point is not None and query.paragraph is None:  # an item cited alone: 第九十六条（三）
            cited = replace(cited, clause_ref=f"{cited.clause_ref}（{_cn(query.point)}）")
        if not spans:
            spans = _key_spans(
                passage, weights, settings.clause_key_sentences, query.article, settings.clause_whole_chars
            )
        pieces = "".join(passage.text[s:e] + composer.cite(cited, passage.text, s, e) for s, e in spans)
        lines.append(citation_label(article.doc_title, cited.clause_ref, passage.heading) + "：" + pieces)
    if not composer.citations:
        return Draft(f"{REFUSAL}（所指款项在{_scope(question, catalogue)}中不存在。）", [], True), []
    return Draft("\n".join(lines), composer.citations, False), hits


_ARTICLE_REF = re.compile(r"^第[^条]{1,8}条")
_ITEM_LINE = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]")
_SUB_LINE = re.compile(r"^\s*(?:\d+[.．、]|[①-⑳])")
_KINDS = ("条例", "办法", "规定", "细则", "决定", "意见", "通知", "方案", "规划", "法")


def _cn(number: int) -> str:
    """3 → 三, 12 → 十二 (item markers are written in Chinese numerals)."""
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _part_spans(text: str, query: ClauseQuery) -> list[tuple[int, int]] | None:
    """The lines of the 款 and/or 项 the query points at inside an article's text; [] when it points
    at the whole article, None when the article has no such 款 or 项. A 款 is a line that is not an
    item; its items (（一）…) and their sub-items follow it."""
    if query.paragraph is None and query.point is None:
        return []
    lines, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((offset, offset + len(line), line))
        offset += len(line) + 1
    paragraphs: list[list[tuple[int, int, str]]] = []
    for start, end, line in lines:
        if _ITEM_LINE.match(line) or _SUB_LINE.match(line) or not paragraphs:
            if not paragraphs:
                paragraphs.append([])
            paragraphs[-1].append((start, end, line))
        else:
            paragraphs.append([(start, end, line)])
    if paragraphs and not _ARTICLE_REF.match(paragraphs[0][0][2].strip()) and len(paragraphs) > 1:
        if not re.search(r"第[^条]{1,8}条", paragraphs[0][0][2]):  # a chapter heading line over the article
            paragraphs = paragraphs[1:]
    if query.paragraph is not None:
        if not 1 <= query.paragraph <= len(paragraphs):
            return None
        scope = paragraphs[query.paragraph - 1]
    else:
        scope = [line for paragraph in paragraphs for line in paragraph]
    if query.point is None:
        return [(s, e) for s, e, _ in scope]
    marker = re.compile(rf"^\s*[（(]{_cn(query.point)}[）)]")
    items = [i for i, (_, _, line) in enumerate(scope) if marker.match(line)]
    if not items:
        return None
    first = items[0]
    chosen = [scope[first]] + list(takewhile(lambda entry: _SUB_LINE.match(entry[2]) is not None, scope[first + 1 :]))
    return [(s, e) for s, e, _ in chosen]


def _meant(
    found: list[Article], question: Question, catalogue: Catalogue, settings: AnswerSettings
) -> list[Article] | None:
    """With no document named, the clause of the document the question's words point to: a kind it
    names ("…条例第十五条"), then the clause whose text holds the question's other words clearly best;
    all of them when the question has no other words; None (search instead) when it has words that
    no such clause holds well ("推广清单第14项“…机制”")."""
    if len({a.doc_id for a in found}) <= 1:
        return found
    kinds = [k for k in _KINDS if k in question.normalised]
    if kinds:
        found = [a for a in found if a.kind in kinds or a.doc_title.endswith(tuple(kinds))] or found
    if len({a.doc_id for a in found}) <= 1:
        return found
    asked = replace(question, content=without_clause_references(question.content), quoted=(), unknown=())
    weights = Weights(asked, catalogue.keyword, settings.nested_term_share)
    if not weights.terms:
        return found
    scored = sorted(((weights.coverage(whole_article(a, catalogue)[1]), a) for a in found), key=lambda p: -p[0])
    best, runner_up = scored[0][0], scored[1][0]
    if best >= settings.clause_min_coverage and best - runner_up >= settings.clause_choice_margin:
        return [scored[0][1]]
    return None if best < settings.clause_min_coverage else found


def _key_spans(
    passage: Passage, weights: Weights, count: int, whole: bool = False, max_chars: int = 0
) -> list[tuple[int, int]]:
    """The `count` sentences of the clause that match the question's own words best, else its opening
    ones; a regulation's article (`whole`) is quoted whole when it is at most `max_chars` long."""
    body = [s for s in sentences(passage) if not s.is_heading]
    if whole and body:
        opening = list(takewhile(lambda s: s.end - body[0].start <= max_chars, body)) or body[:1]
        matching = [s for s in body if weights.coverage(s.text) > 0]
        if len(opening) == len(body) or not matching:
            return [(s.start, s.end) for s in opening]
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
    composer = Composer()
    lines, hits = [], []
    for doc_id in dict.fromkeys(a.doc_id for a in in_chapter):
        articles = [a for a in in_chapter if a.doc_id == doc_id][: settings.outline_max_headings]
        pieces: list[str] = []
        for article in articles:
            passage = _passage(article, catalogue, Via.LOOKUP)
            hits.append(passage.hit)
            heading_end = passage.text.find("\n") if passage.text.startswith(article.chapter) else -1
            if heading_end > 0 and not pieces:  # the chapter heading opens its first article
                pieces.append(passage.text[:heading_end] + composer.cite(article, passage.text, 0, heading_end))
            first = next((s for s in sentences(passage) if s.start > heading_end), None)
            if first is not None:
                pieces.append(
                    passage.text[first.start : first.end] + composer.cite(article, passage.text, first.start, first.end)
                )
        lines.append(citation_label(articles[0].doc_title, articles[0].chapter) + "：\n" + "\n".join(pieces))
        if len(lines) == settings.lookup_max_documents:
            break
    return Draft("\n".join(lines), composer.citations, False), hits


def _scope(question: Question, catalogue: Catalogue) -> str:
    """The documents the question names ("《A》《B》"), or all of them."""
    titles = [catalogue.documents_by_id[d].title for d in question.doc_ids if d in catalogue.documents_by_id]
    return "".join(citation_label(title) for title in titles) if titles else "已收录的文件"


__all__ = ["chinese_date", "clause_answer", "metadata_answer"]
