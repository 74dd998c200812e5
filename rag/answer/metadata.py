"""Answers about a document itself: its 文号/令号, issuer, and its dates — 成文, 公布, 通过 (with the
meeting), 批准 (with the approving body), 施行 — each quoted from the line that states it: the issuing
notice, the title note (题注), the signature (落款) or the article that sets the date ("本条例自…起施行").
A field the text does not state is said to be missing, never guessed."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ingest.records import Article, ArticleRole, Document
from ingest.text import citation_label
from rag.answer.citations import Composer
from rag.answer.evidence import whole_article
from rag.query.reader import INTENTS_FILE, MetadataField, Question
from rag.records import REFUSAL, Draft, Hit, Via
from rag.settings import AnswerSettings
from rag.store.catalogue import Catalogue

FIELD_LABELS = {
    MetadataField.DOC_NUMBER: "发文字号",
    MetadataField.ISSUER: "发布单位",
    MetadataField.DATE_WRITTEN: "成文日期",
    MetadataField.DATE_PUBLISHED: "发布日期",
    MetadataField.DATE_ADOPTED: "通过日期",
    MetadataField.DATE_APPROVED: "批准日期",
    MetadataField.DATE_EFFECTIVE: "施行日期",
}
# The dates documents are ordered by when a question asks for none: the first a document states.
DATE_ORDER = (
    MetadataField.DATE_WRITTEN,
    MetadataField.DATE_PUBLISHED,
    MetadataField.DATE_ADOPTED,
    MetadataField.DATE_EFFECTIVE,
)
MAX_NOTE_LINES = 4  # lines of a title note quoted for one field (the original and its amendments)


@dataclass(frozen=True)
class LineRules:
    """`[metadata_lines]` of intents.toml: what a quoted line holds besides the value."""

    keywords: dict[MetadataField, re.Pattern[str]]
    effective_sentence: re.Pattern[str]
    date: re.Pattern[str]


@lru_cache(maxsize=1)
def line_rules() -> LineRules:
    with open(INTENTS_FILE, "rb") as handle:
        data = dict(tomllib.load(handle)["metadata_lines"])
    sentence, date = re.compile(data.pop("effective_sentence")), re.compile(data.pop("date"))
    return LineRules({MetadataField(k): re.compile(v) for k, v in data.items()}, sentence, date)


@dataclass(frozen=True)
class Quote:
    article: Article  # first part of the article quoted
    text: str  # the whole article
    start: int
    end: int

    @property
    def words(self) -> str:
        return self.text[self.start : self.end]


def chinese_date(iso: str) -> str:
    """2023-03-02 → 2023年3月2日 (as the notices write dates)."""
    year, month, day = iso.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def field_value(document: Document, field: str) -> str:
    """The document's value of a metadata field, dates written as the notices write them."""
    value = getattr(document, field, "")
    return chinese_date(value) if value and field.startswith("date") else value


def loose(value: str) -> re.Pattern[str]:
    """The value with any white space between its characters ("国务院令\\n第706号")."""
    return re.compile(r"\s*".join(re.escape(c) for c in value if not c.isspace()))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def metadata_answer(
    question: Question, catalogue: Catalogue, settings: AnswerSettings, composer: Composer | None = None
) -> tuple[Draft, list[Hit]] | None:
    """Each asked field of each named document, cited from the line that states it; the notices'
    hits; None when the question asks for no metadata (or names no document). `composer`: the one
    of a longer answer this is a part of, so its `[n]` follow on."""
    fields = question.metadata_fields or ((question.metadata_field,) if question.metadata_field else ())
    if not fields:
        return None
    documents = [catalogue.documents_by_id[d] for d in question.doc_ids if d in catalogue.documents_by_id]
    if MetadataField.ORDER in fields:
        return _order(documents or list(catalogue.documents), fields, catalogue)
    if not documents:
        return None
    composer = composer or Composer()
    lines: list[str] = []
    hits: dict[str, Hit] = {}
    answered = False
    for document in documents:
        for field in fields:
            line, quotes = _field_line(document, MetadataField(field), catalogue, composer)
            lines.append(line)
            answered = answered or bool(quotes) or "据网页发布信息" in line
            for quote in quotes:
                hits.setdefault(quote.article.chunk_id, Hit(quote.article, 1.0, via=Via.METADATA))
    if not answered:
        return Draft(REFUSAL + "".join(lines), [], True), list(hits.values())
    return Draft("\n".join(lines), composer.citations, False), list(hits.values())


def _field_line(
    document: Document, field: MetadataField, catalogue: Catalogue, composer: Composer
) -> tuple[str, list[Quote]]:
    """One answer line for a field of a document, and the quotes it cites."""
    value = field_value(document, field)
    label = FIELD_LABELS[field]
    title = citation_label(document.title)
    quotes = find_quotes(document, field, value, catalogue)
    if not quotes:
        if not value:
            return f"{title}未载明{label}。", []
        return f"{title}的{label}：{value}（据网页发布信息，正文未载）。", []
    marks = [composer.cite(q.article, q.text, q.start, q.end) for q in quotes]
    said = [q.words for q in quotes]
    if value and _squash(said[0]) == _squash(value) and len(quotes) == 1:
        return f"{title}的{label}：{value}{marks[0]}", quotes
    body = "；".join(s + m for s, m in zip(said, marks))
    holder = next((m for s, m in zip(said, marks) if _squash(value) in _squash(s)), None) if value else None
    if holder is not None:
        return f"{title}的{label}：{value}{holder}（{body}）", quotes
    return f"{title}的{label}：{body}", quotes


def _articles(document: Document, catalogue: Catalogue) -> tuple[list[tuple[Article, str]], list[tuple[Article, str]]]:
    """The document's notices (issuing notice, title note) and its other articles last first (the
    施行 article and the 落款 close a document), each as (first part, whole text)."""
    firsts = [a for a in catalogue.of_document(document.doc_id) if a.part == 1]
    whole = [whole_article(a, catalogue) for a in firsts]
    notices = [w for w in whole if w[0].role == ArticleRole.NOTICE]
    rest = [w for w in reversed(whole) if w[0].role != ArticleRole.NOTICE]
    return notices, rest


def _line_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The line(s) holding text[start:end]."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, line_end if line_end >= 0 else len(text)


def _sentence_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding text[start:end] (inside its line)."""
    line_start, line_end = _line_at(text, start, end)
    cut = max(text.rfind("。", line_start, start), text.rfind("；", line_start, start))
    first = cut + 1 if cut >= 0 else line_start
    stop = text.find("。", end, line_end)
    return first, stop + 1 if stop >= 0 else line_end


def find_quotes(document: Document, field: MetadataField, value: str, catalogue: Catalogue) -> list[Quote]:
    """Where the text states the field: the lines holding the value (and the field's word, 通过/批准/…),
    else — for 施行 — the article that sets it ("自公布之日起施行"), with the line of the date it
    points to. Empty when the text does not state it."""
    rules = line_rules()
    notices, rest = _articles(document, catalogue)
    keyword = rules.keywords.get(field)
    if field == MetadataField.DATE_EFFECTIVE:
        return _effective(value, notices, rest, rules)
    ordered = notices + rest
    pattern = loose(value) if value else None
    found: list[Quote] = []
    if pattern is not None and field in (MetadataField.ISSUER, MetadataField.DOC_NUMBER, MetadataField.DATE_WRITTEN):
        found = _whole_lines(value, ordered)  # the 落款 "国务院办公厅", not a sentence naming it
    if pattern is not None and not found:
        for require_keyword in (True, False) if keyword else (False,):
            for article, text in ordered:
                for match in pattern.finditer(text):
                    start, end = _line_at(text, match.start(), match.end())
                    if not require_keyword or (keyword is not None and keyword.search(text, start, end)):
                        found.append(Quote(article, text, start, end))
                        break
                if found:
                    break
            if found:
                break
    if field in (MetadataField.DATE_ADOPTED, MetadataField.DATE_APPROVED, MetadataField.DATE_PUBLISHED):
        found += _note_lines(notices, keyword, rules.date, found)  # amendments: every 通过/批准 line
    elif not found and field == MetadataField.ISSUER:  # a 条例's issuer: the body that adopted or published it
        found = _note_lines(notices, re.compile("通过|公布|发布"), rules.date, found)[:1]
    return found[:MAX_NOTE_LINES]


def _whole_lines(value: str, ordered: list[tuple[Article, str]]) -> list[Quote]:
    """The first line that is the value and nothing else."""
    wanted = _squash(value)
    for article, text in ordered:
        offset = 0
        for line in text.split("\n"):
            if _squash(line) == wanted:
                return [Quote(article, text, offset, offset + len(line))]
            offset += len(line) + 1
    return []


def _note_lines(
    notices: list[tuple[Article, str]], keyword: re.Pattern[str] | None, date: re.Pattern[str], found: list[Quote]
) -> list[Quote]:
    """Further dated lines of the title notes holding the keyword, not yet quoted."""
    if keyword is None:
        return []
    taken = {(q.article.chunk_id, q.start) for q in found}
    dates = {d for q in found for d in date.findall(q.words)}  # a line restating a quoted date adds nothing
    more = []
    for article, text in notices:
        offset = 0
        for line in text.split("\n"):
            span = (offset, offset + len(line))
            offset += len(line) + 1
            if (article.chunk_id, span[0]) in taken or not (keyword.search(line) and date.search(line)):
                continue
            if set(date.findall(line)) <= dates:
                continue
            more.append(Quote(article, text, *span))
    return more


def _effective(
    value: str, notices: list[tuple[Article, str]], rest: list[tuple[Article, str]], rules: LineRules
) -> list[Quote]:
    """施行: the article saying "本条例自2022年1月1日起施行" (or a title note line "2016年3月1日施行");
    for "自公布之日起施行", that sentence and the line with the date it refers to."""
    keyword = rules.keywords[MetadataField.DATE_EFFECTIVE]
    if value:
        pattern = loose(value)
        for article, text in rest + notices:
            for match in pattern.finditer(text):
                start, end = _sentence_at(text, match.start(), match.end())
                if keyword.search(text, start, end):
                    return [Quote(article, text, start, end)]
    for article, text in rest + notices:
        if said := rules.effective_sentence.search(text):
            start, end = _sentence_at(text, said.start(), said.end())
            quotes = [Quote(article, text, start, end)]
            if value:  # the date it refers to: the 公布/发布 line
                for note, note_text in notices:
                    if found := loose(value).search(note_text):
                        quotes.append(Quote(note, note_text, *_line_at(note_text, found.start(), found.end())))
                        break
            return quotes
    return []


def _order(documents: list[Document], fields: tuple[str, ...], catalogue: Catalogue) -> tuple[Draft, list[Hit]]:
    """Documents by date, earliest first, each date cited from the line that states it. The date is
    the one asked ("施行日期哪个早"), else each document's first known of 成文, 公布, 通过, 施行 (a law
    states when it was adopted and takes effect, not when it was written)."""
    asked = [MetadataField(f) for f in fields if f in DATE_ORDER]
    dated = []
    for document in documents:
        field = next((f for f in asked or DATE_ORDER if getattr(document, f, "")), None)
        if field is not None:
            dated.append((getattr(document, field), field, document))
    if not dated:
        return Draft(f"{REFUSAL}（文件未载明日期。）", [], True), []
    dated.sort(key=lambda entry: entry[0])
    composer = Composer()
    kinds = {field for _, field, _ in dated}
    by = FIELD_LABELS[dated[0][1]] if len(kinds) == 1 else "日期"
    lines, hits = [f"按{by}，最早的是{citation_label(dated[0][2].title)}，依次为："], []
    for _, field, document in dated:
        value = field_value(document, field)
        marker = ""
        for quote in find_quotes(document, field, value, catalogue)[:1]:
            hits.append(Hit(quote.article, 1.0, via=Via.METADATA))
            marker = composer.cite(quote.article, quote.text, quote.start, quote.end)
        named = "" if len(kinds) == 1 else FIELD_LABELS[field]
        lines.append(citation_label(document.title) + f"：{named}{value}{marker}")
    return Draft("\n".join(lines), composer.citations, False), hits
