"""How an answer reads: a short direct line first when the question asks for a figure or a date (copied
from a quote, never guessed), long document titles written short in the text (whole where the title is
the answer, and always whole in the citations), and an honest `coverage` — "partial" with the asks that
found nothing, "none" for a refusal. On the bundled plans and on documents written for these tests."""

from __future__ import annotations

import pytest
from conftest import grounded_answer as ask
from conftest import make_settings

from rag.answer.citations import Composer
from rag.answer.direct import direct_line
from rag.answer.evidence import Weights
from rag.answer.titles import short_title
from rag.api import PlanQA
from rag.records import PARTIAL_NOTE, Coverage

NEIZI = "内江自贡同城化发展总体方案"
NEIJIANG = "中共内江市委关于深入贯彻习近平总书记重要讲话精神加快推动内江全面融入成渝地区双城经济圈建设的决定"
NEIJIANG_SHORT = "深入贯彻习近平总书记重要讲话精神…的决定"
TITLE_CHARS = 20  # AnswerSettings.short_title_chars

PLAN_TITLE = "青山市城乡融合发展实施方案"
PLAN = f"""{PLAN_TITLE}

一、总体要求
（一）发展目标。到2027年，全市地区生产总值达到1200亿元，常住人口城镇化率达到65%，城乡居民收入比缩小到1.8以内。
（二）基本原则。坚持规划引领、产业支撑、生态优先、共建共享。

二、重点任务
（三）培育特色产业。建设智慧农业示范基地12个，培育农业产业化龙头企业30家，打造“青山好米”区域品牌。
（四）完善公共服务。新建社区养老服务中心8个，每个街道至少配备1所公办幼儿园。
（五）加强组织保障。各区县每季度报送一次工作进展，2026年6月底前完成中期评估。
"""
PARKING = """# 青山市公共停车场管理办法

第一条 为了规范公共停车场管理，方便群众停车，制定本办法。

第二条 公共停车场投入使用后，经营者应当在十五日内向公安机关交通管理部门备案。

第三条 违反本办法第二条规定，未按时备案的，由公安机关交通管理部门责令限期改正；拒不改正的，处二千元以上五千元以下罚款。

第四条 本办法自2025年3月1日起施行。
"""
DECISION_TITLE = "中共青山市委关于深入实施乡村振兴战略加快推进农业农村现代化建设的决定"
DECISION = f"""{DECISION_TITLE}

一、重要意义
（一）时代要求。实施乡村振兴战略是新时代做好“三农”工作的总抓手。

二、主要任务
（二）建设高标准农田。到2025年，全市累计建成高标准农田50万亩，粮食综合生产能力稳定在60万吨以上。
（三）发展乡村旅游。培育乡村旅游重点村20个，建设精品民宿集群3个。
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    """A real index of three documents written for these tests (not bundled)."""
    folder = tmp_path_factory.mktemp("written")
    files = {"qingshan-plan.txt": PLAN, "qingshan-parking.md": PARKING, "qingshan-decision.txt": DECISION}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    planqa = PlanQA(make_settings(folder / "home"), build=False)
    report = planqa.ingest([folder / name for name in files])
    assert not report.failed, report.failed
    return planqa


# -- the direct line ------------------------------------------------------------------------------
def test_a_distance_question_opens_with_the_distance_copied_from_its_quote(planqa: PlanQA) -> None:
    answer = ask(planqa, "内江和自贡相距多远")
    assert answer.direct == "28公里[1]"
    first, second = answer.text.split("\n")[:2]
    assert first == "28公里[1]"
    assert second.startswith(f"《{NEIZI}》二、（一）空间相近人文相亲：两市中心城区直线距离仅28公里")
    assert "28公里" in answer.citations[0].quote
    assert answer.to_json()["answer"].startswith("28公里[1]\n")


def test_an_amount_is_copied_with_the_words_around_it(planqa: PlanQA) -> None:
    answer = ask(planqa, "川南渝西地区到2025年地区生产总值要达到多少？")
    assert answer.direct == "2万亿元左右[1]"


def test_a_deadline_and_a_fine_are_copied_whole(written: PlanQA) -> None:
    assert ask(written, "青山市公共停车场投入使用后多少天内要备案？").direct == "十五日内[1]"
    fine = ask(written, "青山市停车场未备案又拒不改正的，罚多少？")
    assert fine.direct == "二千元以上五千元以下[1]"
    assert fine.text.split("\n")[1].startswith("《青山市公共停车场管理办法》第三条：")


def test_a_count_is_taken_from_the_clause_that_speaks_of_the_thing_counted(written: PlanQA) -> None:
    assert ask(written, "青山市要新建几个社区养老服务中心？").direct == "8个[1]"
    assert ask(written, "青山市乡村旅游要培育多少个重点村？").direct == "20个[1]"


def test_no_direct_line_when_the_clause_about_it_holds_no_figure(written: PlanQA) -> None:
    # "建设…基地12个，培育…企业30家，打造“青山好米”区域品牌": the counts belong to other clauses
    catalogue = written.index.catalogue()
    article = next(a for a in catalogue.articles if a.clause_ref == "二、（三）" and a.doc_title == PLAN_TITLE)
    text = written.article_text(article)
    quote = "建设智慧农业示范基地12个，培育农业产业化龙头企业30家，打造“青山好米”区域品牌。"
    composer = Composer()
    composer.cite(article, text, text.index(quote), text.index(quote) + len(quote))

    def line(question: str) -> str | None:
        read = written.reader.read(question)
        weights = Weights(read, catalogue.keyword, written.settings.answer.nested_term_share)
        return direct_line(read, composer.citations, weights, written.settings.answer.direct_max_distance)

    assert line("青山市要培育多少家农业产业化龙头企业？") == "30家[1]"
    assert line("青山市打造的区域品牌有多少个？") is None
    assert line("青山市智慧农业示范基地什么时候建成？") is None  # a date is asked: the quote has none


def test_a_question_that_asks_for_no_figure_gets_no_direct_line(planqa: PlanQA) -> None:
    answer = ask(planqa, "内自同城化的四个发展定位是什么？")
    assert answer.direct == ""
    assert answer.text.startswith(f"《{NEIZI}》三、（二）发展定位：共4项：")


# -- titles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "short"),
    [
        (NEIZI, NEIZI),  # short enough
        ("国务院办公厅关于推进政务新媒体健康有序发展的意见", "推进政务新媒体健康有序发展的意见"),  # issuer dropped
        ("中华人民共和国市场主体登记管理条例实施细则", "市场主体登记管理条例实施细则"),
        (NEIJIANG, NEIJIANG_SHORT),  # first words, "…", its kind
        ("国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见", "在市场监管领域全面推行部门联合…的意见"),
        (DECISION_TITLE, "深入实施乡村振兴战略加快推进农业…的决定"),
    ],
)
def test_a_long_title_is_written_short(title: str, short: str) -> None:
    assert short_title(title, TITLE_CHARS) == short
    assert len(short) <= TITLE_CHARS


def test_the_answer_writes_a_long_title_short_and_the_citation_keeps_it_whole(planqa: PlanQA) -> None:
    answer = ask(planqa, "内江市委决定里“一枢纽”指的是什么？")
    assert answer.text.startswith(f"《{NEIJIANG_SHORT}》二、（五）融入路径：")
    assert NEIJIANG not in answer.text
    assert answer.citations[0].article.doc_title == NEIJIANG
    assert answer.to_json()["citations"][0]["doc_title"] == NEIJIANG


def test_a_question_asking_which_document_keeps_the_whole_title(written: PlanQA) -> None:
    answer = ask(written, "哪个文件提到了高标准农田？")
    assert answer.text.startswith(f"《{DECISION_TITLE}》二、（二）建设高标准农田：")
    shortened = ask(written, "青山市高标准农田要建成多少亩？")
    assert shortened.direct == "50万亩[1]"
    assert shortened.text.split("\n")[1].startswith("《深入实施乡村振兴战略加快推进农业…的决定》二、（二）")


# -- coverage -------------------------------------------------------------------------------------
def test_an_answer_to_everything_asked_is_full(planqa: PlanQA, written: PlanQA) -> None:
    for answer in (ask(planqa, "内江和自贡相距多远"), ask(written, "青山市的发展目标是什么？中期评估什么时候完成？")):
        assert (answer.coverage, answer.missing) == (Coverage.FULL, []), answer.text
        assert PARTIAL_NOTE.split("{")[0] not in answer.text
        assert answer.to_json()["coverage"] == "full"
        assert answer.to_json()["missing"] == []


def test_a_two_part_question_answered_in_one_part_is_partial_and_names_the_other(written: PlanQA) -> None:
    answer = ask(written, "青山市城乡融合发展的发展目标和交通建设分别是什么？")
    assert not answer.refused
    assert (answer.coverage, answer.missing) == (Coverage.PARTIAL, ["交通建设"])
    assert answer.text.endswith("\n（只回答了部分问题：没有找到关于“交通建设”的内容。）")
    assert answer.to_json()["coverage"] == "partial"
    assert answer.to_json()["missing"] == ["交通建设"]


def test_the_bundled_plans_goals_and_transport_question_says_it_answers_only_the_goals(planqa: PlanQA) -> None:
    # the answerer quotes the goals article only (its four goals); nothing quoted speaks of transport
    answer = ask(planqa, "川南渝西的发展目标和交通建设分别是什么")
    assert answer.text.startswith("《推动川南渝西地区融合发展总体方案》一、（四）发展目标：共4项：")
    assert (answer.coverage, answer.missing) == (Coverage.PARTIAL, ["交通建设"])


def test_a_refusal_stays_a_refusal_not_partial(planqa: PlanQA, written: PlanQA) -> None:
    for answer in (
        ask(planqa, "周杰伦什么时候来内江开演唱会？"),
        ask(written, "青山市公办幼儿园的收费标准是每月多少元？"),
    ):
        assert answer.refused
        assert (answer.coverage, answer.missing, answer.direct) == (Coverage.NONE, [], "")
        assert "只回答了部分问题" not in answer.text
        assert answer.to_json()["coverage"] == "none"


def test_a_lookup_of_a_documents_date_is_full_and_gets_no_second_direct_line(written: PlanQA) -> None:
    answer = ask(written, "停车管理办法什么时候开始施行？")
    assert answer.coverage == Coverage.FULL
    assert answer.direct == ""
    assert answer.text.startswith("《青山市公共停车场管理办法》的施行日期：2025年3月1日[1]")


def test_the_json_of_an_answer_adds_coverage_and_missing_and_keeps_every_field(written: PlanQA) -> None:
    data = written.ask("青山市城乡融合发展的发展目标和交通建设分别是什么？").to_json()
    contract = {"question", "answer", "refused", "citations", "retrieved", "latency_ms"}  # DESIGN.md
    assert contract | {"coverage", "missing"} <= set(data)
    assert data["answer"].count("只回答了部分问题") == 1
