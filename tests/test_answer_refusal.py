"""The refusal decision (rag/answer/refusal.py) is made of shares of the question only, so one
setting means the same on any corpus: these tests pin the rule, not a corpus's score scale."""

from __future__ import annotations

from rag.answer.refusal import Support, answers
from rag.settings import AnswerSettings

SETTINGS = AnswerSettings()


def support(
    sentence: float, article: float = 1.0, agree: bool = False, asked_kind: bool = True, key_term: bool = True
) -> Support:
    return Support(sentence=sentence, article=article, agree=agree, asked_kind=asked_kind, key_term=key_term)


def test_a_sentence_covering_most_of_the_question_answers() -> None:
    assert answers(support(0.9), SETTINGS)


def test_a_sentence_covering_little_of_the_question_is_refused() -> None:
    assert not answers(support(SETTINGS.refusal_threshold - 0.05), SETTINGS)


def test_agreeing_retrievers_let_a_paraphrased_question_through_at_lower_coverage() -> None:
    between = (SETTINGS.refusal_threshold + SETTINGS.agreed_refusal_threshold) / 2
    assert SETTINGS.agreed_refusal_threshold < SETTINGS.refusal_threshold
    assert answers(support(between, agree=True), SETTINGS)
    assert not answers(support(between, agree=False), SETTINGS)


def test_an_article_without_the_questions_key_words_is_refused_however_well_a_sentence_matches() -> None:
    assert not answers(support(0.95, article=SETTINGS.min_article_terms - 0.1), SETTINGS)


def test_a_figure_question_without_its_figure_is_refused() -> None:
    assert not answers(support(0.95, asked_kind=False), SETTINGS)


def test_the_decision_does_not_read_the_retrieval_score() -> None:
    assert set(Support.__dataclass_fields__) == {"sentence", "article", "agree", "asked_kind", "key_term"}


def test_a_sentence_without_the_questions_most_specific_word_is_refused_unless_it_covers_most_of_it() -> None:
    assert not answers(support(SETTINGS.key_term_free_coverage - 0.1, key_term=False), SETTINGS)
    assert answers(support(SETTINGS.key_term_free_coverage + 0.1, key_term=False), SETTINGS)
