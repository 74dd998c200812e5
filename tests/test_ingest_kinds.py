"""Regulations, orders, opinions with annexes and government web pages: structure and metadata on
made-up documents in the forms these kinds take (tests/fixtures/*_sample.*), none of them bundled."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PROJECT

from ingest.clean import CleaningRules
from ingest.pipeline import parse_file
from ingest.records import Article, Document

FIXTURES = PROJECT / "tests" / "fixtures"
MAX_TOKENS = 800
TIAOLI = "tiaoli_sample.md"
LING = "guowuyuan_ling_sample.txt"  # GB18030
YIJIAN = "yijian_with_annex_sample.txt"

# A 条例 page in the template many 人大/政府 sites share: title in <h1>, metadata row, the text, then
# print buttons, share links, related links and a footer that is not in a <footer> element.
PAGE_H1 = """<html><head><meta charset="utf-8"><title>某某市物业管理条例_某某市人民代表大会常务委员会</title></head>
<body><div class="top">某某人大网 <a>首页</a> <a>立法工作</a></div>
<div class="crumb">当前位置：首页 > 法规库</div>
<h1>某某市物业管理条例</h1>
<div class="info">发布时间：2022-01-10 来源：某某市人大常委会办公厅 【字体：大 中 小】</div>
<div class="content">
<p>（2021年11月25日某某市第十五届人民代表大会常务委员会第三十次会议通过）</p>
<p>第一章 总 则</p>
<p>第一条　为了规范物业管理活动，制定本条例。</p>
<p>第二条　业主大会有下列职责：</p><p>（一）制定管理规约；</p><p>（二）选聘物业服务人；</p>
<p>第二章 附 则</p>
<p>第三条　本条例自2022年3月1日起施行。</p>
</div>
<div class="tools">【打印】【关闭窗口】</div>
<div class="share">分享到：微信 微博</div>
<div class="links"><p>相关链接</p><p>1.某某市物业服务收费办法</p><p>2.某某市住宅专项维修资金管理办法</p></div>
<div class="foot"><p>网站地图 | 联系我们 | 网站声明</p><p>主办单位：某某市人大常委会办公厅</p>
<p>ICP备案号：某ICP备12345678号</p></div>
</body></html>"""

# A page of another template: no <h1>, the title in ArticleTitle meta and in <title> with a site suffix.
PAGE_META = """<html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="某某县农村人居环境整治实施方案">
<meta name="PubDate" content="2023-04-03 09:30">
<title>某某县农村人居环境整治实施方案_某某县人民政府网</title></head>
<body><div>网站首页 | 政务公开 | 政策文件</div>
<div class="article">
<p>一、工作目标</p><p>到2025年，农村卫生厕所普及率达到90%以上。</p>
<p>二、重点任务</p><p>（一）推进厕所革命。</p><p>（二）治理生活垃圾。</p>
</div>
<div>上一篇：某某县春季森林防火工作方案</div>
<div>版权所有：某某县人民政府办公室 网站标识码：5100000000</div>
</body></html>"""


@pytest.fixture(scope="module")
def rules() -> CleaningRules:
    return CleaningRules.load()


def parse(path: Path, rules: CleaningRules) -> tuple[Document, list[Article]]:
    return parse_file(path, rules, MAX_TOKENS)


@pytest.fixture(scope="module")
def tiaoli(rules) -> tuple[Document, list[Article]]:
    return parse(FIXTURES / TIAOLI, rules)


def by_ref(articles: list[Article], clause_ref: str) -> Article:
    found = [a for a in articles if a.clause_ref == clause_ref]
    assert len(found) == 1, [a.clause_ref for a in articles]
    return found[0]


# -- 条例 -----------------------------------------------------------------------------------------------


def test_items_of_an_article_stay_inside_it(tiaoli) -> None:
    three = by_ref(tiaoli[1], "第三条")
    assert "（一）擅自砍伐城市树木的；\n（二）" in three.text
    assert three.text.endswith("有前款第一项行为的，并处损失费一倍以上三倍以下罚款。")
    assert not any(a.clause_ref.startswith(("（", "(")) for a in tiaoli[1])


def test_numbered_sub_items_stay_inside_their_article(tiaoli) -> None:
    assert by_ref(tiaoli[1], "第五条").text.endswith("1.居住区不低于百分之三十；\n2.学校、医院不低于百分之三十五。")


def test_an_articles_section_is_its_marker_alone(tiaoli) -> None:
    assert {a.section for a in tiaoli[1] if a.role == "article"} == {f"第{n}条" for n in "一二三四五六"}


def test_markdown_chapters_with_spaces_are_chapters_and_sections_join_them(tiaoli) -> None:
    chapters = {a.clause_ref: a.chapter for a in tiaoli[1] if a.role == "article"}
    assert chapters["第一条"] == "第一章 总则"
    assert chapters["第四条"] == "第二章 规划与建设 第一节 规划"
    assert chapters["第五条"] == "第二章 规划与建设 第二节 建设"
    assert chapters["第六条"] == "第三章 附则"
    assert "#" not in tiaoli[0].text


def test_the_table_of_contents_is_one_article_and_not_chapters(tiaoli) -> None:
    contents = by_ref(tiaoli[1], "目录")
    assert contents.role == "contents"
    assert contents.text == "目录\n第一章总则\n第二章规划与建设\n第三章附则"


def test_a_regulation_has_title_kind_issuer_and_dates_from_its_text(tiaoli) -> None:
    document = tiaoli[0]
    assert (document.title, document.kind, document.issuer) == (
        "某某市城市绿化管理条例",
        "条例",
        "某某市人民代表大会常务委员会",
    )
    assert (document.date_adopted, document.date_approved, document.date_effective) == (
        "2020-06-18",
        "2020-09-25",
        "2021-01-01",
    )
    assert all((a.kind, a.date_effective) == ("条例", "2021-01-01") for a in tiaoli[1])


def test_the_adoption_note_is_the_title_note_article(tiaoli) -> None:
    note = by_ref(tiaoli[1], "题注")
    assert note.role == "notice" and note.text.startswith("（2020年6月18日") and note.text.endswith("批准）")


# -- 国务院令 ---------------------------------------------------------------------------------------------


def test_a_promulgation_order_gives_number_issuer_and_dates(rules) -> None:
    document, articles = parse(FIXTURES / LING, rules)
    assert (document.title, document.kind, document.doc_number, document.issuer) == (
        "某某事务管理条例",
        "条例",
        "中华人民共和国国务院令第800号",
        "国务院",
    )
    assert (document.date_adopted, document.date_published, document.date_effective) == (
        "2024-03-01",
        "2024-03-20",
        "2024-07-01",
    )
    assert by_ref(articles, "印发通知").text.startswith("中华人民共和国国务院令\n第800号\n")
    assert by_ref(articles, "第二条").text.endswith("(三)处理投诉举报。")


# -- 意见 with an annex ----------------------------------------------------------------------------------


def test_an_opinion_has_its_first_line_as_title_and_its_signature_as_issuer(rules) -> None:
    document, _ = parse(FIXTURES / YIJIAN, rules)
    assert (document.title, document.kind) == ("某某市人民政府关于加快推进某某产业发展的意见", "意见")
    assert (document.issuer, document.date_written) == ("某某市人民政府", "2023-05-06")


def test_an_annex_keeps_its_own_articles_under_its_own_chapter(rules) -> None:
    _, articles = parse(FIXTURES / YIJIAN, rules)
    annex = [a for a in articles if a.chapter.startswith("附件")]
    assert [a.clause_ref for a in annex] == ["附件一、（一）", "附件二、（一）"]
    assert annex[0].chapter == "附件 某某产业发展重点项目清单 一、制造类项目"
    assert annex[0].text.startswith("附件\n某某产业发展重点项目清单\n一、制造类项目\n")


# -- web pages ---------------------------------------------------------------------------------------------


def test_a_page_keeps_its_h1_title_and_drops_the_chrome_after_the_text(rules, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(PAGE_H1, "utf-8")
    document, articles = parse(tmp_path / "page.html", rules)
    assert document.title == "某某市物业管理条例"
    assert document.text.startswith("某某市物业管理条例\n（2021年11月25日")
    assert articles[-1].text == "第二章附则\n第三条本条例自2022年3月1日起施行。"
    assert not any(
        word in document.text for word in ("打印", "分享", "相关链接", "网站地图", "主办单位", "ICP", "收费办法")
    )
    assert by_ref(articles, "第二条").text == "第二条业主大会有下列职责：\n（一）制定管理规约；\n（二）选聘物业服务人；"
    assert (document.kind, document.date_adopted, document.date_effective) == ("条例", "2021-11-25", "2022-03-01")
    assert document.issuer == "某某市人民代表大会常务委员会"


def test_a_page_without_h1_takes_its_title_from_the_article_title_meta(rules, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(PAGE_META, "utf-8")
    document, articles = parse(tmp_path / "page.html", rules)
    assert (document.title, document.kind, document.date_published) == (
        "某某县农村人居环境整治实施方案",
        "方案",
        "2023-04-03",
    )
    assert articles[-1].text == "（二）治理生活垃圾。"
    assert "上一篇" not in document.text and "版权所有" not in document.text


def test_the_site_suffix_is_cut_from_a_page_title(rules, tmp_path: Path) -> None:
    page = PAGE_META.replace('<meta name="ArticleTitle" content="某某县农村人居环境整治实施方案">', "")
    (tmp_path / "page.html").write_text(page, "utf-8")
    assert parse(tmp_path / "page.html", rules)[0].title == "某某县农村人居环境整治实施方案"


# -- 决定 ------------------------------------------------------------------------------------------------
DECISION = """某某市人民代表大会常务委员会关于促进政务服务的决定

一、本市推行统一的电子证照服务，各级机关需要发放证照的，应当提供电子证照；申请人要求获得实体证照的，应当同步发放。

二、政务服务便民热线。本市设立统一的政务服务便民热线，受理企业和群众的咨询、投诉。
"""


def test_a_decisions_article_whose_first_words_end_at_a_semicolon_has_no_heading(rules, tmp_path: Path) -> None:
    path = tmp_path / "decision.txt"
    path.write_text(DECISION, encoding="utf-8")
    _, articles = parse(path, rules)
    first = by_ref(articles, "一、")
    assert first.chapter == "一、"  # a clause cut at its semicolon is not a heading, to repeat in every citation
    assert first.text.startswith("一、本市推行统一的电子证照服务，")
    assert by_ref(articles, "二、").chapter == "二、政务服务便民热线"
