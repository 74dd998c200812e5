"""The parts of an article a list or clause answer quotes: its items, the sentences introducing
them, its structure — on a 条例 not bundled with PlanQA and on a fixture 条例, so the rules hold
beyond the plans they were written from."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PROJECT

from ingest.clean import CleaningRules
from ingest.pipeline import parse_file
from ingest.records import Article
from rag.answer.evidence import Passage
from rag.answer.shapes import introductions, items
from rag.records import Hit

FIXTURES = Path(__file__).parent / "fixtures"
WEIHAI = PROJECT / "data" / "devcorpus" / "docs" / "weihai-parking-tiaoli-2021.md"


@pytest.fixture(scope="module")
def rules() -> CleaningRules:
    return CleaningRules.load()


def article(path: Path, rules: CleaningRules, clause_ref: str) -> Passage:
    _, articles = parse_file(path, rules, 800)
    found: Article = next(a for a in articles if a.clause_ref == clause_ref)
    return Passage(found, found.text, Hit(found, 1.0), found.text)


def quoted(passage: Passage, spans: list[tuple[int, int]]) -> list[str]:
    return [passage.text[start:end] for start, end in spans]


def test_a_regulation_articles_items_are_its_numbered_lines(rules: CleaningRules) -> None:
    passage = article(FIXTURES / "tiaoli_sample.md", rules, "第三条")
    assert quoted(passage, items(passage, 30, 80)) == [
        "（一）擅自砍伐城市树木的；",
        "（二）擅自占用城市绿地的；",
        "（三）损坏绿化设施的。",
    ]


def test_the_sentence_introducing_the_items_is_quoted_without_the_article_number(rules: CleaningRules) -> None:
    passage = article(FIXTURES / "tiaoli_sample.md", rules, "第五条")
    spans = items(passage, 30, 80)
    assert quoted(passage, spans) == ["1.居住区不低于百分之三十；", "2.学校、医院不低于百分之三十五。"]
    assert quoted(passage, introductions(passage, spans)) == ["新建项目的绿地率应当符合下列标准："]


@pytest.mark.skipif(not WEIHAI.exists(), reason="dev corpus not present")
def test_every_item_of_an_unbundled_regulation_is_found(rules: CleaningRules) -> None:
    passage = article(WEIHAI, rules, "第三十三条")
    found = quoted(passage, items(passage, 30, 80))
    assert len(found) == 4
    assert found[0] == "（一）机动车车道；" and found[-1] == "（四）法律、法规规定的其他禁止停放区域。"
    assert quoted(passage, introductions(passage, items(passage, 30, 80))) == ["下列区域禁止停放非机动车："]
