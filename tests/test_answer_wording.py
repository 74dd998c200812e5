"""How a question's wording meets a document's, on a regulation, a 决定, a 工作要点 and a 方案 written for these tests
(tests/fixtures/wording): an absent thing the document says in its own words, a deadline that times
the clause after it, a service number, a 决定's provisions that are no headings, a document named with
"那个" inside its name or a year inside its name, words before a 市场 that are no place, a
plan's item whose one line is its text, and a plan's items grouped and listed by the section heading
they sit under ("（二）基本原则")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cited_sources as sources
from conftest import grounded_answer as ask
from conftest import make_settings

from rag.answer.evidence import Weights
from rag.api import PlanQA

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wording"
REGULATION = "海川市电动船舶管理条例"
DECISION = "海川市人民代表大会常务委员会关于推进“一码通行”改革的决定"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    """A real index (Chroma, embeddings) of the four documents."""
    planqa = PlanQA(make_settings(tmp_path_factory.mktemp("wording")), build=False)
    report = planqa.ingest(sorted(FIXTURES.iterdir()))
    assert not report.failed, report.failed
    return planqa


def test_a_thing_said_to_be_absent_is_not_the_word_the_answer_must_hold(library: PlanQA) -> None:
    # "没有资质": the regulation says 擅自从事; 资质 is in another article only
    answer = ask(library, "没有资质搞电动船租赁会怎么罚？")
    assert not answer.refused, answer.text
    assert sources(answer) == [(REGULATION, "第六条")]
    assert "处一万元以上三万元以下罚款" in answer.text
    assert answer.coverage == "full"


def test_a_deadline_at_the_end_of_a_clause_times_the_clause_after_it(library: PlanQA) -> None:
    answer = ask(library, "电动船舶号牌什么时候发放？")
    assert not answer.refused, answer.text
    assert sources(answer) == [(REGULATION, "第四条")]
    assert "受理登记申请后20个工作日内，由船舶登记窗口发放电动船舶号牌。" in answer.text
    assert answer.coverage == "full"


def test_a_service_number_is_a_word_of_the_question_not_a_count(library: PlanQA) -> None:
    question = library.reader.read("12395是什么电话？")
    weights = Weights(question, library.index.catalogue().keyword, library.settings.answer.nested_term_share)
    assert "12395" in weights.terms
    assert Weights(library.reader.read("四个是什么"), library.index.catalogue().keyword, 0.5).terms.get("四个") is None


def test_a_decisions_provision_is_its_text_not_a_heading(library: PlanQA) -> None:
    answer = ask(library, "海川一码通行决定里哪一部分讲“船讯码”？")
    assert not answer.refused, answer.text
    assert sources(answer) == [(DECISION, "三、")]
    assert answer.citations[0].quote.startswith("本市推广“船讯码”的社会化应用")
    assert f"《{DECISION}》三、本市推广" in answer.text
    section = next(a.section for a in library.index.catalogue().articles if a.clause_ref == "三、")
    assert section == "三、"


def test_a_document_named_with_a_pointer_inside_its_name(library: PlanQA) -> None:
    question = library.reader.read("海川市人大那个决定什么时候施行？")
    assert question.doc_ids == ("haichuan-code-jueding",)
    assert library.reader.read("那个决定什么时候施行？").doc_ids == ()  # a pointer, no name


def test_the_words_before_a_market_are_no_place(library: PlanQA) -> None:
    assert library.reader.read("一码通行决定和市场监管处罚信息公示规定有什么不同？").elsewhere == ()
    assert library.reader.read("江苏省电动船舶管理条例怎么规定登记？").elsewhere == ("江苏省电动船舶管理条例",)


def test_a_year_inside_a_documents_name_chose_the_document_and_is_not_asked_about(library: PlanQA) -> None:
    question = library.reader.read("海川2024工作要点里关于110的说法？")
    assert question.doc_ids == ("haichuan-water-yaodian-2024",)
    assert question.years == ()


def test_an_item_that_is_one_line_is_its_own_text(library: PlanQA) -> None:
    # "2.开通110水上报警联动，统一接警。": the item's only line is what it says, not a heading over nothing
    answer = ask(library, "海川2024工作要点里关于110的说法？")
    assert not answer.refused, answer.text
    assert sources(answer) == [("海川市2024年水上交通工作要点", "一、2.")]
    assert "开通110水上报警联动，统一接警。[1]" in answer.text


def test_a_plans_items_are_grouped_by_the_section_they_sit_in(library: PlanQA) -> None:
    items = [a for a in library.index.catalogue().articles if a.doc_id == "haichuan-port-fangan-2024"]
    chapters = {a.clause_ref: a.chapter for a in items}
    assert chapters["一、（二）1."] == "一、总体要求 （二）基本原则"
    assert chapters["一、（二）3."] == "一、总体要求 （二）基本原则"
    assert chapters["一、（三）"] == "一、总体要求"  # a section is an article of its own, not its group


def test_a_list_named_by_a_section_heading_gives_each_item_in_order(library: PlanQA) -> None:
    # the items' sentences never say 原则: their section heading does
    answer = ask(library, "海川港口服务集约化试点方案的基本原则有哪些？")
    assert not answer.refused, answer.text
    port = "海川市港口服务集约化试点方案"
    assert sources(answer) == [(port, "一、（二）1."), (port, "一、（二）2."), (port, "一、（二）3.")]
    assert "围绕船员和货主需要，优化港口服务流程。[1]" in answer.text
