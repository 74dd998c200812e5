"""Document metadata read from the plan pages: title, document number, issuer, dates.

The expected values were read off the raw pages: the metadata table where the page has one, else the
issuing notice (its header, 文号 line, signature and date), else the title's adoption note.
"""

from __future__ import annotations

import hashlib

import pytest
from conftest import PLANS

from ingest.clean import CleaningRules
from ingest.metadata import is_doc_number_line, iso_date, normalise_doc_number, page_fields, read_metadata
from ingest.pipeline import parse_file

# plan: (title, doc_number, issuer, date written, date published)
EXPECTED = {
    "chuannan-yuxi-2023.txt": (
        "推动川南渝西地区融合发展总体方案",
        "川府发〔2023〕9号",  # the page writes 川府发〔 2023 〕9 号
        "四川省人民政府 重庆市人民政府",
        "2023-03-02",  # the notice's date
        "2023-04-12",  # 发布时间:2023-04-12 10:28
    ),
    "qijiang-wansheng-2021.txt": (
        "綦江—万盛一体化发展规划",
        "渝府办〔2021〕8号",
        "重庆市人民政府办公厅",  # the table's 发布机构 is empty; the notice header names it
        "2021-06-25",  # 成文日期
        "2021-07-01",  # 发布日期
    ),
    "chengzi-gongzuo-yaodian-2023.txt": (
        "成资同城化发展2023年工作要点",
        "资双圈同城领〔2023〕3号",
        "资阳市全面融入成渝地区双城经济圈建设暨推进同城化发展领导小组",
        "2023-03-07",
        "2023-03-07",
    ),
    "neizi-tongchenghua-2021.txt": (
        "内江自贡同城化发展总体方案",
        "",  # the table's 发文字号 is an empty 〔〕号
        "四川省发展和改革委员会",  # the notice's signature
        "2021-10-30",
        "2021-11-03",
    ),
    "neijiang-shiwei-jueding-2020.txt": (
        "中共内江市委关于深入贯彻习近平总书记重要讲话精神加快推动内江全面融入成渝地区双城经济圈建设的决定",
        "",  # a party decision adopted at a plenary session has no 文号
        "中共内江市委",
        "2020-07-30",  # adopted (the title's note)
        "2020-10-26",  # the page's own date; its source line adds the newspaper's 2020-08-03
    ),
}


@pytest.fixture(scope="module")
def documents():
    rules = CleaningRules.load()
    return {name: parse_file(PLANS / name, rules, 800)[0] for name in EXPECTED}


@pytest.mark.parametrize("plan", sorted(EXPECTED))
def test_each_plan_has_the_metadata_read_off_its_page(documents, plan: str) -> None:
    document = documents[plan]
    found = (document.title, document.doc_number, document.issuer, document.date_written, document.date_published)
    assert found == EXPECTED[plan]


@pytest.mark.parametrize("plan", sorted(EXPECTED))
def test_the_date_a_person_gives_is_the_date_written(documents, plan: str) -> None:
    assert documents[plan].date == EXPECTED[plan][3]


def test_document_ids_come_from_file_names(documents) -> None:
    assert {d.doc_id for d in documents.values()} == {name.removesuffix(".txt") for name in EXPECTED}


def test_the_hash_is_of_the_file_bytes(documents) -> None:
    plan = "neizi-tongchenghua-2021.txt"
    assert documents[plan].sha256 == hashlib.sha256((PLANS / plan).read_bytes()).hexdigest()


# -- the rules one by one ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("川府发〔 2023 〕9 号", "川府发〔2023〕9号"),
        ("发文字号 : 渝府办〔2021〕8号", "渝府办〔2021〕8号"),
        ("资双圈同城领〔2023〕3号", "资双圈同城领〔2023〕3号"),
        ("川府函[2021]218号", "川府函〔2021〕218号"),
        ("国发（2024）7号", "国发〔2024〕7号"),
        ("〔〕号", ""),
        ("2023年3月2日", ""),
    ],
)
def test_document_numbers_are_normalised(text: str, number: str) -> None:
    assert normalise_doc_number(text) == number


def test_a_doc_number_line_holds_nothing_else() -> None:
    assert is_doc_number_line("川府发〔 2023 〕9 号")
    assert not is_doc_number_line("按照《批复》(川府函〔2021〕218号)精神")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2023年3月2日", "2023-03-02"),
        ("发布时间:2023-04-12 10:28", "2023-04-12"),
        ("(2020年7月30日中国共产党内江市第七届委员会第十一次全体会议通过)", "2020-07-30"),
        ("2021/6/25", "2021-06-25"),
        ("成文日期:", ""),
    ],
)
def test_dates_are_iso(text: str, date: str) -> None:
    assert iso_date(text) == date


def test_page_fields_are_read_from_a_one_line_table() -> None:
    fields = page_fields(["发布机构 成文日期 2021-06-25 发布日期 2021-07-01", "发文字号 渝府办〔2021〕8号 有 效 性"])
    assert fields == {"成文日期": "2021-06-25", "发布日期": "2021-07-01", "发文字号": "渝府办〔2021〕8号"}


def test_the_page_table_wins_over_the_notice() -> None:
    meta = read_metadata(
        head_lines=["发文字号:某府发〔2024〕1号", "成文日期:2024-01-02", "发文机关:某某市人民政府办公室"],
        notice_lines=[
            "某某市人民政府关于印发某方案的通知",
            "某府发〔2024〕9号",
            "各区县:",
            "现印发。",
            "某某市人民政府",
            "2024年1月5日",
        ],
        title="某方案",
        title_note="",
    )
    assert (meta.doc_number, meta.issuer, meta.date_written) == (
        "某府发〔2024〕1号",
        "某某市人民政府办公室",
        "2024-01-02",
    )


def test_a_page_with_only_its_notice_title_gives_the_plan_title() -> None:
    meta = read_metadata(
        head_lines=["标题:某某市人民政府关于印发《某某行动方案》的通知"], notice_lines=[], title="", title_note=""
    )
    assert meta.title == "某某行动方案"
