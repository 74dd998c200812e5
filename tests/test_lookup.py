"""Clause references and document names are looked up, not searched."""

from __future__ import annotations

import pytest

from rag.query.clauses import ClausePath, ClauseQuery, clause_path, parse_clause_query


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("川南渝西方案第（十二）条讲了什么", ClauseQuery(section=12)),
        ("第(十二)条", ClauseQuery(section=12)),
        ("（二十六）", ClauseQuery(section=26)),
        ("第26条", ClauseQuery(unit=26, article=True)),  # written as an article: a regulation's 第二十六条 first
        ("成资 第3项", ClauseQuery(unit=3)),
        ("綦江万盛规划第十部分第（二）节", ClauseQuery(chapter=10, unit=2)),
        ("内自方案四、（三）的内容", ClauseQuery(chapter=4, section=3)),
        ("三、12.讲了什么", ClauseQuery(chapter=3, item=12)),
        ("第八部分讲什么", ClauseQuery(chapter=8)),
    ],
)
def test_clause_references_are_parsed(question: str, expected: ClauseQuery) -> None:
    assert parse_clause_query(question) == expected


@pytest.mark.parametrize("question", ["内江和自贡离得有多远？", "川南渝西到2025年的目标", "第一产业怎么发展"])
def test_questions_without_a_clause_reference_have_none(question: str) -> None:
    assert parse_clause_query(question) is None


@pytest.mark.parametrize(
    ("clause_ref", "path"),
    [
        ("三、（七）", ClausePath(3, 7, None)),
        ("七、26.", ClausePath(7, None, 26)),
        ("四、（二）3.", ClausePath(4, 2, 3)),
        ("二、", ClausePath(2, None, None)),
        ("第十二条", ClausePath(None, 12, None)),
        ("印发通知", ClausePath(None, None, None)),
    ],
)
def test_clause_paths_are_read_back_from_clause_refs(clause_ref: str, path: ClausePath) -> None:
    assert clause_path(clause_ref) == path


def test_a_unit_number_matches_a_section_or_an_item() -> None:
    query = ClauseQuery(unit=26)
    assert query.matches(ClausePath(8, 26, None))
    assert query.matches(ClausePath(7, None, 26))
    assert not query.matches(ClausePath(7, None, 25))


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("川南渝西方案的发文字号", "chuannan-yuxi-2023"),
        ("内自同城化的目标", "neizi-tongchenghua-2021"),
        ("綦江万盛规划第十部分", "qijiang-wansheng-2021"),
        ("棋江万盛到2025年", "qijiang-wansheng-2021"),  # one character wrong in a long name
        ("成资工作要点第26项", "chengzi-gongzuo-yaodian-2023"),
        ("内江市委决定是哪天通过的", "neijiang-shiwei-jueding-2020"),
        ("推动川南渝西地区融合发展总体方案", "chuannan-yuxi-2023"),
    ],
)
def test_documents_are_found_by_their_names(planqa, question: str, doc_id: str) -> None:
    assert planqa.reader.names.mentioned(question) == [doc_id]


def test_a_place_alone_names_no_document(planqa) -> None:
    assert planqa.reader.names.mentioned("内江的四大特色农业产业") == []


def test_a_comparison_names_its_documents_in_order(planqa) -> None:
    assert planqa.reader.names.mentioned("内自方案和川南渝西方案对内江机场的说法") == [
        "neizi-tongchenghua-2021",
        "chuannan-yuxi-2023",
    ]


@pytest.mark.parametrize("question", ["内江方案的目标", "自贡市委决定", "市委决定讲了什么", "省委决定的内容"])
def test_a_near_miss_or_generic_name_filters_on_no_document(planqa, question: str) -> None:
    assert planqa.reader.read(question).doc_ids == ()


def test_an_ambiguous_doc_value_is_refused_with_its_candidates(planqa) -> None:
    from rag.api import UnknownDocument

    with pytest.raises(UnknownDocument, match="同城化"):
        planqa.resolve_documents("同城化")  # 内自 and 成资 both: never one silently
