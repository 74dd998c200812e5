"""Follow-ups in a conversation: a pointer ("它", "这个方案") or an ellipsis ("自贡呢？", "第二条呢？")
is read with the previous turn's document and question, the answer says how it was read
(`understood_as`), and a question that stands on its own is answered as asked. The conversations
are written for these tests on the bundled plans (not taken from any eval set)."""

from __future__ import annotations

import pytest

from rag.answer.lookups import OTHER_LANGUAGE
from rag.api import PlanQA
from rag.records import Answer

NEIZI = "内江自贡同城化发展总体方案"
CHUANNAN = "推动川南渝西地区融合发展总体方案"
CHENGZI = "成资同城化发展2023年工作要点"


def conversation(planqa: PlanQA, first: str, then: str) -> tuple[Answer, Answer]:
    before = planqa.ask(first)
    assert not before.refused, before.text
    return before, planqa.ask(then, history=[before])


def cited(answer: Answer) -> list[tuple[str, str]]:
    return [(c.article.doc_title, c.article.clause_ref) for c in answer.citations if not c.related_only]


@pytest.mark.parametrize(
    ("first", "then", "understood", "source"),
    [
        # a pronoun: the document the previous answer rests on
        ("内江和自贡相距多远？", "那它的发展目标是什么？", f"《{NEIZI}》的发展目标是什么？", (NEIZI, "三、（三）")),
        # "这个方案" with a question of its own
        (
            "川南渝西融合发展方案的主要目标是什么？",
            "该方案对交通有什么安排？",
            f"《{CHUANNAN}》对交通有什么安排？",
            (CHUANNAN, "四、（十一）"),
        ),
        # an ellipsis naming a clause: that clause of the same document
        (
            "成资同城化2023年工作要点第10条讲了什么？",
            "第二条呢？",
            f"《{CHENGZI}》第二条讲了什么？",
            (CHENGZI, "一、2."),
        ),
        # an ellipsis naming a place: the previous question asked of it
        (
            "内江到2025年地区生产总值要突破多少？",
            "自贡呢？",
            "自贡到2025年地区生产总值要突破多少？",
            (NEIZI, "三、（三）"),
        ),
        # an ellipsis naming a topic: the previous question asked about it ...
        ("川南渝西到2025年地区生产总值要达到多少？", "人口呢？", "川南渝西到2025年人口要达到多少？", None),
        # ... or, when that question named no topic, asked of the previous document
        ("内江和自贡相距多远？", "发展定位呢？", f"《{NEIZI}》的发展定位是什么？", (NEIZI, "三、（二）")),
    ],
)
def test_a_follow_up_is_read_with_the_previous_turn(
    planqa: PlanQA, first: str, then: str, understood: str, source: tuple[str, str] | None
) -> None:
    _, answer = conversation(planqa, first, then)
    assert answer.understood_as == understood
    assert answer.question == then
    assert answer.to_json()["understood_as"] == understood
    if source is not None:
        assert not answer.refused, answer.text
        assert cited(answer)[0] == source


def test_a_follow_up_asking_for_the_documents_date_is_looked_up_in_that_document(planqa: PlanQA) -> None:
    _, answer = conversation(planqa, "内自同城化的四个发展定位是什么？", "这个方案是哪天印发的？")
    assert answer.understood_as == f"《{NEIZI}》是哪天印发的？"
    assert "2021年10月30日" in answer.text
    assert cited(answer)[0][0] == NEIZI


def test_earlier_questions_given_as_text_are_answered_to_read_the_follow_up(planqa: PlanQA) -> None:
    answer = planqa.ask("那它的发展目标是什么？", history=["内江和自贡相距多远？"])
    assert answer.understood_as == f"《{NEIZI}》的发展目标是什么？"
    assert cited(answer)[0] == (NEIZI, "三、（三）")


def test_a_question_that_stands_on_its_own_is_answered_as_asked(planqa: PlanQA) -> None:
    _, answer = conversation(planqa, "内江和自贡相距多远？", "綦江和万盛的发展定位是什么？")
    assert answer.understood_as == ""
    assert "understood_as" not in answer.to_json()
    assert cited(answer)[0][0] == "綦江—万盛一体化发展规划"


def test_without_history_a_pointer_is_not_guessed(planqa: PlanQA) -> None:
    answer = planqa.ask("那它的发展目标是什么？")
    assert answer.understood_as == ""


@pytest.mark.parametrize("question", ["How far is Neijiang from Zigong?", "What does the plan say about 内江?"])
def test_a_question_in_another_language_is_asked_to_be_asked_in_chinese(planqa: PlanQA, question: str) -> None:
    answer = planqa.ask(question)
    assert answer.refused
    assert answer.text == OTHER_LANGUAGE
    assert answer.citations == []


def test_a_chinese_question_with_latin_words_is_answered(planqa: PlanQA) -> None:
    answer = planqa.ask("内江和自贡到2025年的GDP要突破多少？")
    assert not answer.refused, answer.text
    assert "4200亿元" in answer.text
