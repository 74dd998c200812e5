"""The bundled plans (通知/意见/方案/要点/决定 kinds) are cut exactly as before the regulation-aware
parser: tests/fixtures/plans_articles_a2.json was written by the ingest code of CHUNKER_VERSION a2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PLANS

from ingest.clean import CleaningRules
from ingest.pipeline import parse_file

BEFORE = json.loads((Path(__file__).parent / "fixtures" / "plans_articles_a2.json").read_text("utf-8"))
MAX_TOKENS = 800


@pytest.mark.parametrize("plan", sorted(BEFORE))
def test_every_article_of_a_bundled_plan_is_as_before(plan: str) -> None:
    document, articles = parse_file(PLANS / plan, CleaningRules.load(), MAX_TOKENS)
    assert [[a.clause_ref, a.text] for a in articles] == BEFORE[plan]["articles"]
    assert document.title == BEFORE[plan]["title"]
