"""Cleaning scraped pages: what is removed (site chrome, spam, `????` runs, figure captions) and
what must survive (every line of the documents themselves), on the five plans and on made-up pages.

Which raw lines are site chrome or captions was decided by reading the raw files (line numbers as
`cat -n` shows them); the tests then check the parser against that reading.
"""

from __future__ import annotations

import re

import pytest
from conftest import PLANS

from ingest.clean import CleaningRules, LineKind, clean_line, clean_lines, is_chrome, normalise_spaces, remove_spam
from ingest.pipeline import parse_file, parse_text
from ingest.records import Article, Document

MAX_TOKENS = 800
SPAM = "365体育投注"  # the advertising pasted into the 綦江—万盛 page
MOJIBAKE_RUN = re.compile(r"[?？]{2,}")

# Raw lines that are not document text, by plan: site chrome (navigation, page headline, metadata
# table, footer, widgets) and figure captions whose picture is gone. Every other non-blank line is
# document text and must reach some chunk.
NOT_DOCUMENT = {
    # 1-3 welcome/login, platform menu, breadcrumb; 5 the site's headline for the post; 7 publish line.
    "chuannan-yuxi-2023.txt": {1, 2, 3, 5, 7},
    # 1-16 share hint, login, font size, the metadata table twice; 98/106/112/126 figure captions;
    # 279-285 the chat widget and the leaving-the-site dialog.
    "qijiang-wansheng-2021.txt": {*range(1, 17), 98, 106, 112, 126, *range(279, 286)},
    # 1-5 site name, menu, breadcrumb, the site's headline, publish line; 189-191 footer.
    "chengzi-gongzuo-yaodian-2023.txt": {1, 2, 3, 4, 5, 189, 190, 191},
    # 1-8 menu and the (empty) metadata table; 10 the site's headline; 12 publish line; 98-103 footer.
    "neizi-tongchenghua-2021.txt": {*range(1, 9), 10, 12, *range(98, 104)},
    # 1 search box; 6 the page's date, read count and source; 54/56 "recommended articles" lists.
    "neijiang-shiwei-jueding-2020.txt": {1, 6, 54, 56},
}

# Text that only site chrome carries: none of it may reach a chunk.
BOILERPLATE = (
    "主办单位",
    "主办:",
    "承办:",
    "运行维护",
    "ICP备",
    "公网安备",
    "网站标识码",
    "热点文章推荐",
    "相关文章推荐",
    "渝快小宝",
    "语音播报",
    "即将离开",
    "继续访问",
    "字体",
    "索引号",
    "主题分类",
    "发文字号",
    "有效性",
    "发布时间",
    "发布日期",
    "成文日期",
    "发布机构",
    "录入:",
    "当前位置",
    "欢迎访问",
    "免费注册",
    "服务热线",
    "请点击右上角",
    "浏览器打开",
    "(欢迎您)",
    "10阅读",
    "来源:内江日",
    "028-26655501",
    "头条号",
    "政府信息公开",
)
CAPTION = re.compile(r"图\s*\d+\s*[?？]")


@pytest.fixture(scope="module")
def rules() -> CleaningRules:
    return CleaningRules.load()


@pytest.fixture(scope="module")
def parsed(rules: CleaningRules) -> dict[str, tuple[Document, list[Article]]]:
    return {name: parse_file(PLANS / name, rules, MAX_TOKENS) for name in NOT_DOCUMENT}


def document_lines(plan: str) -> list[tuple[int, str]]:
    """(line number, text) of every line of real document text, normalised as cleaning normalises it,
    with the spam string and `????` runs taken out."""
    out = []
    for number, line in enumerate((PLANS / plan).read_text("utf-8").split("\n"), start=1):
        text = normalise_spaces(MOJIBAKE_RUN.sub("", line.replace(SPAM, "")))
        if text and number not in NOT_DOCUMENT[plan]:
            out.append((number, text))
    return out


# -- the five plans -----------------------------------------------------------------------------------


@pytest.mark.parametrize("plan", sorted(NOT_DOCUMENT))
def test_every_line_of_document_text_survives_in_some_chunk(parsed, plan: str) -> None:
    chunks = [a.text for a in parsed[plan][1]]
    lost = [(number, text) for number, text in document_lines(plan) if not any(text in chunk for chunk in chunks)]
    assert lost == []


@pytest.mark.parametrize("plan", sorted(NOT_DOCUMENT))
def test_every_chunk_line_is_a_line_of_the_document(parsed, plan: str) -> None:
    """Nothing but document text reaches a chunk (long articles are cut at line ends, so whole lines)."""
    lines = {text for _, text in document_lines(plan)}
    for chunk in parsed[plan][1]:
        for line in chunk.text.split("\n"):
            assert line in lines, (chunk.clause_ref, line)


@pytest.mark.parametrize("plan", sorted(NOT_DOCUMENT))
def test_no_boilerplate_reaches_a_chunk(parsed, plan: str) -> None:
    for chunk in parsed[plan][1]:
        assert [b for b in BOILERPLATE if b in chunk.text] == [], chunk.clause_ref
        assert SPAM not in chunk.text
        assert not MOJIBAKE_RUN.search(chunk.text), chunk.clause_ref
        assert not CAPTION.search(chunk.text), chunk.clause_ref


def test_spam_is_cut_out_of_its_sentence_and_recorded_on_the_article(parsed) -> None:
    articles = parsed["qijiang-wansheng-2021.txt"][1]
    removed = {a.clause_ref: a.removed for a in articles if a.removed}
    assert removed == {"印发通知": (SPAM,), "前言": (SPAM,), "二、（二）": (SPAM,), "五、（二）": (SPAM,)}
    preamble = next(a for a in articles if a.clause_ref == "前言")
    assert "《中共重庆市委重庆市人民政府建立健全“一区两群”协调发展机制的实施意见》" in preamble.text


def test_mojibake_runs_are_cut_from_the_signature(parsed) -> None:
    notice = next(a for a in parsed["qijiang-wansheng-2021.txt"][1] if a.clause_ref == "印发通知")
    assert notice.text == (
        "重庆市人民政府办公厅\n"
        "印发綦江—万盛一体化发展规划的通知\n"
        "渝府办〔2021〕8号\n"
        "綦江区人民政府、万盛经开区管委会,市政府有关部门,有关单位:\n"
        "《綦江—万盛一体化发展规划》已经市政府同意,现印发给你们,请认真贯彻执行。\n"
        "重庆市人民政府办公厅\n"
        "2021年6月25日\n"
        "(此件公开发布)"
    )


def test_figure_captions_are_not_document_text(rules: CleaningRules) -> None:
    raw = (PLANS / "qijiang-wansheng-2021.txt").read_text("utf-8").split("\n")
    for number in (98, 106, 112, 126):
        assert clean_line(raw[number - 1], rules).kind is LineKind.CAPTION


# -- rules, one line at a time ------------------------------------------------------------------------


def test_single_spaces_next_to_chinese_are_scraping_artefacts() -> None:
    assert normalise_spaces("川府发〔 2023 〕9 号") == "川府发〔2023〕9号"
    assert normalise_spaces("现将《 推动川南渝西地区融合发展总体方案》") == "现将《推动川南渝西地区融合发展总体方案》"
    assert normalise_spaces("\u00a0有关单位 :\u2002") == "有关单位:"


def test_runs_of_spaces_between_names_become_one_space() -> None:
    assert normalise_spaces("四川省人民政府   重庆市人民政府") == "四川省人民政府 重庆市人民政府"
    assert normalise_spaces("PM2.5 and VOCs") == "PM2.5 and VOCs"


def test_spam_is_cut_from_the_middle_of_a_sentence(rules: CleaningRules) -> None:
    text, removed = remove_spam("以重点区域、365体育投注、重大改革为牵引带动全域一体化发展。", rules)
    assert text == "以重点区域、、重大改革为牵引带动全域一体化发展。"
    assert removed == ("365体育投注",)
    text, removed = remove_spam("加快建设澳门娱乐城和足球投注官网", rules)
    assert (text, set(removed)) == ("加快建设和", {"澳门娱乐城", "足球投注官网"})


def test_a_line_that_is_only_spam_and_mojibake_is_blank(rules: CleaningRules) -> None:
    line = clean_line("365体育投注??????", rules)
    assert (line.text, line.kind, line.removed) == ("", LineKind.BLANK, ("365体育投注",))


def test_replacement_characters_are_mojibake(rules: CleaningRules) -> None:
    assert clean_line("重庆市人民政府办公厅\ufffd\ufffd", rules).text == "重庆市人民政府办公厅"
    assert clean_line("你知道吗？？", rules).text == "你知道吗"


def test_a_question_mark_in_a_sentence_is_kept(rules: CleaningRules) -> None:
    assert clean_line("如何推动融合发展?", rules).text == "如何推动融合发展?"


@pytest.mark.parametrize(
    "line",
    [
        "当前位置:首页 > 政务公开 > 政策文件",
        "发布时间:2023-03-07 录入:资阳市同城化发展工作局",
        "• 发文字号:〔〕号",
        "【字体:大 中 小】",
        "主办单位:四川省人民政府办公厅",
        "网站标识码:5120000001 蜀ICP备05007295号-1 川公网安备 51200202000010号",
        "热点文章推荐",
        "扫一扫在手机打开当前页",
        "分享到:",
        "• 微信",
        "我是“渝快小宝”",
        "点击我,为您语音播报",
        "【我要纠错】 责任编辑：王某",
        "责任编辑：李某某",
    ],
)
def test_site_chrome_lines_are_recognised(rules: CleaningRules, line: str) -> None:
    assert clean_line(line, rules).kind in (LineKind.CHROME, LineKind.TAIL)  # a tail line is chrome that ends a page


@pytest.mark.parametrize(
    "line",
    [
        "欢迎您对本方案提出意见和建议。",  # a sentence is never chrome
        "资金来源:市级财政专项资金。",
        "(一)深化企业注册登记改革",  # a numbered heading with a chrome word
        "三、资金来源:市级财政",
        "2.优化用户注册登录流程",
        "(五)发展目标:单位GDP能耗>0.5吨标准煤>全市平均",
    ],
)
def test_sentences_and_numbered_headings_are_never_chrome(rules: CleaningRules, line: str) -> None:
    assert not is_chrome(normalise_spaces(line), rules)
    assert clean_line(line, rules).kind is LineKind.TEXT


@pytest.mark.parametrize(
    "line", ["图1? 綦江—万盛一体化城市发展格局示意图", "图 12：重点项目布局示意图", "图3-2 交通网络规划图"]
)
def test_figure_captions_are_recognised(rules: CleaningRules, line: str) -> None:
    assert clean_line(line, rules).kind is LineKind.CAPTION


def test_a_sentence_that_mentions_a_figure_is_not_a_caption(rules: CleaningRules) -> None:
    assert clean_line("图1所示格局已初步形成。", rules).kind is LineKind.TEXT


def test_windows_line_ends_are_lines(rules: CleaningRules) -> None:
    assert [line.text for line in clean_lines("一、总则\r\n(一)目的。\r二、附则", rules)] == [
        "一、总则",
        "(一)目的。",
        "二、附则",
    ]


# -- a whole made-up page ---------------------------------------------------------------------------

PAGE = """首页 > 政务公开 > 政策文件
当前位置:首页>政务公开>政策文件
发布时间:2024-05-06 10:30  来源:某某市人民政府办公室
【字体:大 中 小】 打印本页 关闭窗口

某某市人民政府关于印发某某县城乡融合发展实施方案的通知
某府发〔 2024 〕12 号
各区县人民政府,市级有关部门:
现将《某某县城乡融合发展实施方案》印发给你们,请认真贯彻落实。
某某市人民政府????????
2024年5月1日

某某县城乡融合发展实施方案
为推动城乡融合发展,制定本方案。
一、总体要求
(一)指导思想。坚持以人民为中心365体育投注的发展思想,推动城乡要素双向流动。
(二)主要目标。到2027年,城乡融合发展体制机制基本建立。\ufffd\ufffd
图1? 城乡融合发展格局示意图
二、重点任务
(一)深化企业注册登记改革
推行企业开办全程网上办理,压缩办理时限。
(二)推进公共服务共享
推动教育、医疗资源向乡村延伸。
主办单位:某某市人民政府办公室 
网站标识码:5100000000 蜀ICP备00000000号
扫一扫在手机打开当前页
"""


@pytest.fixture(scope="module")
def page(rules: CleaningRules) -> tuple[Document, list[Article]]:
    return parse_text(PAGE, doc_id="page", doc_file="page.txt", sha256="0", rules=rules, max_tokens=MAX_TOKENS)


def test_a_made_up_page_keeps_exactly_its_document(page) -> None:
    document, _ = page
    assert document.text == "\n".join(
        [
            "某某市人民政府关于印发某某县城乡融合发展实施方案的通知",
            "某府发〔2024〕12号",
            "各区县人民政府,市级有关部门:",
            "现将《某某县城乡融合发展实施方案》印发给你们,请认真贯彻落实。",
            "某某市人民政府",
            "2024年5月1日",
            "某某县城乡融合发展实施方案",
            "为推动城乡融合发展,制定本方案。",
            "一、总体要求",
            "(一)指导思想。坚持以人民为中心的发展思想,推动城乡要素双向流动。",
            "(二)主要目标。到2027年,城乡融合发展体制机制基本建立。",
            "二、重点任务",
            "(一)深化企业注册登记改革",
            "推行企业开办全程网上办理,压缩办理时限。",
            "(二)推进公共服务共享",
            "推动教育、医疗资源向乡村延伸。",
        ]
    )


def test_a_made_up_page_is_cut_into_its_articles(page) -> None:
    _, articles = page
    assert [(a.clause_ref, a.section, a.removed) for a in articles] == [
        ("印发通知", "", ()),
        ("前言", "", ()),
        ("一、（一）", "（一）指导思想", ("365体育投注",)),
        ("一、（二）", "（二）主要目标", ()),
        ("二、（一）", "（一）深化企业注册登记改革", ()),
        ("二、（二）", "（二）推进公共服务共享", ()),
    ]
    assert articles[4].text == "二、重点任务\n(一)深化企业注册登记改革\n推行企业开办全程网上办理,压缩办理时限。"


def test_a_made_up_page_has_its_metadata(page) -> None:
    document, _ = page
    assert (document.title, document.doc_number, document.issuer, document.date_written, document.date_published) == (
        "某某县城乡融合发展实施方案",
        "某府发〔2024〕12号",
        "某某市人民政府",
        "2024-05-01",
        "2024-05-06",
    )


def test_a_chrome_line_after_the_last_heading_ends_the_document(rules: CleaningRules) -> None:
    text = "一、总体要求\n(一)目标。建成示范区。\n相关文章推荐\n关于开展第二批示范区申报工作的通知\n"
    document, articles = parse_text(text, doc_id="d", doc_file="d.txt", sha256="0", rules=rules, max_tokens=MAX_TOKENS)
    assert document.text == "一、总体要求\n(一)目标。建成示范区。"
    assert [a.clause_ref for a in articles] == ["一、（一）"]
