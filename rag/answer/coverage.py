"""How much of a question an answer covers: "full", "partial" (with the asks that found no evidence),
or "none" for a refusal.

A question asks for several things at once, and an answer can hold some of them only:
- each part of a question in parts ("…是多少？到2025年又是多少？"), each document of a comparison;
- a figure or a date ("多少", "几天内", "什么时候"): a cited article about it must quote one of the kind
  asked (`rag.answer.direct.holds_figure`; the direct line asks more: the figure in the clause that
  speaks of the question's words);
- the number of items a list question names ("哪三个县区");
- the question's own words: what it is about. An ask whose weighted words (IDF, as the evidence score
  weighs them, `rag.answer.evidence.Weights`) the quoted sentences and their headings mostly do not
  hold — `AnswerSettings.coverage_missing_share` of its weight — found no evidence, and the words
  missing are named ("交通建设").
Words that only say how the question asks (intents.toml's phrases, the asking words, clause numbers,
"措施"-like words naming the kind of thing listed) are not asks. Lookups of a clause or of a document's
facts answer exactly what they were asked, or refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.text import chinese_number, normalise
from rag.answer.direct import asked_units, asks_figure, holds_figure, quotes_date
from rag.answer.evidence import Weights
from rag.answer.shapes import generic_words
from rag.answer.titles import short_title
from rag.query.names import name_rules
from rag.query.reader import QUESTION_WORD, Question, QuestionReader, Want, default_intents, synonyms
from rag.records import Citation, Coverage, Draft
from rag.search.keyword import KeywordSearch, pos_tags
from rag.settings import AnswerSettings
from rag.store.catalogue import Catalogue

NOUN_FLAGS = ("n", "vn", "eng", "j")  # nouns (places, names, terms), verbal nouns, Latin words, abbreviations
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}年?")
_YEAR_TERM = re.compile(r"^((?:19|20)\d{2})年$")
_CLAUSE_WORD = re.compile(r"第|^[一二三四五六七八九十百千零〇\d]+[编章节条款项目部分]")
# "哪三个县区", "四个发展定位是什么": a list question that says how many items it wants
_COUNT_ASKED = re.compile(
    r"哪(?P<a>[两二三四五六七八九十])[个项条种类大家所]|(?P<b>[两二三四五六七八九十])[个项条种类大](?=[^，,。？?]{0,10}(?:是什么|有哪些|分别是|是哪|指什么))"
)
_ONE_ASKED = re.compile(r"哪(?:个|一|家|座|条|位|份)(?!些)")  # "哪个5A级景区": one thing
_COUNT_ANSWERED = re.compile(r"共(\d+)[项条]")


@dataclass(frozen=True)
class Assessed:
    coverage: Coverage
    missing: tuple[str, ...] = ()  # the asks that found no evidence, in the question's words


@lru_cache(maxsize=1)
def _asking_phrases() -> frozenset[str]:
    """The phrases that ask for a figure, a date, a list ("多长", "多少", "哪些"): a word holding one asks."""
    return frozenset(p for group in default_intents().wants.values() for p in group if len(p) >= 2)


@lru_cache(maxsize=1)
def _not_asks() -> frozenset[str]:
    """Words that say how a question asks, not what: intents.toml's phrases, the asking words, and the
    words naming the kind of thing a list holds (shapes.toml)."""
    intents = default_intents()
    phrases = [p for group in intents.metadata.values() for p in group] + list(intents.about_document)
    phrases += [p for group in intents.wants.values() for p in group]
    phrases += [w for pair in intents.metadata_pairs.values() for group in pair for w in group]
    return frozenset(phrases) | intents.asking | generic_words()


def assess(
    question: Question,
    draft: Draft,
    reader: QuestionReader,
    catalogue: Catalogue,
    settings: AnswerSettings,
    looked_up: bool = False,
) -> Assessed:
    """The coverage of `draft` as an answer to `question` (see the module's docstring)."""
    if draft.refused:
        return Assessed(Coverage.NONE)
    if looked_up:
        return Assessed(Coverage.FULL)
    cited = [c for c in draft.citations if not c.related_only]
    keyword = catalogue.keyword
    missing: list[str] = []
    if Want.COMPARE in question.wants and len(question.doc_ids) >= 2:
        missing += _per_document(question, cited, catalogue, settings)
    elif question.parts:
        first: Question | None = None
        for part in question.parts:
            sub = reader.read(part)
            if sub.metadata_fields:  # "这个方案是哪天印发的": looked up like a question of its own
                missing += [] if _states_metadata(sub, cited) else [_figure_ask(sub, part)]
                continue
            if first is not None and not asked_terms(
                sub, Weights(sub, keyword, settings.nested_term_share), keyword, []
            ):
                sub = reader.read(_YEAR_WORD.sub("", first.content) + "，" + part)  # "到2025年又是多少"
            first = first or sub
            missing += _missing(sub, draft, cited, keyword, settings, part)
    else:
        missing += _missing(question, draft, cited, keyword, settings, question.text)
    missing = list(dict.fromkeys(missing))
    return Assessed(Coverage.PARTIAL if missing else Coverage.FULL, tuple(missing))


def _missing(
    question: Question,
    draft: Draft,
    cited: list[Citation],
    keyword: KeywordSearch,
    settings: AnswerSettings,
    asked: str,
) -> list[str]:
    """What one ask (a question or one of its parts) found no evidence for."""
    weights = Weights(question, keyword, settings.nested_term_share)
    if not question.metadata_fields:
        missing = uncovered(question, weights, keyword, cited, settings.coverage_missing_share)
        if missing:  # its own words name what is missing; the figure or list it asks for goes with them
            return missing
    terms = [w for t in asked_terms(question, weights, keyword, []) for w in (t, *_other_words(t, weights))]
    if asks_figure(question) and not holds_figure(question, cited, terms):
        return [_figure_ask(question, asked)]
    return _fewer_items(question, draft, cited, terms, settings.coverage_list_items)


def _states_metadata(question: Question, cited: list[Citation]) -> bool:
    """A part asking for a document's date is answered when a quote states a date; other facts of a
    document (文号, 发文机关) are taken as answered when anything is cited."""
    dates = [f for f in question.metadata_fields if f.startswith("date_")]
    return bool(cited) and (not dates or any(quotes_date(q) for c in cited for q in c.quotes))


def _per_document(
    question: Question, cited: list[Citation], catalogue: Catalogue, settings: AnswerSettings
) -> list[str]:
    """A comparison: each document named must answer, and hold what is asked of it."""
    weights = Weights(question, catalogue.keyword, settings.nested_term_share)
    titles = {d: catalogue.documents_by_id[d].title for d in question.doc_ids if d in catalogue.documents_by_id}
    missing = []
    for doc_id, title in titles.items():
        own = [c for c in cited if c.article.doc_id == doc_id]
        if not own:
            missing.append(f"《{short_title(title, settings.short_title_chars)}》")
            continue
        others = [t for d, t in titles.items() if d != doc_id]
        missing += uncovered(question, weights, catalogue.keyword, own, settings.coverage_missing_share, others)
    return missing


def uncovered(
    question: Question,
    weights: Weights,
    keyword: KeywordSearch,
    cited: list[Citation],
    share: float,
    other_titles: list[str] | None = None,
) -> list[str]:
    """The question's words the quotes do not hold, as phrases of the question ("交通建设"), when they
    weigh at least `share` of its words; else nothing. Words of `other_titles` (the other documents
    of a comparison) are not asked of these quotes."""
    terms = asked_terms(question, weights, keyword, other_titles or [])
    if not terms:
        return []
    text, quotes, context = _evidence(cited)
    missing = [t for t in terms if not _holds(t, text, quotes, context, weights)]
    if sum(terms[t] for t in missing) < share * sum(terms.values()):
        return []
    return _phrases(question.content, missing)


def asked_terms(
    question: Question, weights: Weights, keyword: KeywordSearch, other_titles: list[str]
) -> dict[str, float]:
    """The question's weighted nouns that say what it asks about ("交通", "建设" in "交通建设"), with
    its quoted phrases and years. Verbs and adverbs are left out: documents say them otherwise
    ("离得多远" is answered by "距离"), and a question's nouns name what it is about."""
    excluded = _not_asks()
    terms = {t: w for t, w in weights.terms.items() if t in question.quoted or _YEAR_TERM.match(t)}
    for word, flag in pos_tags(question.content):
        word = word.lower()
        if not flag.startswith(NOUN_FLAGS) or len(word) < 2 or QUESTION_WORD.search(word):
            continue
        if word in excluded or any(word in phrase for phrase in excluded if len(phrase) > len(word)):
            continue
        if any(phrase in word for phrase in _asking_phrases()):
            continue  # "多长时间": how it asks
        if not keyword.frequency(word) and flag != "eng" and not _other_words(word, weights):
            continue  # a word no document uses ("狗狗", "商家") and no list translates: not checked
        if _CLAUSE_WORD.search(word) or any(u in word or word in u for u in weights.units):
            continue
        if any(word in title for title in other_titles) or weights.negated(word):
            continue  # "没有资质": the document says the absence in its own words (擅自, 未取得)
        weight = weights.terms.get(word) or max((w for t, w in weights.terms.items() if t in word), default=0.0)
        if flag == "eng" and not weight:
            weight = max(weights.terms.values(), default=1.0)  # "IPv6": a Latin word is specific
        if weight > 0:
            terms[word] = weight
    return terms


def _evidence(cited: list[Citation]) -> tuple[str, str, str]:
    """What the answer holds: its quotes with their headings and titles; its quotes alone; and the
    context years are read in (the whole cited articles: "到2025年" heads a list of items)."""
    quoted, quotes, context = [], [], []
    for c in cited:
        a = c.article
        heads = [a.doc_title, a.chapter, a.section]
        quoted += heads + c.quotes
        quotes += c.quotes
        context += heads + [c.text]
    return _joined(quoted), _joined(quotes), _joined(context)


def _joined(pieces: list[str]) -> str:
    """Pieces of text as one, in the form the question's words are matched in (NFKC, lower case)."""
    return normalise("\n".join(pieces)).lower()


@lru_cache(maxsize=1)
def _kind_words() -> frozenset[str]:
    """Words naming a kind of document or thing ("方案", "条例", "措施"): a piece of a term that is one
    of them says nothing of what the term names ("实施方案" is not held by "…试点工作方案")."""
    rules = name_rules()
    return frozenset(rules.kinds) | frozenset(rules.generic) | generic_words()


def _holds(term: str, text: str, quotes: str, context: str, weights: Weights) -> bool:
    """The answer holds `term` (`text`: its quotes with their headings and titles): itself, the
    documents' word for it (synonyms.toml), or for a compound of three or more characters a quote
    holds a two-character piece of it that is not a kind word ("收留所" in "犬只收留")."""
    if year := _YEAR_TERM.match(term):
        return year[1] in context
    if term in text or any(word in text for word in _other_words(term, weights)):
        return True
    pieces = [term[i : i + 2] for i in range(len(term) - 1)] if len(term) >= 3 else []
    return any(piece in quotes for piece in pieces if piece not in _kind_words())


def _other_words(term: str, weights: Weights) -> tuple[str, ...]:
    """The documents' words for `term` (the question's alternatives, synonyms.toml both ways)."""
    everyday = tuple(word for word, terms in synonyms().items() if term in terms)
    return weights.alternatives.get(term, ()) + synonyms().get(term, ()) + everyday


def _phrases(content: str, terms: list[str]) -> list[str]:
    """The missing terms as runs of the question: neighbouring terms make one phrase ("交通"+"建设")."""
    spans = sorted((at, at + len(t)) for t in terms if (at := content.find(t)) >= 0)
    runs: list[list[int]] = []
    for start, end in spans:
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    found = [content[a:b] for a, b in runs]
    return found + [t for t in terms if content.find(t) < 0]


def _figure_ask(question: Question, asked: str) -> str:
    """How to name a figure or date the answer lacks: the ask itself, without its question mark."""
    return asked.strip().rstrip("？?。，, ")


def _fewer_items(question: Question, draft: Draft, cited: list[Citation], terms: list[str], least: int) -> list[str]:
    """A list question answered with fewer items than it names ("哪三个县区"), or, naming none, with no
    list: no items ("共4项"), fewer than `least` quoted sentences about the question (holding one of
    `terms`, or under a heading that does) and no such sentence enumerating `least` things ("A、B、C").
    A question asking for one thing ("哪个5A级景区"), for years ("哪几年") or for where something is
    said is no list question here."""
    if Want.LIST not in question.wants or Want.LOCATE in question.wants or asked_units(question):
        return []
    match = _COUNT_ASKED.search(question.normalised)
    if not match and _ONE_ASKED.search(question.normalised):
        return []
    wanted = chinese_number(match["a"] or match["b"]) if match else least
    listed = [int(n) for n in _COUNT_ANSWERED.findall(draft.text)]
    if listed and not match:
        return []
    about, enumerated = 0, 0
    for c in cited:
        heading = normalise(c.article.chapter + c.article.section).lower()
        for quote in c.quotes:
            if terms and not any(t in heading or t in normalise(quote).lower() for t in terms):
                continue
            about += 1
            enumerated = max([enumerated, *(clause.count("、") + 1 for clause in re.split(r"[，,；;。]", quote))])
    if max([*listed, enumerated, about if not match else 0]) >= wanted:
        return []
    if match:
        # the count and the two characters after it: "三个县区" of "哪三个县区"
        return [question.normalised[match.start() + 1 : match.end() + 2].rstrip("？?，,是")]
    return [_figure_ask(question, question.text)]
