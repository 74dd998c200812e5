"""Short forms people type ("产检", "年假") found in documents that only use the long ones (产前检查,
年休假): derived from each document's own words, so they hold for documents nobody listed them
for (none of the short forms here is in synonyms.toml); and a decision's numbered provisions
quoted without their number. The documents here are written for these tests; they are not bundled
and in no eval set."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings

from rag.api import PlanQA
from rag.query.reader import _keeps_in_order, _long_form_index

REGULATION = """# 某市职工休假和家庭关爱办法

第一条 为了保障职工休息休假的权利，制定本办法。

第二条 职工连续工作满12个月以上的，享受带薪年休假。单位应当保证职工享受年休假。

第三条 职工累计工作已满1年不满10年的，年休假5天；已满10年不满20年的，年休假10天。

第四条 女职工在劳动时间内进行产前检查，所需时间计入劳动时间。

第五条 本办法自2025年1月1日起施行。
"""


DECISION = """某某市人民代表大会常务委员会关于促进政务服务的决定

一、本市推行统一的电子证照服务，各级机关需要发放证照的，应当提供电子证照；申请人要求获得实体证照的，应当同步发放。

二、本市设立统一的政务服务便民热线，受理企业和群众的咨询、投诉。
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    folder = tmp_path_factory.mktemp("short-forms")
    paths = [Path(folder / "leave.md"), Path(folder / "decision.txt")]
    paths[0].write_text(REGULATION, encoding="utf-8")
    paths[1].write_text(DECISION, encoding="utf-8")
    planqa = PlanQA(make_settings(folder / "home"), build=False)
    report = planqa.ingest(paths)
    assert not report.failed, report.failed
    return planqa


def test_a_short_form_keeps_the_long_forms_characters_in_order_first_and_last_included() -> None:
    index = _long_form_index(["年休假", "家庭暴力", "年度", "年终休假", "休假"])
    assert index["年"] == ["年休假", "年终休假"]
    assert _keeps_in_order("年假", "年休假")
    assert _keeps_in_order("家暴", "家庭暴力")
    assert not _keeps_in_order("假年", "年休假")
    assert not _keeps_in_order("年休假", "年休假")  # a word is no short form of itself


def test_the_reader_expands_a_short_form_to_the_documents_word(library: PlanQA) -> None:
    question = library.reader.read("女职工去做产检的时间怎么算？")
    assert ("产检", ("产前检查",)) in question.expansions
    assert "产检" not in question.unknown


def test_a_question_in_short_forms_is_answered_from_the_long_forms_article(library: PlanQA) -> None:
    answer = library.ask("产检怎么算？")
    assert not answer.refused, answer.text
    assert answer.citations[0].article.clause_ref == "第四条"
    assert "女职工在劳动时间内进行产前检查，所需时间计入劳动时间。" in answer.text


def test_a_word_no_document_holds_in_any_form_stays_unknown(library: PlanQA) -> None:
    question = library.reader.read("产检能报销机票吗？")
    assert "机票" in question.unknown
    assert not any(word == "机票" for word, _ in question.expansions)


def test_a_decisions_provision_is_quoted_after_its_number_which_the_citation_names(library: PlanQA) -> None:
    answer = library.ask("某某市的电子证照怎么发放？")
    assert not answer.refused, answer.text
    citation = answer.citations[0]
    assert citation.article.clause_ref == "一、"
    assert citation.quote.startswith("本市推行统一的电子证照服务，")
    assert "一、：一、" not in answer.text
