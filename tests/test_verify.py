"""Checking that an answer says only what its cited articles say."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingest.records import Article
from rag.answer.verify import Claim, claims, support, unsupported_claims
from rag.records import Citation

ARTICLE_TEXT = "(一)空间相近人文相亲。两市中心城区直线距离仅28公里,是全省地级市中心城区距离最近的两个城市。"


def _citation(n: int = 1, related_only: bool = False) -> Citation:
    article = Article(
        chunk_id="c1",
        doc_id="d",
        doc_file="d.txt",
        doc_title="内江自贡同城化发展总体方案",
        doc_number="",
        issuer="",
        date="",
        chapter="二、基础条件",
        section="（一）空间相近人文相亲",
        clause_ref="二、（一）",
        role="article",
        text=ARTICLE_TEXT,
        start=0,
        end=len(ARTICLE_TEXT),
        tokens=10,
        order=3,
    )
    return Citation(n, article, ARTICLE_TEXT, "两市中心城区直线距离仅28公里", 12, related_only)


def test_the_source_label_and_markers_are_not_part_of_a_claim() -> None:
    answer = "《内江自贡同城化发展总体方案》二、（一）空间相近人文相亲：两市中心城区直线距离仅28公里。[1]"
    assert claims(answer) == [Claim("两市中心城区直线距离仅28公里。", (1,))]


def test_each_sentence_is_a_claim_with_its_own_markers() -> None:
    assert [c.markers for c in claims("甲乙丙丁。[1]戊己庚辛。[2][3]")] == [(1,), (2, 3)]


def test_connector_lines_ending_with_a_colon_are_not_claims() -> None:
    assert claims("按成文日期，最早的是《甲》，依次为：\n《甲》：2021年6月25日[1]") == [Claim("2021年6月25日", (1,))]


def test_the_line_saying_an_answer_is_partial_is_not_a_claim() -> None:
    answer = "两市中心城区直线距离仅28公里。[1]\n（只回答了部分问题：没有找到关于“交通建设”的内容。）"
    assert claims(answer) == [Claim("两市中心城区直线距离仅28公里。", (1,))]
    assert unsupported_claims(answer, [_citation()], 0.5) == []


def test_a_direct_line_copied_from_the_quote_is_a_supported_claim() -> None:
    answer = "28公里[1]\n《内江自贡同城化发展总体方案》二、（一）空间相近人文相亲：两市中心城区直线距离仅28公里。[1]"
    assert claims(answer)[0] == Claim("28公里", (1,))
    assert unsupported_claims(answer, [_citation()], 0.5) == []


def test_a_verbatim_sentence_is_fully_supported() -> None:
    assert support("两市中心城区直线距离仅28公里", [ARTICLE_TEXT]) == 1.0


def test_an_invented_figure_lowers_support() -> None:
    assert support("两市中心城区直线距离为35公里", [ARTICLE_TEXT]) < support(
        "两市中心城区直线距离仅28公里", [ARTICLE_TEXT]
    )


def test_a_faithful_answer_has_no_unsupported_claims() -> None:
    assert unsupported_claims("两市中心城区直线距离仅28公里。[1]", [_citation()], 0.5) == []


def test_a_claim_without_a_marker_is_unsupported() -> None:
    assert unsupported_claims("两市中心城区直线距离仅28公里。", [_citation()], 0.5) == [
        "两市中心城区直线距离仅28公里。"
    ]


def test_a_marker_that_names_no_citation_is_unsupported() -> None:
    assert unsupported_claims("两市中心城区直线距离仅28公里。[2]", [_citation()], 0.5) == [
        "两市中心城区直线距离仅28公里。"
    ]


def test_a_claim_the_cited_article_does_not_hold_is_unsupported() -> None:
    assert unsupported_claims("自贡市人口超过五百万，经济总量全省第一。[1]", [_citation()], 0.5) == [
        "自贡市人口超过五百万，经济总量全省第一。"
    ]


def test_a_citation_offered_only_as_related_supports_nothing() -> None:
    assert unsupported_claims("两市中心城区直线距离仅28公里。[1]", [_citation(related_only=True)], 0.5) != []


# Verbatim quotes whose text holds HTML or Markdown characters (issue 14, item 10): a bracket, a
# semicolon or a `[n]` of the document is its text, not the answer's marker or a claim's end.
MARKUP_QUOTES = {
    "markdown-link": "两市中心城区[见附图](http://www.neijiang.gov.cn/map.png)直线距离仅28公里",
    "note": "两市中心城区直线距离仅28公里[注1]，是全省最近的",
    "number-in-brackets": "两市中心城区直线距离仅28公里[2]，是全省最近的",
    "entity": "两市中心城区 &amp; 直线距离仅28公里",
    "semicolon": "两市中心城区直线距离仅28公里；是全省最近的",
    "html-and-bracket": "<b>两市</b>中心城区]直线距离仅28公里",
    "escaped-marker": "两市中心城区直线距离仅28公里\\[1\\]",
}


@pytest.mark.parametrize("quote", MARKUP_QUOTES.values(), ids=MARKUP_QUOTES.keys())
def test_a_verbatim_quote_holding_markup_characters_is_supported(quote: str) -> None:
    text = f"(一)空间相近人文相亲。{quote}。"
    citation = replace(_citation(), text=text, quote=quote)
    answer = f"《内江自贡同城化发展总体方案》二、（一）空间相近人文相亲：{quote}。[1]"
    assert unsupported_claims(answer, [citation], 0.5) == []


def test_an_invented_sentence_before_a_quote_holding_markup_is_still_unsupported() -> None:
    quote = "两市中心城区直线距离仅28公里[注1]，是全省最近的"
    citation = replace(_citation(), text=f"(一)空间相近人文相亲。{quote}。", quote=quote)
    answer = f"自贡是全省最大的城市。{quote}。[1]"
    assert unsupported_claims(answer, [citation], 0.5) == ["自贡是全省最大的城市。"]
