"""The short direct line an answer opens with: the figure or date the question asks for, copied
verbatim from a quoted sentence and followed by that sentence's `[n]` ("内江和自贡相距多远" → "28公里[1]").

It is chosen, never made: a figure of the kind asked ("多少亿元" an amount in 亿元, "几天" a count of
days, "什么时候" a date), in a quote the answer already cites, close to the question's own words in that
quote. When the quotes hold no such figure there is no direct line: it is never guessed. The words a
figure is written with are data (`direct.toml`); how close is close is `AnswerSettings.direct_max_distance`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.answer.evidence import Weights
from rag.query.reader import MetadataField, Question, Want, default_intents
from rag.records import Citation

DIRECT_FILE = Path(__file__).with_name("direct.toml")
# A date as documents write it: "2019年12月底前", "2022年1月1日起", "6月30日".
_DATE = re.compile(
    r"(?:[\d一二两三四五六七八九十百]+个?(?:工作日|小时|天|日|周|月|年)(?=内|以内|之内)"  # a deadline: "20个工作日内"
    r"|(?:\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月(?:\d{1,2}日)?|\d{1,2}日)(?:底|末|初|中旬|上旬|下旬)?"
    r"|年内|年底|年末|上半年|下半年|月底|月末)(?:前|以前|之前|起|以后|之后|内)?"
)
_YEAR_ONLY = re.compile(r"(?:19|20)\d{2}年")
_LONE_ONE = re.compile(r"^(?:[^\d〇一二两三四五六七八九十半]*)一(?![〇一二两三四五六七八九十百千万亿半\d.])")
_TIME_ONLY_EXTRA = 2  # characters beside a figure in a clause that is only that figure ("到2025年", "在三日内")
_CLAUSE_END = re.compile(r"[，,；;。！？!?：:\n]")
_REFERENCE_BEFORE = ("第",)  # "第十二条", "第3项": a reference, not a figure
_ASKED = re.compile(
    r"(?:多少|几)(?P<after>[\u4e00-\u9fff%]{1,4})|多(?P<far>远|久|长时间)|(?P<before>[\u4e00-\u9fff]{1,2})多少"
)
_COUNTS = re.compile(r"几个|多少个")  # "设几个副召集人": a count, whatever it is counted in


@dataclass(frozen=True)
class Words:
    """direct.toml: units, the words around a figure, range joiners, the units each asking word wants."""

    units: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    joiners: tuple[str, ...]
    asked: dict[str, tuple[str, ...]]
    asked_before: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def words(path: Path = DIRECT_FILE) -> Words:
    """The words figures are written with (`direct.toml`)."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return Words(
        units=tuple(data["units"]),
        before=tuple(data["before"]),
        after=tuple(data["after"]),
        joiners=tuple(data["range_joiners"]),
        asked={k: tuple(v) for k, v in data["asked"].items()},
        asked_before={k: tuple(v) for k, v in data["asked_before"].items()},
    )


@lru_cache(maxsize=1)
def figure_pattern() -> re.Pattern[str]:
    """A number with its unit, the words around it and, for a range, its other end:
    "约28公里", "2万亿元左右", "二千元以上五千元以下", "6个月至12个月", "三日内"."""
    found = words()
    han = "[零〇一二两三四五六七八九十百千万亿半]*[〇一二两三四五六七八九十半][零〇一二两三四五六七八九十百千万亿半]*"
    number = rf"(?:\d+(?:\.\d+)?[万亿千百]*|{han}|[百千]万|[Ⅰ-Ⅻ]+)"
    share = "百分之[零〇一二两三四五六七八九十百点]+"  # a share needs no unit
    one = rf"(?:(?:{_alternation(found.before)})?{number}(?:{_alternation(found.units)})|{share})"
    after = rf"(?:{_alternation(found.after)})?"
    return re.compile(rf"{one}{after}(?:(?:{_alternation(found.joiners)})?{one}{after})?")


def _alternation(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


@dataclass(frozen=True)
class Figure:
    """A figure found in a quote: its words verbatim and the citation it is in."""

    text: str
    n: int
    distance: int  # characters between it and the nearest of the question's words in its clause


def asked_units(question: Question) -> tuple[str, ...]:
    """The units the answer's figure must be in: the reader's (`Question.units`, "多少亿元") with those
    of the word after 多少/几 ("几天" → 天, 日, 工作日) or of the verb before 多少 ("罚多少" → 元)."""
    return tuple(dict.fromkeys(question.units + _units_asked(question.normalised)))


def _units_asked(text: str) -> tuple[str, ...]:
    table = words()
    for match in _ASKED.finditer(text):
        if asked := match["after"] or match["far"]:
            for key in sorted(table.asked, key=len, reverse=True):
                if asked.startswith(key):
                    return table.asked[key]
        if before := match["before"]:
            for key in sorted(table.asked_before, key=len, reverse=True):
                if before.endswith(key):
                    return table.asked_before[key]
    return ()


def asks_number(question: Question) -> bool:
    """The question asks for a figure: the reader says so, or it asks "几天", "多少个月", "多久"."""
    return Want.NUMBER in question.wants or (
        not question.wants & {Want.LIST, Want.LOCATE} and bool(_units_asked(question.normalised))
    )


def asks_figure(question: Question) -> bool:
    """The question asks for a figure or a date of the text: not for a list, nor where something is
    said, nor a document's own number or dates ("第几号令": a lookup answers those)."""
    if question.wants & {Want.LIST, Want.LOCATE} or question.metadata_fields:
        return False
    if any(phrase in question.normalised for phrase in default_intents().metadata[MetadataField.DOC_NUMBER]):
        return False
    return asks_number(question) or Want.DATE in question.wants


def find_figure(question: Question, citations: list[Citation], weights: Weights, max_distance: int) -> Figure | None:
    """The figure or date of the kind asked in a clause of a quote that holds one of the question's
    words, at most `max_distance` characters from it: the nearest, then the one whose clause holds
    most of them ("对个人处…罚款" for "个人罚多少"), then the earlier source; None when there is none. A
    clause that is only a time ("2019年12月底前，试点地区完成…") belongs to the clause after it. A
    figure in another clause is never taken: "建设基地12个，…打造区域品牌" says nothing of brands."""
    if not asks_figure(question):
        return None
    terms = _terms(weights)
    units = asked_units(question)
    best: tuple[tuple[int, int, int], Figure] | None = None
    for order, citation in enumerate(c for c in citations if not c.related_only):
        for quote in citation.quotes:
            places = [(m.start(), m.end()) for t in terms for m in re.finditer(re.escape(t), quote)]
            for start, end in _candidates(question, quote, units) if places else ():
                distance = min(_gap(start, end, a, b) for a, b in places)
                if distance > max_distance:
                    continue
                clause = _clause_of(quote, start, end)
                held = {quote[a:b] for a, b in places if clause[0] <= a and b <= clause[1]}
                if not held:
                    continue
                key = (distance, -len(held), order)
                if best is None or key < best[0]:
                    best = (key, Figure(quote[start:end], citation.n, distance))
    return best[1] if best else None


def holds_figure(question: Question, citations: list[Citation], terms: list[str]) -> bool:
    """Some cited article about the question (a document it names, or one whose quotes, heading or
    title hold one of `terms`, the question's words) has a quote holding a figure or date of the
    kind asked: the answer gives one, if not necessarily the nearest. An article counts whole: the
    offence and its fine are two quotes of one provision ("…责令改正；" "拒不改正的，处五百元罚款。")."""
    units = asked_units(question)
    for citation in citations:
        if citation.related_only:
            continue
        article = citation.article
        about = "\n".join([article.doc_title, article.chapter, article.section, *citation.quotes])
        if terms and article.doc_id not in question.doc_ids and not any(t in about for t in terms):
            continue
        if any(_candidates(question, quote, units) for quote in citation.quotes):
            return True
    return False


def quotes_date(text: str) -> bool:
    """`text` states a date ("2018年10月27日", "2019年12月底前")."""
    return _DATE.search(text) is not None


def direct_line(question: Question, citations: list[Citation], weights: Weights, max_distance: int) -> str | None:
    """ "28公里[1]": the figure asked for with the marker of the quote it is copied from, or None."""
    figure = find_figure(question, citations, weights, max_distance)
    return f"{figure.text}[{figure.n}]" if figure else None


def _terms(weights: Weights) -> list[str]:
    """The question's words to measure closeness to (no years, no units: "2025年" is everywhere)."""
    found = [
        t
        for t in weights.terms
        if len(t) >= 2 and not _YEAR_ONLY.fullmatch(t) and not any(u in t or t in u for u in weights.units)
    ]
    found += [alt for t in found for alt in weights.alternatives.get(t, ())]
    return found


def _candidates(question: Question, quote: str, units: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans of `quote` that hold a figure of the asked kind."""
    spans: list[tuple[int, int]] = []
    titles = [(m.start(), m.end()) for m in re.finditer(r"《[^》]*》", quote)]
    inside_title = lambda s: any(a <= s < b for a, b in titles)  # noqa: E731
    if asks_number(question):
        for match in figure_pattern().finditer(quote):
            text = match.group()
            start = match.start()
            if inside_title(start) or quote[max(0, start - 1) : start] in _REFERENCE_BEFORE:
                continue
            if _YEAR_ONLY.match(text) or any(text.startswith(year) for year in question.years):
                continue  # "2025年" is a date, and the year asked about is not the answer
            if units and not any(u in text for u in units):
                continue
            if not units and _LONE_ONE.match(text) and not _COUNTS.search(question.normalised):
                continue  # "一批", "一项": an article more often than a count, unless a unit is asked
            spans.append(match.span())
    if Want.DATE in question.wants:
        for match in _DATE.finditer(quote):
            if inside_title(match.start()) or match.group() in {f"{y}年" for y in question.years}:
                continue
            spans.append(match.span())
    return spans


def _gap(start: int, end: int, a: int, b: int) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, a - end, start - b)


def _clause_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause (between commas, semicolons, stops) that holds text[start:end], with the clause after
    it when it is only that figure ("2019年12月底前，")."""
    before = [m.end() for m in _CLAUSE_END.finditer(text, 0, start)]
    first = before[-1] if before else 0
    after = _CLAUSE_END.search(text, end)
    last = after.start() if after else len(text)
    if after and len(text[first:last]) - (end - start) <= _TIME_ONLY_EXTRA:
        following = _CLAUSE_END.search(text, after.end())
        last = following.start() if following else len(text)
    return first, last
