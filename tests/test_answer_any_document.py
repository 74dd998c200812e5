"""Answers over documents that are not bundled (data/devcorpus), read the way a citizen asks: a
regulation's articles and items are its text, everyday words find the documents' words, the words of
the asking weigh nothing, and a comparison or a question in parts is answered from each document or
part. The questions here are written for these tests, not taken from any eval set."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cited_sources as sources
from conftest import grounded_answer as ask
from conftest import make_settings

from rag.answer.evidence import Weights, figures, has_unit, passages, sentences
from rag.answer.extractive import ExtractiveAnswerer
from rag.api import PlanQA
from rag.query.reader import Want

DOCS = Path(__file__).resolve().parent.parent / "data" / "devcorpus" / "docs"
FILES = [
    "zhengzhou-dog-tiaoli-2021.md",
    "qingdao-dog-tiaoli-2016.md",
    "local-chronicles-tiaoli-2006.txt",
    "gov-website-intensive-fangan-2018.pdf",
]
ZHENGZHOU = "郑州市城市养犬管理条例"
QINGDAO = "青岛市养犬管理条例"
CHRONICLES = "地方志工作条例"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    """A real index (Chroma, embeddings) of four documents that are not bundled."""
    home = tmp_path_factory.mktemp("any-document")
    planqa = PlanQA(make_settings(home), build=False)
    report = planqa.ingest([DOCS / name for name in FILES])
    assert not report.failed, report.failed
    return planqa


# -- a regulation's article is its text --------------------------------------------------------------
def test_a_one_sentence_article_answers_with_its_words_not_its_number(library: PlanQA) -> None:
    answer = ask(library, "地方志书一般隔多少年编修一次？")
    assert not answer.refused, answer.text
    assert sources(answer)[0] == (CHRONICLES, "第十条")
    assert answer.citations[0].quote.startswith("地方志书每20年左右编修一次。")
    assert "第十条地方志书" not in answer.text


def test_a_regulations_items_are_sentences_of_its_article_not_headings(library: PlanQA) -> None:
    catalogue = library.index.catalogue()
    article = next(a for a in catalogue.articles if a.doc_title == ZHENGZHOU and a.clause_ref == "第十条")
    hits = library.search("郑州 居民申请养犬注册登记的条件", doc=ZHENGZHOU)
    passage = next(p for p in passages(hits, catalogue, 10) if p.article.clause_ref == article.clause_ref)
    texts = {s.text: s.is_heading for s in sentences(passage)}
    assert texts["居民申请养犬注册登记应当符合下列条件："] is False
    assert texts["（一）养犬人具有完全民事行为能力；"] is False
    assert not any(text.startswith("第十条") for text in texts)


def test_a_fine_in_the_clause_after_the_semicolon_is_quoted_with_its_offence(library: PlanQA) -> None:
    answer = ask(library, "青岛的养犬人没给犬只接种狂犬病疫苗又拒不改正的，罚多少？")
    assert not answer.refused, answer.text
    assert sources(answer)[0] == (QINGDAO, "第二十一条")
    assert "拒不改正的，处二百元以上一千元以下罚款。" in answer.text


def test_a_short_article_is_quoted_whole_so_its_exception_stays_with_it(library: PlanQA) -> None:
    answer = ask(library, "负责地方志工作的机构可以向哪些单位和个人征集地方志资料？")
    assert not answer.refused, answer.text
    assert sources(answer)[0] == (CHRONICLES, "第十一条")
    assert "但涉及国家秘密、商业秘密和个人隐私以及不符合档案开放条件的除外。" in answer.text


def test_a_provision_cut_at_a_semicolon_is_quoted_to_its_end_but_a_long_article_is_not_quoted_whole(
    library: PlanQA,
) -> None:
    answer = ask(library, "郑州的养犬注册登记，审查符合条件的发给什么？")
    assert not answer.refused, answer.text
    assert sources(answer)[0] == (ZHENGZHOU, "第十一条")
    assert (
        "发给养犬证和犬只标识；[1]因特殊情况不能当场办理的，应当自收到材料之日起七个工作日内，予以办理；[1]"
        in answer.text
    )
    assert "不予登记的，应当给予书面答复，并说明理由。[1]" in answer.text
    assert "犬只照片两张" not in answer.text  # the article's items are not part of this provision


def test_a_place_no_document_names_is_refused_by_name_not_answered_from_another_place(library: PlanQA) -> None:
    answer = ask(library, "青岛市养犬管理条例对烟台市的犬只收留所有什么规定？")
    assert answer.refused
    assert answer.text.endswith("（文件库中的文件没有提到烟台市。）"), answer.text
    named = ask(library, "青岛市的犬只收留所收留哪些犬只？")
    assert not named.refused, named.text


def test_a_part_asking_for_the_documents_date_is_looked_up_in_the_document_the_first_part_was_answered_from(
    library: PlanQA,
) -> None:
    answer = ask(library, "政府网站集约化试点的指导思想是什么？这个方案是哪天印发的？")
    assert not answer.refused, answer.text
    assert answer.text.count("\n") >= 1, answer.text  # one line per part
    assert "2018年10月27日" in answer.text.split("\n")[-1]
    assert "[2]" in answer.text.split("\n")[-1]  # the date's citation numbered after the first part's
    date_first = ask(library, "政府网站集约化试点工作方案是哪天印发的？它的指导思想是什么？")
    first, *rest = date_first.text.split("\n")
    assert "2018年10月27日" in first, date_first.text
    assert any("以习近平新时代中国特色社会主义思想为指导" in line for line in rest), date_first.text


def test_documents_are_ordered_by_the_date_asked_or_by_the_first_date_each_states(library: PlanQA) -> None:
    mixed = ask(library, "地方志工作条例和政府网站集约化试点工作方案哪个早？")
    assert not mixed.refused, mixed.text
    lines = mixed.text.split("\n")
    assert lines[0] == f"按日期，最早的是《{CHRONICLES}》，依次为："
    assert lines[1].startswith(f"《{CHRONICLES}》：发布日期2006年5月18日[1]")  # a law states when it was published
    assert "成文日期2018年10月27日[2]" in lines[2]
    published = ask(library, "地方志工作条例是哪一年公布的？")
    assert "2006年5月18日" in published.text and not published.refused, published.text


def test_a_sentence_introducing_items_is_answered_with_them(library: PlanQA) -> None:
    answer = ask(library, "在郑州，居民申请养犬注册登记要具备什么条件？")
    assert not answer.refused, answer.text
    assert sources(answer)[0] == (ZHENGZHOU, "第十条")
    assert "共5项" in answer.text
    assert "（五）法律、法规规定的其他条件。" in answer.text


# -- comparisons and questions in parts ---------------------------------------------------------------
def test_a_comparison_naming_two_cities_answers_from_each_citys_document(library: PlanQA) -> None:
    answer = ask(library, "郑州和青岛的养犬条例对每户能养几只犬分别是怎么规定的？")
    assert not answer.refused, answer.text
    cited = sources(answer)
    assert (ZHENGZHOU, "第九条") in cited
    assert (QINGDAO, "第五条") in cited
    assert "每户居民只准饲养一只犬" in answer.text and "每户限养一只" in answer.text


def test_a_comparison_naming_only_the_places_reads_each_places_document(library: PlanQA) -> None:
    question = library.reader.read("郑州和青岛对死亡犬只的尸体处理分别有什么规定？")
    assert set(question.doc_ids) == {"zhengzhou-dog-tiaoli-2021", "qingdao-dog-tiaoli-2016"}
    answer = ask(library, "郑州和青岛对死亡犬只的尸体处理分别有什么规定？")
    assert not answer.refused, answer.text
    assert {title for title, _ in sources(answer)} == {ZHENGZHOU, QINGDAO}
    assert "无害化处理场" in answer.text


def test_a_date_question_finds_the_date_that_opens_the_sentence(library: PlanQA) -> None:
    answer = ask(library, "政府网站集约化试点地区要在什么时候之前完成集约化工作？")
    assert not answer.refused, answer.text
    assert "2019年12月底前" in answer.citations[0].quote


def test_a_document_of_another_place_is_refused_by_name_not_answered_from_this_one(library: PlanQA) -> None:
    answer = library.ask("济南市养犬管理条例规定每户能养几只犬？")
    assert answer.refused
    assert "文件库中没有《济南市养犬管理条例》" in answer.text
    assert not library.ask("青岛市养犬管理条例规定每户能养几只犬？").refused
    answer = library.ask("天津市养犬管理规定对犬只登记怎么要求？")  # no document of 天津 at all
    assert answer.refused and "文件库中没有《天津市养犬管理规定》" in answer.text


# -- the question's words -----------------------------------------------------------------------------
def test_an_everyday_word_is_one_term_found_by_the_documents_word(library: PlanQA) -> None:
    question = library.reader.read("郑州养狗要去哪里登记？")
    weights = Weights(question, library.index.catalogue().keyword, 0.5)
    assert ("养狗", ("养犬",)) in question.expansions
    assert weights.alternatives["养狗"] == ("养犬",)
    assert weights.coverage("养犬登记") == weights.coverage("养狗登记") > 0
    assert weights.holds_key_term("养犬人应当办理登记")


def test_the_words_of_the_asking_weigh_nothing(library: PlanQA) -> None:
    weights = Weights(library.reader.read("什么时候完成集约化工作？"), library.index.catalogue().keyword, 0.5)
    assert "时候" not in weights.terms
    assert weights.heaviest in {"完成", "集约化"}
    assert weights.coverage("试点地区完成政府网站集约化工作") == 1.0


def test_the_key_term_is_a_whole_word_of_the_question_never_a_piece(library: PlanQA) -> None:
    weights = Weights(library.reader.read("洗车店必须用循环水吗？"), library.index.catalogue().keyword, 0.5)
    assert weights.heaviest != "环水"


@pytest.mark.parametrize(
    ("question", "wants_figure"),
    [("重点检查事项的抽查比例有上限吗？", False), ("重点检查事项的抽查比例上限是多少？", True)],
)
def test_a_yes_no_question_needs_no_figure(library: PlanQA, question: str, wants_figure: bool) -> None:
    assert (Want.NUMBER in library.reader.read(question).wants) is wants_figure


def test_a_time_that_opens_a_sentence_belongs_to_the_clause_after_it(library: PlanQA) -> None:
    keyword = library.index.catalogue().keyword
    question = library.reader.read("什么时候完成集约化工作？")
    weights = Weights(question, keyword, 0.5)
    has_kind = ExtractiveAnswerer._has_asked_kind
    assert has_kind(question, weights, "2019年12月底前，试点地区完成政府网站集约化工作。")
    assert not has_kind(question, weights, "试点地区完成政府网站集约化工作，2019年12月底前启动总结评估。")


def test_a_clause_going_on_with_bing_speaks_of_the_clauses_before_it(library: PlanQA) -> None:
    keyword = library.index.catalogue().keyword
    question = library.reader.read("试点地区什么时候要报实施方案？")
    weights = Weights(question, keyword, 0.5)
    has_kind = ExtractiveAnswerer._has_asked_kind
    assert has_kind(question, weights, "试点地区要抓紧制定具体实施方案，细化任务措施，并于2018年12月底前报送备案。")
    # a clause with a subject of its own is not about the clauses before it
    assert not has_kind(question, weights, "试点地区要抓紧制定具体实施方案，平台于2018年12月底前上线。")


@pytest.mark.parametrize("question", ["流浪犬几天内要通知养犬人？", "几个月内要领取奖励？", "每年召开几次会议？"])
def test_how_many_days_months_or_times_asks_for_a_figure(library: PlanQA, question: str) -> None:
    assert Want.NUMBER in library.reader.read(question).wants


@pytest.mark.parametrize(
    ("question", "unit_of_the_answer"),
    [
        ("登记不能当场办理的，多久内要办理？", "工作日"),  # "七个工作日内"
        ("犬只丢失了多少天内要办注销登记？", "日"),  # "三十日内": 天 is written 日
        ("举报人多长时间内要领奖？", "个月"),  # "多长时间" asks for a duration as "多久" does
    ],
)
def test_a_duration_is_asked_in_the_units_the_documents_write_it_in(
    library: PlanQA, question: str, unit_of_the_answer: str
) -> None:
    assert unit_of_the_answer in library.reader.read(question).units


@pytest.mark.parametrize(
    ("text", "units", "found"),
    [
        ("应当自收到材料之日起七个工作日内，予以办理", ("工作日",), True),  # the measure word between
        ("应当在被告知奖励决定之日起6个月内", ("个月",), True),
        ("每个工作日公布一次", ("工作日",), False),  # no number
    ],
)
def test_a_counted_unit_follows_its_number_and_measure_word(text: str, units: tuple[str, ...], found: bool) -> None:
    assert has_unit(text, units) is found


def test_a_duration_counted_in_working_days_answers_how_long(library: PlanQA) -> None:
    answer = ask(library, "郑州养犬登记不能当场办理的，多久内要办理？")
    assert not answer.refused, answer.text
    assert sources(answer)[0] == (ZHENGZHOU, "第十一条")
    assert "七个工作日内" in answer.text


def test_a_later_part_pointing_back_is_asked_of_the_document_just_answered_from(library: PlanQA) -> None:
    answer = ask(library, "郑州发现犬只有狂犬病征兆的怎么处理？这个条例是哪天通过的？")
    assert sources(answer) == [(ZHENGZHOU, "第二十条"), (ZHENGZHOU, "题注")]
    assert "通过日期：2007年6月22日" in answer.text


def test_two_places_before_one_documents_name_set_their_documents_side_by_side(library: PlanQA) -> None:
    answer = ask(library, "郑州和青岛的养犬条例对犬只免疫咋说的")
    assert sorted(sources(answer)) == [(ZHENGZHOU, "第八条"), (QINGDAO, "第八条")]
    assert "养犬实行强制免疫制度。" in answer.text
    assert "犬用狂犬病疫苗实行免费。" in answer.text


def test_a_place_beside_a_named_document_names_its_own_document_to_compare(library: PlanQA) -> None:
    question = "郑州养狗条例和青岛养犬条例，对每户能养几只狗的规定一样吗？"
    assert "养狗" not in library.reader.read(question).names  # jieba tags it a person's name
    answer = ask(library, question)
    assert sorted(sources(answer)) == [(ZHENGZHOU, "第九条"), (QINGDAO, "第五条")]
    assert "每户居民只准饲养一只犬。" in answer.text
    assert "居民养犬的，每户限养一只。" in answer.text


def test_the_dates_of_two_named_documents_are_looked_up_in_each(library: PlanQA) -> None:
    answer = ask(library, "郑州养犬条例跟地方志工作条例，施行日期各是啥？")
    assert f"《{ZHENGZHOU}》的施行日期：2007年10月1日" in answer.text
    assert f"《{CHRONICLES}》的施行日期：2006年5月18日" in answer.text


@pytest.mark.parametrize(
    ("first", "then", "understood", "source"),
    [
        (
            "郑州的养犬登记由哪个部门负责？",
            "那它什么时候施行？",
            f"《{ZHENGZHOU}》什么时候施行？",
            (ZHENGZHOU, "第三十三条"),
        ),
        (
            "郑州市城市养犬管理条例第十五条讲了什么？",
            "第十六条呢？",
            f"《{ZHENGZHOU}》第十六条讲了什么？",
            (ZHENGZHOU, "第十六条"),
        ),
    ],
)
def test_a_follow_up_is_read_with_the_regulation_the_previous_answer_cites(
    library: PlanQA, first: str, then: str, understood: str, source: tuple[str, str]
) -> None:
    answer = library.ask(then, history=[ask(library, first)])
    assert answer.understood_as == understood
    assert sources(answer)[0] == source


# -- what a figure is ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("暂扣犬只，并可处以每只三千元罚款", ["三千"]),
        ("用水量达到日供水能力百分之九十时", ["百分之九十"]),
        ("违反本条例第九条规定的", []),
        ("《法治政府建设实施纲要（2015—2020年）》要求完善规范性文件制定程序", []),
        ("共建百万人口现代化城市", []),
        ("两市中心城区直线距离仅28公里", ["28"]),
        ("联席会议原则上每年召开两次会议", ["两"]),  # a count of times
        ("你部《关于提请调整完善联席会议制度的请示》（教职成〔2018〕8号）收悉", []),  # a document's number
    ],
)
def test_figures(text: str, expected: list[str]) -> None:
    assert figures(text) == expected
