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
from dataclasses import dataclass, replace

from ingest.text import citation_label
from rag.answer.citations import Composer
from rag.answer.evidence import Passage, Sentence, Weights, figures, has_date, has_unit, passages, sentences
from rag.answer.metadata import metadata_answer
from rag.answer.refusal import answers, answers_in_named_document, support
from rag.answer.scope import Scope
from rag.answer.shapes import generic_words, introductions, items
from rag.query.reader import QUESTION_WORD, Question
from rag.records import REFUSAL, Draft, Hit
from rag.search.keyword import tokenize
from rag.settings import AnswerSettings
from rag.store.catalogue import Catalogue

# The numbers that tune the answer are in `AnswerSettings`; these are rules of the plans' text.
# Lines that say who is responsible ("责任单位:市发展改革委") answer only questions about that.
ATTRIBUTION = re.compile(r"^(?:责任单位|牵头单位|配合单位)[:：]")
ASKS_ATTRIBUTION = re.compile(r"单位|部门|负责|牵头|责任")
# A clause of a sentence: "推动资阳线完成盾构施工" in "推动资阳线完成盾构施工,成自高铁年内建成通车。"
_CLAUSE = re.compile(r"[^，,；;。！？]+")
_TIME_ONLY = re.compile(
    r"(?:到|至|在|于|自)?[\d一二三四五六七八九十〇零年月日底前后内以初末上下半]{2,14}"
)  # "2019年12月底前"
# A clause that ends in its deadline ("…作出处理后30个工作日内，由国家安全机关启动奖励程序"): the deadline
# is the time of the clause after it.
_ENDS_IN_DEADLINE = re.compile(r"[\d一二两三四五六七八九十百]+个?(?:工作日|日|天|周|月|年|小时)(?:内|以内|之内)$")
# A clause that goes on with the subject before it ("…制定具体实施方案，并于2018年12月底前报送…").
_GOES_ON = re.compile(r"^(?:并|且|同时|以及|并且|随后|然后)")
# A year as a question names it: "2025年" in "到2025年又是多少".
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}年?")


@dataclass(frozen=True)
class Scored:
    score: float
    sentence: Sentence
    asked_kind: bool = True  # holds the figure/date a figure/date question asks for
    then: Sentence | None = None  # the sentence after it that holds that figure ("…责令改正；拒不改正的，处…罚款")


class ExtractiveAnswerer:
    """Answers with sentences of the retrieved articles. Holds only its settings: safe to share."""

    def __init__(self, settings: AnswerSettings) -> None:
        self.settings = settings

    def answer(self, question: Question, hits: list[Hit], scope: Scope) -> Draft:
        """The answer to `question` from the whole articles of `hits`, or a refusal.

        Decisions, in order:
        1. a question most of whose words no plan uses ("周杰伦的演唱会…") is refused at once, since
           any sentence found would answer a different question;
        2. a comparison naming two or more documents is answered document by document, each searched
           on its own through `scope`, so one document's hits cannot crowd out the other's;
        3. a question in several parts is read and searched part by part through `scope`, so each part
           gets the evidence for its own subject and year;
        4. any other question gets the answer its shape asks for (mentions of a quoted phrase, where
           words occur, a list's items, or the best sentences).
        When the best evidence does not support an answer (`rag.answer.refusal`: shares of the question
        only), the answer is a refusal naming the closest articles.
        """
        weights = self._weights(question, scope)
        evidence = passages(hits, scope.catalogue, self.settings.evidence_articles)
        composer = self._composer()
        if question.foreign > self.settings.max_foreign_share:
            return self.refusal(evidence, weights)  # the question is about things no plan speaks of
        if "compare" in question.wants and len(question.doc_ids) >= 2:
            lines = self._per_document(question, scope, composer)
        elif question.parts:
            lines = self._per_part(question, scope, composer)
        else:
            lines = self._shaped(question, weights, evidence, composer)
        if not lines:
            return self.refusal(evidence, weights)
        return Draft("\n".join(dict.fromkeys(lines)), composer.citations, False)

    def _weights(self, question: Question, scope: Scope) -> Weights:
        return Weights(question, scope.catalogue.keyword, self.settings.nested_term_share)

    def _composer(self) -> Composer:
        return Composer()

    def _shaped(
        self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer
    ) -> list[str] | None:
        """The answer lines for one question, by what it asks for."""
        if question.quoted and question.wants & {"list", "locate"}:
            return self._mentions(question, weights, evidence, composer)
        if "locate" in question.wants or _is_keyword_query(question, self.settings.keyword_query_max_chars):
            return self._locate(question, weights, evidence, composer)
        if "list" in question.wants:
            return self._list(question, weights, evidence, composer)
        return self._best_sentences(question, weights, evidence, composer)

    # -- scoring -----------------------------------------------------------------------------
    def ranked(self, question: Question, weights: Weights, evidence: list[Passage]) -> list[Scored]:
        """Sentences that meet the question's hard demands, best first."""
        settings = self.settings
        scored = []
        asks_attribution = ASKS_ATTRIBUTION.search(question.normalised) is not None
        for passage in evidence:
            if any(name not in passage.context for name in question.names):
                continue
            article_coverage = weights.coverage(passage.context)
            body = sentences(passage)
            own_line = _headline_text(body)
            for at, sentence in enumerate(body):
                text = sentence.text
                heading = sentence.is_heading and sentence not in own_line
                if heading or (ATTRIBUTION.match(text) and not asks_attribution):
                    continue
                if any(year not in sentence.paragraph + passage.article.doc_title for year in question.years):
                    continue
                if question.units and not has_unit(text, question.units):
                    continue
                coverage = weights.coverage(sentence.topic)
                score = (
                    settings.sentence_weight * coverage
                    + settings.article_weight * article_coverage
                    + settings.retrieval_weight * passage.hit.score
                )
                asked_kind = self._has_asked_kind(question, weights, text)
                then = _clause_after(body, at)
                if asked_kind or then is None or not self._has_asked_kind(question, weights, then.text):
                    then = None
                asked_kind = asked_kind or then is not None
                if not asked_kind:
                    score *= settings.missing_kind_penalty
                if coverage < settings.min_sentence_coverage:
                    score *= settings.missing_kind_penalty
                scored.append(Scored(score, sentence, asked_kind, then))
        return sorted(scored, key=lambda s: -s.score)

    @staticmethod
    def _has_asked_kind(question: Question, weights: Weights, text: str) -> bool:
        """A figure/date question needs its figure/date in a clause that speaks of the question's
        terms: in "推动资阳线完成盾构施工,成自高铁年内建成通车" the date belongs to 成自高铁 only. A
        clause that is only a time ("2019年12月底前，试点地区完成…") or ends in a deadline belongs to the clause after it; one
        that goes on with "并"/"同时" ("…制定实施方案，并于12月底前报送") speaks of the clauses before it."""
        if not question.wants & {"number", "date"}:
            return True
        clauses = _CLAUSE.findall(text)
        for at, clause in enumerate(clauses):
            timed = _TIME_ONLY.fullmatch(clause.strip()) or _ENDS_IN_DEADLINE.search(clause.strip())
            if has_date(clause) and timed and at + 1 < len(clauses):
                clause += "，" + clauses[at + 1]
            subject = "，".join(clauses[: at + 1]) if _GOES_ON.match(clause.strip()) else clause
            if weights.coverage(subject) == 0 and not question.units:
                continue
            if "number" in question.wants and figures(clause, question.years):
                return True
            if "date" in question.wants and has_date(clause):
                return True
        return False

    def _answerable(
        self, ranked: list[Scored], weights: Weights, evidence: list[Passage], insist_on_key_term: bool = True
    ) -> bool:
        """The best sentence supports an answer (`rag.answer.refusal`: shares of the question only,
        never the corpus-dependent retrieval score). A comparison does not insist on the question's
        heaviest word in each document: the person named the documents, and which word weighs most
        moves with every document added to the index (an answer would flip on an unrelated upload)."""
        if not ranked:
            return False
        best = ranked[0]
        found = support(best.sentence, weights, evidence, best.asked_kind, self.settings.agreement_top)
        if not insist_on_key_term:
            return answers_in_named_document(found, self.settings)
        return answers(found, self.settings)

    def _best_sentences(
        self,
        question: Question,
        weights: Weights,
        evidence: list[Passage],
        composer: Composer,
        limit: int | None = None,
        insist_on_key_term: bool = True,
    ) -> list[str] | None:
        """The best sentence (with the next one when it is only a lead-in), and further sentences of
        the same article that also answer (at most `limit` sentences in all)."""
        ranked = self.ranked(question, weights, evidence)
        if ranked and _key(ranked[0].sentence) in composer.quoted:
            # an earlier part of the question quoted this sentence: this part takes the next sentence
            # of that article when it answers too, else that quote answers both parts
            rest = [s for s in ranked if _key(s.sentence) not in composer.quoted]
            same = [s for s in rest if s.sentence.passage.key == ranked[0].sentence.passage.key]
            if not same or not self._answerable(same, weights, evidence, insist_on_key_term):
                return []
            ranked = same
        if not self._answerable(ranked, weights, evidence, insist_on_key_term):
            return None
        best = ranked[0].sentence
        if best.text.endswith(("：", ":")):  # "应当具备下列条件：" is answered by the items it introduces
            following = [
                span
                for span in items(best.passage, self.settings.lead_max_chars, self.settings.item_max_chars)
                if span[0] >= best.end
            ]
            if len(following) >= self.settings.min_list_items:
                return [_list_line(best.passage, following[: self.settings.max_list_items], composer)]
        chosen = [best] + ([ranked[0].then] if ranked[0].then else _continuation(best, self.settings.lead_max_chars))
        figure = bool(question.wants & {"number", "date"})
        most = self.settings.figure_sentences if figure else self.settings.max_sentences
        for other in ranked[1:]:
            if len(chosen) >= min(limit or most, most):
                break
            same_article = other.sentence.passage.key == best.passage.key
            if (
                same_article
                and other.score >= self.settings.extra_sentence_share * ranked[0].score
                and other.sentence not in chosen
                and (other.asked_kind or not figure)  # "情况紧急的，应当在二十四小时内作出": a figure too
            ):
                chosen.append(other.sentence)
        return [_source_line(best.passage, self._provisions(chosen), composer)]

    def _provisions(self, chosen: list[Sentence]) -> list[tuple[int, int]]:
        """The spans to quote for sentences `chosen` from one article: a short article whole (its
        conditions and exceptions stay with the sentence that answers), else each sentence with the
        rest of its provision when it stops at a semicolon."""
        body = [s for s in sentences(chosen[0].passage) if not s.is_heading]
        if body and sum(len(s.text) for s in body) <= self.settings.whole_article_chars:
            chosen = body
        unique = {s.start: s for s in _completed(chosen, body)}
        return _span_of([unique[start] for start in sorted(unique)])

    # -- question shapes ------------------------------------------------------------------------
    def _list(
        self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer
    ) -> list[str] | None:
        """Every item of the article the list is about, with their count; else the articles whose
        headings match a broad question ("有哪些民生措施"); else the best enumerating sentence."""
        settings = self.settings
        for passage in evidence[: settings.list_articles]:
            spans = items(passage, settings.lead_max_chars, settings.item_max_chars)
            if len(spans) < settings.min_list_items or any(name not in passage.context for name in question.names):
                continue
            about = passage.article.section + passage.article.chapter + passage.text[: spans[0][0]]
            if weights.coverage(about) >= settings.list_heading_coverage:
                return [_list_line(passage, spans[: settings.max_list_items], composer)]
        # the articles whose headings name what is listed ("（二）基本原则" over its items 1. 2. 3.) answer
        # however little of the question their sentences repeat
        broad = self._broad(question, weights, evidence, composer)
        if broad:
            return broad
        ranked = self.ranked(question, weights, evidence)
        if not self._answerable(ranked, weights, evidence):
            return None
        enumerating = [s for s in ranked if s.sentence.text.count("、") >= settings.min_list_items - 1]
        if enumerating and enumerating[0].score >= settings.extra_sentence_share * ranked[0].score:
            sentence = enumerating[0].sentence
            return [_source_line(sentence.passage, self._provisions([sentence]), composer)]
        return self._best_sentences(question, weights, evidence, composer)

    def _broad(
        self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer
    ) -> list[str] | None:
        """A broad list question ("要做哪些交通项目"): the articles whose heading (with their chapter)
        speaks of it, by heading and ref, each with its lead sentence; None unless there are several."""
        settings = self.settings
        generic = generic_words()
        about = {p.key: weights.coverage(p.article.chapter + p.article.section, generic) for p in evidence}
        best = max(about.values(), default=0.0)
        if best < settings.broad_heading_coverage:
            return None
        matching = [
            p
            for p in evidence
            if about[p.key] >= settings.broad_heading_share * best
            and all(name in p.context for name in question.names)
            and all(year in p.context for year in question.years)
        ]
        if len(matching) == 1:  # one article is about it: its items, when it has them
            spans = items(matching[0], settings.lead_max_chars, settings.item_max_chars)
            if len(spans) >= settings.min_list_items:
                return [_list_line(matching[0], spans[: settings.max_list_items], composer)]
        if len(matching) < settings.min_list_items:
            return None
        documents = list(dict.fromkeys(p.article.doc_id for p in matching))  # best document first, each in its order
        matching.sort(key=lambda p: (documents.index(p.article.doc_id), p.article.order))
        lines = [f"共{len(matching)}条相关条款："]
        for passage in matching:
            body = [s for s in sentences(passage) if not s.is_heading]
            if body:
                lines.append(_source_line(passage, [(body[0].start, body[0].end)], composer))
        return lines

    def _locate(
        self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer
    ) -> list[str] | None:
        """Where the words occur: the best sentence of each document that says it, naming the clause."""
        ranked = self.ranked(question, weights, evidence)
        if not self._answerable(ranked, weights, evidence):
            return None
        lines, seen_documents = [], set()
        for scored in ranked:
            passage = scored.sentence.passage
            if (
                passage.article.doc_id in seen_documents
                or scored.score < self.settings.extra_sentence_share * ranked[0].score
            ):
                continue
            seen_documents.add(passage.article.doc_id)
            chosen = [scored.sentence] + _continuation(scored.sentence, self.settings.lead_max_chars)
            lines.append(_source_line(passage, self._provisions(chosen), composer))
            if len(lines) == self.settings.max_sentences:
                break
        return lines

    def _mentions(
        self, question: Question, weights: Weights, evidence: list[Passage], composer: Composer
    ) -> list[str] | None:
        """Every sentence that holds the quoted phrase ("“中国牙谷”有关的安排有哪些"), best first."""
        ranked = [
            s for s in self.ranked(question, weights, evidence) if any(q in s.sentence.text for q in question.quoted)
        ]
        if not ranked:
            return None
        titles = {p.article.doc_title for p in evidence}
        if all(any(q in title for title in titles) for q in question.quoted):
            # "“无废城市”试点名单": the phrase names the document, so its occurrences answer nothing
            if not self._answerable(ranked, weights, evidence):
                return None
        # otherwise the quoted phrase itself is the evidence: where it occurs is the answer
        lines = []
        for scored in ranked[: self.settings.max_sentences]:
            sentence = scored.sentence
            chosen = [sentence] + _continuation(sentence, self.settings.lead_max_chars)
            lines.append(_source_line(sentence.passage, self._provisions(chosen), composer))
        return lines

    def _per_document(self, question: Question, scope: Scope, composer: Composer) -> list[str] | None:
        """A comparison: the best sentence of each named document."""
        catalogue = scope.catalogue
        titles = {doc_id: catalogue.documents_by_id[doc_id].title for doc_id in question.doc_ids}
        lines, answered = [], 0
        for doc_id in question.doc_ids:
            # "郑州和青岛的养犬条例": 青岛 names the other document, it is not asked of this one
            others = [title for other, title in titles.items() if other != doc_id]
            names = tuple(n for n in question.names if n in titles[doc_id] or not any(n in t for t in others))
            # every place that chose a document is left out of what the sentence must say
            chosen_by = [n for n in question.names if any(n in t for t in titles.values())]
            own = replace(question, names=names, content=_without(question.content, chosen_by))
            evidence = passages(scope.search(own.query, (doc_id,)), catalogue, self.settings.evidence_articles)
            found = self._best_sentences(
                own,
                self._weights(own, scope),
                evidence,
                composer,
                limit=self.settings.compare_sentences,
                insist_on_key_term=False,
            )
            if found:
                lines += found
                answered += 1
            else:
                lines.append(citation_label(catalogue.documents_by_id[doc_id].title) + "：未找到相关内容。")
        return lines if answered else None

    def _per_part(self, question: Question, scope: Scope, composer: Composer) -> list[str] | None:
        """A question in several parts ("…是多少？到2025年又是多少？"): an answer for each part. A later
        part that names no document is read in the one document the earlier parts were answered
        from ("威海的公共停车场多久内要备案？不备案怎么罚？"); a part asking for that document's
        metadata ("这个批复是哪天发的") is looked up like a question of its own."""
        lines: list[str] = []
        first: Question | None = None
        for part in question.parts:
            sub = scope.read(part)
            answered_from = {c.article.doc_id for c in composer.citations if not c.related_only}
            single = tuple(answered_from) if len(answered_from) == 1 else ()
            # "…办公室设在哪里？这个批复是哪天发的？": 这个批复 is the document just answered from
            doc_ids = sub.doc_ids or (sub.refers_back and single) or question.doc_ids or single
            if first is not None and len(tokenize(sub.content)) - len(sub.years) < self.settings.inherit_below_terms:
                subject = _YEAR_WORD.sub("", first.content)  # the first part's subject, not its year
                sub = scope.read(subject + "，" + part)
            first = first or sub
            sub = replace(sub, doc_ids=doc_ids, names=sub.names or _titled(question.names, scope.catalogue))
            looked_up = metadata_answer(sub, scope.catalogue, self.settings, composer)
            if looked_up is not None and not looked_up[0].refused:  # "这个批复是哪天发的": the document's date
                lines.append(looked_up[0].text)
                continue
            weights = self._weights(sub, scope)
            evidence = passages(scope.search(sub.query, doc_ids), scope.catalogue, self.settings.evidence_articles)
            lines += self._shaped(sub, weights, evidence, composer) or []
        return lines or None

    def refusal(self, evidence: list[Passage], weights: Weights) -> Draft:
        """The plain refusal, with the closest articles offered as possibly related (not as support)."""
        composer = self._composer()
        related = []
        for passage in evidence[: self.settings.related_on_refusal]:
            best = max(sentences(passage), key=lambda s: weights.coverage(s.text), default=None)
            if best is None:
                continue
            composer.cite(passage.article, passage.text, best.start, best.end, related_only=True)
            related.append(citation_label(passage.article.doc_title, passage.article.clause_ref, passage.heading))
        text = REFUSAL
        if related:
            text += "可能相关的条款：" + "；".join(related) + "。"
        return Draft(text, composer.citations, True)


def _source_line(passage: Passage, spans: list[tuple[int, int]], composer: Composer, one_per_line: bool = False) -> str:
    """ "《title》clause heading：" followed by the chosen spans of the article, each with its marker."""
    article = passage.article
    joiner = "\n" if one_per_line else ""
    pieces = [passage.text[start:end] + composer.cite(article, passage.text, start, end) for start, end in spans]
    quoted = "".join(passage.text[start:end] for start, end in spans)
    return _label(passage, heading=passage.heading not in quoted) + joiner + joiner.join(pieces)


def _label(passage: Passage, heading: bool = True) -> str:
    """ "《title》clause heading：" (no heading when the quote is it), or "《title》三、" before a provision
    that has no heading words (its quote reads on from the number)."""
    article = passage.article
    label = citation_label(article.doc_title, article.clause_ref, passage.heading if heading else "")
    return label if label.endswith("、") else label + "："


def _list_line(passage: Passage, spans: list[tuple[int, int]], composer: Composer) -> str:
    """The label with the count ("共4项："), then the items one a line, each run of them after the
    sentence that introduces it."""
    article = passage.article
    lines = [citation_label(article.doc_title, article.clause_ref, passage.heading) + f"：共{len(spans)}项："]
    pieces = sorted(spans + introductions(passage, spans))
    lines += [passage.text[start:end] + composer.cite(article, passage.text, start, end) for start, end in pieces]
    return "\n".join(lines)


def _headline_text(body: list[Sentence]) -> list[Sentence]:
    """The sentences of an article made only of headings ("一、完善水上交通设施\n1.新建客运码头3座。"):
    its own last line says what it does, so it is its text."""
    if not body or any(not s.is_heading for s in body):
        return []
    return [s for s in body if s.paragraph == body[-1].paragraph]


def _continuation(sentence: Sentence, lead_max_chars: int) -> list[Sentence]:
    """The next sentence of the paragraph when `sentence` only leads into it ("大力发展“四新一大”产业。")."""
    if len(sentence.text) > lead_max_chars:
        return []
    following = [
        s for s in sentences(sentence.passage) if s.start > sentence.start and s.paragraph == sentence.paragraph
    ]
    return following[:1]


def _completed(chosen: list[Sentence], body: list[Sentence]) -> list[Sentence]:
    """`chosen` with the rest of every provision cut at a semicolon ("…责令改正；" is followed by
    "拒不改正的，处…罚款。"): an answer never ends in the middle of one."""
    done = list(chosen)
    for sentence in done:  # grows while it is read: "…；…；…。" is followed to its end
        at = next((i for i, s in enumerate(body) if s.start == sentence.start), None)
        after = _clause_after(body, at) if at is not None else None
        if after is not None and after not in done:
            done.append(after)
    return done


def _clause_after(body: list[Sentence], at: int) -> Sentence | None:
    """The sentence after `body[at]` in its paragraph when `body[at]` ends with a semicolon: the
    rest of the same provision ("…责令改正；拒不改正的，处一万元罚款。")."""
    sentence = body[at]
    if not sentence.text.endswith(("；", ";")) or at + 1 >= len(body):
        return None
    after = body[at + 1]
    return after if after.paragraph == sentence.paragraph else None


def _titled(names: tuple[str, ...], catalogue: Catalogue) -> tuple[str, ...]:
    """The names that some document's title holds: what a later part naming no place is still asked
    of ("威海的停车场多久内要备案？不备案怎么罚？"); a word tagged as a place in passing ("新建") is not."""
    return tuple(n for n in names if any(n in d.title for d in catalogue.documents))


def _without(text: str, words: list[str]) -> str:
    """`text` with `words` blanked out."""
    for word in words:
        text = text.replace(word, " ")
    return text


def _key(sentence: Sentence) -> tuple[str, int, int]:
    """The sentence as `Composer.quoted` records it."""
    return (*sentence.passage.key, sentence.start)


def _span_of(chosen: list[Sentence]) -> list[tuple[int, int]]:
    """The (start, end) of each sentence."""
    return [(s.start, s.end) for s in chosen]


def _is_keyword_query(question: Question, max_chars: int) -> bool:
    """A bare phrase ("气大庆"), no question word in it."""
    return len(question.text) <= max_chars and not question.wants and not QUESTION_WORD.search(question.text)
