"""Document names are derived from titles, uploaded documents' too; a name never silently picks
one document it does not name (near misses, generic words, names that fit several documents)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.records import Document
from rag.query.names import AmbiguousName, DocumentNames, load_aliases

ROOT = Path(__file__).resolve().parents[1]
PLANS = {
    "chuannan-yuxi-2023": "推动川南渝西地区融合发展总体方案",
    "neizi-tongchenghua-2021": "内江自贡同城化发展总体方案",
    "chengzi-gongzuo-yaodian-2023": "成资同城化发展2023年工作要点",
    "qijiang-wansheng-2021": "重庆市綦江区万盛经开区一体化发展规划",
    "neijiang-shiwei-jueding-2020": "中共内江市委关于深入贯彻习近平总书记重要讲话精神加快推动内江全面融入成渝地区双城经济圈建设的决定",
}


def _titles() -> dict[str, str]:
    """The bundled plans and the dev corpus (documents the name rules were not written from)."""
    titles = dict(PLANS)
    for line in open(ROOT / "data/devcorpus/manifest.jsonl", encoding="utf-8"):
        record = json.loads(line)
        titles[record["file"].rsplit(".", 1)[0]] = record["title"]
    return titles


@pytest.fixture(scope="module")
def names() -> DocumentNames:
    documents = [Document(doc_id=d, doc_file=d, title=t, text="", sha256="") for d, t in _titles().items()]
    return DocumentNames(documents, load_aliases(ROOT / "data/plans/aliases.toml"))


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("停车条例第十条", "weihai-parking-tiaoli-2021"),
        ("威海停车条例是哪天开始施行的", "weihai-parking-tiaoli-2021"),
        ("威海市停车条例", "weihai-parking-tiaoli-2021"),
        ("停车管理条例", "weihai-parking-tiaoli-2021"),
        ("家庭教育促进法什么时候施行", "family-education-law-2021"),
        ("政务新媒体意见", "gov-new-media-yijian-2018"),
        ("新媒体的意见是谁发的", "gov-new-media-yijian-2018"),
        ("北京控烟条例从哪天开始施行", "beijing-tobacco-control-tiaoli-2021"),
        ("重庆控烟条例是哪次会议通过的", "chongqing-smoking-control-tiaoli-2020"),
        ("反家暴法第二十三条", "anti-domestic-violence-law-2015"),
        ("英烈保护法", "heroes-martyrs-protection-law-2018"),
        ("无废城市方案", "gov-zero-waste-city-fangan-2018"),  # the plan inside 印发…的通知
        ("个税法实施条例", "iit-law-shishi-tiaoli-2018"),
        ("郑州的养犬条例", "zhengzhou-dog-tiaoli-2021"),  # a place right before narrows
        ("青岛养犬条例", "qingdao-dog-tiaoli-2016"),
        ("棋江万盛到2025年", "qijiang-wansheng-2021"),  # a homophone typo of a long name
        ("内江市委决定是哪天通过的", "neijiang-shiwei-jueding-2020"),
        ("川南渝西方案的发文字号", "chuannan-yuxi-2023"),
        ("内自同城化的目标", "neizi-tongchenghua-2021"),
        ("成资工作要点第26项", "chengzi-gongzuo-yaodian-2023"),
    ],
)
def test_names_people_use_are_derived_from_titles(names: DocumentNames, question: str, doc_id: str) -> None:
    assert names.mentioned(question) == [doc_id]


@pytest.mark.parametrize(
    "question",
    [
        "内江方案的目标",  # a place and a kind word: not the 内自 plan's name
        "自贡市委决定",  # no 自贡 市委 决定 is indexed
        "市委决定讲了什么",
        "省委决定的内容",
        "条例规定了什么",
        "方案的目标",
        "管理条例",
        "北京市信访条例规定的办理时限",  # 上海市信访条例 is indexed, not 北京's
        "江苏省电动自行车管理条例对不戴头盔罚款多少",
        "天津市节约用水条例",
        "公务员的带薪年休假按哪个办法执行",
        "施行时废止了哪个规定",  # 规定 as a verb or noun, not a name
        "内江的四大特色农业产业",
    ],
)
def test_near_misses_and_generic_words_name_nothing(names: DocumentNames, question: str) -> None:
    assert names.mentioned(question) == []


def test_a_name_that_fits_two_documents_names_both_never_one(names: DocumentNames) -> None:
    both = {"zhengzhou-dog-tiaoli-2021", "qingdao-dog-tiaoli-2016"}
    assert set(names.mentioned("养犬条例规定了什么")) == both
    assert set(names.mentioned("郑州和青岛的养犬条例")) == both
    [mention] = names.mentions("控烟条例")
    assert set(mention.doc_ids) == {"beijing-tobacco-control-tiaoli-2021", "chongqing-smoking-control-tiaoli-2020"}


def test_a_comparison_names_its_documents_in_order(names: DocumentNames) -> None:
    assert names.mentioned("内自方案和川南渝西方案对内江机场的说法") == [
        "neizi-tongchenghua-2021",
        "chuannan-yuxi-2023",
    ]
    assert names.mentioned("反家庭暴力法和家庭教育促进法") == [
        "anti-domestic-violence-law-2015",
        "family-education-law-2021",
    ]


def test_an_ambiguous_doc_value_lists_its_candidates(names: DocumentNames) -> None:
    with pytest.raises(AmbiguousName) as error:
        names.resolve("养犬条例")
    assert set(error.value.titles) == {"郑州市城市养犬管理条例", "青岛市养犬管理条例"}
    assert names.resolve("威海停车条例") == ["weihai-parking-tiaoli-2021"]
    assert names.resolve("qingdao-dog-tiaoli-2016") == ["qingdao-dog-tiaoli-2016"]
    assert names.resolve("市委决定") == []  # generic: no document (the caller raises UnknownDocument)


def test_uploaded_documents_get_names_without_aliases() -> None:
    documents = [
        Document(doc_id="a", doc_file="a.md", title="苏州市生活垃圾分类管理条例", text="", sha256=""),
        Document(doc_id="b", doc_file="b.md", title="苏州市河道管理条例", text="", sha256=""),
    ]
    names = DocumentNames(documents, {})
    assert names.mentioned("垃圾分类条例第五条") == ["a"]
    assert names.mentioned("苏州河道条例") == ["b"]
    assert names.mentioned("苏州条例") == []
    assert names.strip_names("垃圾分类条例第五条") == " 第五条"


def test_a_nickname_takes_in_the_title_words_after_it(names: DocumentNames) -> None:
    assert names.strip_names("内自同城化的四个发展定位") == " 的四个发展定位"
    assert names.strip_names("内自的目标") == " 的目标"
