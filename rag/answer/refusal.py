"""Whether the best evidence answers the question: a decision made only of shares of the question
(0..1), so it means the same on any corpus.

The fused retrieval score is left out on purpose: its scale depends on the corpus (BM25 grows with
the collection, a cosine's typical value with the embedding model), so a threshold fitted on the
bundled plans refused plain questions on new documents whose right article ranked first. What stays:

- how much of the question (IDF-weighted words and bigrams) the best sentence covers, under its heading;
- how much of the question's content words its article holds (title, chapter and text): a question
  that insists on a thing ("电子烟的罚款") is not answered by an article that never names it;
- whether keyword and dense retrieval agree on that article (both rank it near the top), which makes
  a paraphrased question ("养狗" for "养犬") trustworthy at a lower word coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rag.answer.evidence import Passage, Sentence, Weights
from rag.records import Hit
from rag.settings import AnswerSettings


@dataclass(frozen=True)
class Support:
    """How well one sentence (and its article) supports an answer; every figure is a share, 0..1."""

    sentence: float  # of the question's weight, in the sentence under its heading
    article: float  # of the question's content words (IDF-weighted), in the article with its title
    agree: bool  # keyword and dense retrieval both rank the article near the top
    asked_kind: bool  # holds what a figure/date question asks for (near the question's terms)
    key_term: bool = True  # the article (with its title) holds the question's key term (`Weights.holds_key_term`)


def agreement(passage: Passage, evidence: list[Passage], top: int) -> bool:
    """The article is among the `top` of the evidence by BM25 and among the `top` by cosine."""
    hits = [p.hit for p in evidence]

    def rank(value: float | None, field: str) -> int:
        if value is None:
            return len(hits)
        return sum(1 for h in hits if getattr(h, field) is not None and getattr(h, field) > value)

    hit: Hit = passage.hit
    return rank(hit.keyword, "keyword") < top and rank(hit.dense, "dense") < top


def support(sentence: Sentence, weights: Weights, evidence: list[Passage], asked_kind: bool, top: int) -> Support:
    """The support of `sentence`, measured against the question `weights` describe."""
    passage = sentence.passage
    return Support(
        sentence=weights.coverage(sentence.topic),
        article=weights.word_coverage(passage.context),
        agree=agreement(passage, evidence, top),
        asked_kind=asked_kind,
        key_term=weights.holds_key_term(passage.context),
    )


def answers(found: Support, settings: AnswerSettings) -> bool:
    """Answer rather than refuse: the sentence covers enough of the question (less when both
    retrievers agree on its article), holds the question's most specific word unless it covers most
    of the question or both retrievers agree on an article holding most of its words, its article holds enough of the question's words, and it has what a figure or
    date question asks for ("总投资是多少亿元" is not answered by a GDP figure in 亿元)."""
    least = settings.agreed_refusal_threshold if found.agree else settings.refusal_threshold
    # the key word paraphrased ("保存" for the text's 留存) in an article both retrievers put first
    # that holds most of the question's words
    paraphrased = found.agree and found.article >= settings.agreed_key_term_free_article
    insists = found.key_term or found.sentence >= settings.key_term_free_coverage or paraphrased
    return found.asked_kind and insists and found.sentence >= least and found.article >= settings.min_article_terms


def answers_in_named_document(found: Support, settings: AnswerSettings) -> bool:
    """Answer from a document the person named beside another ("A和B对…分别怎么规定"): as `answers`
    without insisting on the key term (which word weighs most moves with every document added to the
    index), or, when the sentence does hold the key term, at a lower share of the question: its other
    words often only say how the two are compared ("适用情形、适用主体及措施")."""
    if answers(replace(found, key_term=True), settings):
        return True
    return found.key_term and found.asked_kind and found.sentence >= settings.named_document_threshold
