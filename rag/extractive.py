"""The extractive answerer (default, offline): sentences taken verbatim from the retrieved articles,
each followed by its `[n]`, with at most a short label naming the source.

The selection follows the question: a figure question takes the sentence whose clause holds a figure
(with the unit and year asked for), a list question the article's items, a "which document" question
the places where the words occur, a comparison one sentence per document, a question in several
parts an answer per part. When nothing covers enough of the question, the answer is a refusal that
offers the closest articles as possibly related.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from ingest.headings import match_heading
from rag.citations import Composer
from rag.evidence import Passage, Sentence, Weights, figures, has_date, has_unit, passages, sentences
from rag.index import Catalogue
from rag.keyword import tokenize
from rag.question import QUESTION_WORD, Question
from rag.records import REFUSAL, Draft, Hit
from rag.settings import AnswerSettings

Retrieve = Callable[[str, tuple[str, ...]], list[Hit]]  # (question text, doc ids) → hits
Read = Callable[[str], Question]

EVIDENCE_ARTICLES = 6  # whole articles whose sentences are considered
RELATED_ON_REFUSAL = 3  # articles offered as possibly related when refusing
SENTENCE_WEIGHT, ARTICLE_WEIGHT, RETRIEVAL_WEIGHT = 0.6, 0.25, 0.15  # how a sentence's score is made
MIN_SENTENCE_COVERAGE = 0.3  # the answering sentence itself must hold this share of the question
MISSING_KIND_PENALTY = 0.5  # a figure/date question's sentence without a figure/date
EXTRA_SENTENCE_SHARE = 0.75  # a further sentence (or document) must score this share of the best
MIN_LIST_ITEMS = 2
LIST_HEADING_COVERAGE = 0.5  # the article is about the list when its heading and intro cover this
LEAD_MAX_CHARS = 30  # a paragraph's lead sentence ("沿长江发展轴。") is this short
MAX_LIST_ITEMS = 10
KEYWORD_QUERY_MAX_CHARS = 16  # a bare phrase ("气大庆") is answered like "where is this said"
COMPARE_SENTENCES = 2  # sentences per document in a comparison
INHERIT_BELOW_TERMS = 2  # a sub-question with fewer terms ("2025年要达到多少") borrows the first one's subject
# Lines that say who is responsible ("责任单位:…") answer only questions about that.
ATTRIBUTION = re.compile(r"^(?:责任单位|牵头单位|配合单位)[:：]")
ASKS_ATTRIBUTION = re.compile(r"单位|部门|负责|牵头|责任")
_CLAUSE = re.compile(r"[^，,；;。！？]+")
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}年?")


@dataclass(frozen=True)
class Scored:
    score: float
    sentence: Sentence


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings, refusal_threshold: float) -> None:
        self.settings = settings
        self.threshold = refusal_threshold

    def answer(self, question: Question, hits: list[Hit], catalogue: Catalogue, retrieve: Retrieve, read: Read) -> Draft:
        weights = Weights(question, catalogue.keyword)
        evidence = passages(hits, catalogue, EVIDENCE_ARTICLES)
        composer = Composer()
        if question.foreign > self.settings.max_foreign_share:
            return self.refusal(evidence, weights)  # the question is about things no plan speaks of
        if "compare" in question.wants and len(question.doc_ids) >= 2:
            lines = self._per_document(question, catalogue, retrieve, composer)
        elif question.parts:
            lines = self._per_part(question, catalogue, retrieve, read, composer)
        else:
            lines = self._shaped(question, weights, evidence, composer)
        if not lines:
            return self.refusal(evidence, weights)
        return Draft("\n".join(dict.fromkeys(lines)), composer.citations, False)

    def _shaped(self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer) -> list[str] | None:
        """The answer lines for one question, by what it asks for."""
        if question.quoted and question.wants & {"list", "locate"}:
            return self._mentions(question, weights, evidence, composer)
        if "locate" in question.wants or _is_keyword_query(question):
            return self._locate(question, weights, evidence, composer)
        if "list" in question.wants:
            return self._list(question, weights, evidence, composer)
        return self._best_sentences(question, weights, evidence, composer)

    # -- scoring -----------------------------------------------------------------------------
    def ranked(self, question: Question, weights: Weights, evidence: list[Passage]) -> list[Scored]:
        """Sentences that meet the question's hard demands, best first."""
        scored = []
        asks_attribution = ASKS_ATTRIBUTION.search(question.normalised) is not None
        for passage in evidence:
            if any(name not in passage.context for name in question.names):
                continue
            article_coverage = weights.coverage(passage.context)
            for sentence in sentences(passage):
                text = sentence.text
                if sentence.is_heading or (ATTRIBUTION.match(text) and not asks_attribution):
                    continue
                if any(year not in sentence.paragraph + passage.article.doc_title for year in question.years):
                    continue
                if question.units and not has_unit(text, question.units):
                    continue
                coverage = weights.coverage(sentence.topic)
                score = SENTENCE_WEIGHT * coverage + ARTICLE_WEIGHT * article_coverage + RETRIEVAL_WEIGHT * passage.hit.score
                if not self._has_asked_kind(question, weights, text):
                    score *= MISSING_KIND_PENALTY
                scored.append(Scored(score if coverage >= MIN_SENTENCE_COVERAGE else score * MISSING_KIND_PENALTY, sentence))
        return sorted(scored, key=lambda s: -s.score)

    @staticmethod
    def _has_asked_kind(question: Question, weights: Weights, text: str) -> bool:
        """A figure/date question needs its figure/date in a clause that speaks of the question's
        terms: in "推动资阳线完成盾构施工,成自高铁年内建成通车" the date belongs to 成自高铁 only."""
        if not question.wants & {"number", "date"}:
            return True
        for clause in _CLAUSE.findall(text):
            if weights.coverage(clause) == 0 and not question.units:
                continue
            if "number" in question.wants and figures(clause, question.years):
                return True
            if "date" in question.wants and has_date(clause):
                return True
        return False

    def _answerable(self, ranked: list[Scored]) -> bool:
        return bool(ranked) and ranked[0].score >= self.threshold

    def _best_sentences(
        self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer, limit: int | None = None
    ) -> list[str] | None:
        """The best sentence (with the next one when it is only a lead-in), and further sentences of
        the same article that also answer (at most `limit` sentences in all)."""
        ranked = self.ranked(question, weights, evidence)
        if not self._answerable(ranked):
            return None
        best = ranked[0].sentence
        chosen = [best] + _continuation(best)
        if not question.wants & {"number", "date"}:
            for other in ranked[1:]:
                if len(chosen) >= (limit or self.settings.max_sentences):
                    break
                same_article = other.sentence.passage.key == best.passage.key
                if same_article and other.score >= EXTRA_SENTENCE_SHARE * ranked[0].score and other.sentence not in chosen:
                    chosen.append(other.sentence)
        spans = sorted({(s.start, s.end) for s in chosen})
        return [_source_line(best.passage, spans, composer)]

    # -- question shapes ------------------------------------------------------------------------
    def _list(self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer) -> list[str] | None:
        """The items of the article the list is about, or the best enumerating sentence."""
        for passage in evidence[:3]:
            items = _items(passage)
            if len(items) < MIN_LIST_ITEMS or any(name not in passage.context for name in question.names):
                continue
            about = passage.article.section + passage.article.chapter + passage.text[: items[0][0]]
            if weights.coverage(about) >= LIST_HEADING_COVERAGE:
                return [_source_line(passage, items[:MAX_LIST_ITEMS], composer, one_per_line=True)]
        ranked = self.ranked(question, weights, evidence)
        if not self._answerable(ranked):
            return None
        enumerating = [s for s in ranked if s.sentence.text.count("、") >= MIN_LIST_ITEMS - 1]
        if enumerating and enumerating[0].score >= EXTRA_SENTENCE_SHARE * ranked[0].score:
            sentence = enumerating[0].sentence
            return [_source_line(sentence.passage, [(sentence.start, sentence.end)], composer)]
        return self._best_sentences(question, weights, evidence, composer)

    def _locate(self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer) -> list[str] | None:
        """Where the words occur: the best sentence of each document that says it, naming the clause."""
        ranked = self.ranked(question, weights, evidence)
        if not self._answerable(ranked):
            return None
        lines, seen_documents = [], set()
        for scored in ranked:
            passage = scored.sentence.passage
            if passage.article.doc_id in seen_documents or scored.score < EXTRA_SENTENCE_SHARE * ranked[0].score:
                continue
            seen_documents.add(passage.article.doc_id)
            chosen = [scored.sentence] + _continuation(scored.sentence)
            lines.append(_source_line(passage, _span_of(chosen), composer))
            if len(lines) == self.settings.max_sentences:
                break
        return lines

    def _mentions(self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer) -> list[str] | None:
        """Every sentence that holds the quoted phrase ("“中国牙谷”有关的安排有哪些"), best first."""
        ranked = [s for s in self.ranked(question, weights, evidence) if any(q in s.sentence.text for q in question.quoted)]
        if not self._answerable(ranked):
            return None
        lines = []
        for scored in ranked[: self.settings.max_sentences]:
            sentence = scored.sentence
            lines.append(_source_line(sentence.passage, [(sentence.start, sentence.end)] + _span_of(_continuation(sentence)), composer))
        return lines

    def _per_document(self, question: Question, catalogue: Catalogue, retrieve: Retrieve, composer: Composer) -> list[str] | None:
        """A comparison: the best sentence of each named document."""
        weights = Weights(question, catalogue.keyword)
        lines, answered = [], 0
        for doc_id in question.doc_ids:
            evidence = passages(retrieve(question.content, (doc_id,)), catalogue, EVIDENCE_ARTICLES)
            found = self._best_sentences(question, weights, evidence, composer, limit=COMPARE_SENTENCES)
            if found:
                lines += found
                answered += 1
            else:
                lines.append(f"《{catalogue.documents_by_id[doc_id].title}》：未找到相关内容。")
        return lines if answered else None

    def _per_part(self, question: Question, catalogue: Catalogue, retrieve: Retrieve, read: Read, composer: Composer) -> list[str] | None:
        """A question in several parts ("…是多少？到2025年又是多少？"): an answer for each part."""
        lines: list[str] = []
        first: Question | None = None
        for part in question.parts:
            sub = read(part)
            doc_ids = sub.doc_ids or question.doc_ids
            if first is not None and len(tokenize(sub.content)) - len(sub.years) < INHERIT_BELOW_TERMS:
                subject = _YEAR_WORD.sub("", first.content)  # the first part's subject, not its year
                sub = read(subject + "，" + part)
            first = first or sub
            sub = replace(sub, doc_ids=doc_ids)
            weights = Weights(sub, catalogue.keyword)
            evidence = passages(retrieve(sub.query, doc_ids), catalogue, EVIDENCE_ARTICLES)
            lines += self._shaped(sub, weights, evidence, composer) or []
        return lines or None

    def refusal(self, evidence: list[Passage], weights: Weights) -> Draft:
        """The plain refusal, with the closest articles offered as possibly related (not as support)."""
        composer = Composer()
        related = []
        for passage in evidence[:RELATED_ON_REFUSAL]:
            best = max(sentences(passage), key=lambda s: weights.coverage(s.text), default=None)
            if best is None:
                continue
            composer.cite(passage.article, passage.text, best.start, best.end, related_only=True)
            related.append(f"《{passage.article.doc_title}》{passage.article.clause_ref}{passage.heading}")
        text = REFUSAL
        if related:
            text += "可能相关的条款：" + "；".join(related) + "。"
        return Draft(text, composer.citations, True)


def _source_line(passage: Passage, spans: list[tuple[int, int]], composer: Composer, one_per_line: bool = False) -> str:
    """"《title》clause heading：" followed by the chosen spans of the article, each with its marker."""
    article = passage.article
    joiner = "\n" if one_per_line else ""
    pieces = [passage.text[start:end] + composer.cite(article, passage.text, start, end) for start, end in spans]
    return f"《{article.doc_title}》{article.clause_ref}{passage.heading}：" + joiner + joiner.join(pieces)


def _continuation(sentence: Sentence) -> list[Sentence]:
    """The next sentence of the paragraph when `sentence` only leads into it ("大力发展“四新一大”产业。")."""
    if len(sentence.text) > LEAD_MAX_CHARS:
        return []
    following = [s for s in sentences(sentence.passage) if s.start > sentence.start and s.paragraph == sentence.paragraph]
    return following[:1]


def _span_of(chosen: list[Sentence]) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in chosen]


def _items(passage: Passage) -> list[tuple[int, int]]:
    """The items of an article: its bullet paragraphs ("——…") or the lead sentences of its paragraphs."""
    text = passage.text
    spans = []
    position = 0
    for number, line in enumerate(text.split("\n")):
        start = position
        position += len(line) + 1
        if not line.strip() or match_heading(line):
            continue  # the article's heading line (and a chapter heading above it)
        lead = line.split("。")[0] + "。" if "。" in line else line
        if line.startswith(("——", "—")) or (len(lead) <= LEAD_MAX_CHARS and len(line) > len(lead)):
            spans.append((start, start + len(lead)))
    return spans


def _is_keyword_query(question: Question) -> bool:
    """A bare phrase ("气大庆"), no question word in it."""
    return len(question.text) <= KEYWORD_QUERY_MAX_CHARS and not question.wants and not QUESTION_WORD.search(question.text)
