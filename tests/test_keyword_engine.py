"""The on-disk keyword index (rag/search/keyword_index.py, issue 16): BM25 over the jieba tokens of two
real plans, the weights the answerers read equal to today's in-memory `KeywordSearch`, and an index
that a fresh process opens as written, with nothing tokenised or rebuilt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PLANS, PROJECT

from ingest.clean import CleaningRules
from ingest.pipeline import parse_file
from ingest.records import Article
from ingest.text import han_bigrams
from rag.search.keyword import KeywordSearch, tokenize
from rag.search.keyword_index import KeywordIndex, KeywordWriter
from rag.settings import Settings
from rag.store.catalogue import index_text

NEIZI = "neizi-tongchenghua-2021"
CHENGZI = "chengzi-gongzuo-yaodian-2023"


@pytest.fixture(scope="module")
def plans() -> dict[str, list[Article]]:
    """Two bundled plans, parsed as ingest parses them: doc_id → its chunks."""
    settings = Settings(_env_file=None)
    rules = CleaningRules.load(settings.ingest.rules_file)
    parsed = [parse_file(PLANS / f"{name}.txt", rules, settings.ingest.max_chunk_tokens) for name in (NEIZI, CHENGZI)]
    return {document.doc_id: articles for document, articles in parsed}


def write(folder: Path, plans: dict[str, list[Article]], version: int = 1) -> None:
    with KeywordWriter(folder) as writer:
        for doc_id, articles in plans.items():
            writer.replace_document(doc_id, [a.chunk_id for a in articles], [index_text(a) for a in articles])
        writer.commit(version)


@pytest.fixture(scope="module")
def index(plans: dict[str, list[Article]], tmp_path_factory: pytest.TempPathFactory) -> KeywordIndex:
    folder = tmp_path_factory.mktemp("keyword") / "index"
    write(folder, plans)
    return KeywordIndex(folder)


def refs(ranking: list[tuple[str, float]], plans: dict[str, list[Article]]) -> list[tuple[str, str]]:
    by_id = {a.chunk_id: a for articles in plans.values() for a in articles}
    return [(by_id[chunk_id].doc_id, by_id[chunk_id].clause_ref) for chunk_id, _ in ranking]


def test_ranks_the_chunks_holding_the_words_first(index: KeywordIndex, plans: dict[str, list[Article]]) -> None:
    ranking = index.ranking(tokenize("两市中心城区直线距离"), 3)
    assert refs(ranking, plans) == [(NEIZI, "二、（一）"), (NEIZI, "二、（二）"), (NEIZI, "四、（一）")]
    scores = [score for _, score in ranking]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_a_document_filter_keeps_only_that_documents_chunks(
    index: KeywordIndex, plans: dict[str, list[Article]]
) -> None:
    tokens = tokenize("成资同城化 交通")
    assert refs(index.ranking(tokens, 2), plans) == [(CHENGZI, "四、15."), (CHENGZI, "八、29.")]
    filtered = index.ranking(tokens, 2, doc_ids=[NEIZI])
    assert refs(filtered, plans) == [(NEIZI, "前言"), (NEIZI, "二、（二）")]
    unfiltered = dict(index.ranking(tokens, 100))
    assert all(score == unfiltered[chunk_id] for chunk_id, score in filtered)  # the filter adds nothing


def test_words_no_chunk_holds_find_nothing(index: KeywordIndex) -> None:
    assert index.ranking(["周杰伦", "演唱会"], 10) == []
    assert index.ranking([], 10) == []


def test_weights_for_the_answerers_equal_the_in_memory_index(
    index: KeywordIndex, plans: dict[str, list[Article]]
) -> None:
    texts = [index_text(a) for articles in plans.values() for a in articles]
    memory = KeywordSearch(texts)
    assert len(index) == len(memory) == 56
    assert sorted(index.vocabulary()) == sorted(memory.vocabulary())
    assert [index.frequency(t) for t in memory.vocabulary()] == [memory.frequency(t) for t in memory.vocabulary()]
    assert [index.idf(t) for t in memory.vocabulary()] == [memory.idf(t) for t in memory.vocabulary()]
    assert index.idf("周杰伦") == memory.idf("周杰伦")  # unknown: the highest weight
    grams = sorted({gram for text in texts for gram in han_bigrams(text)})
    assert [index.bigram_idf(g) for g in grams] == [memory.bigram_idf(g) for g in grams]
    assert index.bigram_idf("杰伦") == memory.bigram_idf("杰伦") == 0.0
    assert index.typical_idf() == memory.typical_idf()


# A fresh interpreter that cannot import jieba (so it cannot tokenise, let alone rebuild) opens the
# index and ranks pre-tokenised queries.
REOPEN = r"""
import json, sys
sys.modules["jieba"] = None
from pathlib import Path
from rag.search.keyword_index import KeywordIndex
index = KeywordIndex(Path(sys.argv[1]))
queries = json.loads(sys.argv[2])
print(json.dumps({"version": index.version, "size": len(index), "rankings": [index.ranking(q, 5) for q in queries]}))
"""


def test_a_fresh_process_opens_the_index_as_written_without_rebuilding(
    index: KeywordIndex, plans: dict[str, list[Article]]
) -> None:
    files = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in index.folder.iterdir()}
    queries = [tokenize("两市中心城区直线距离"), tokenize("氢能产业")]
    done = subprocess.run(
        [sys.executable, "-c", REOPEN, str(index.folder), json.dumps(queries, ensure_ascii=False)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode == 0, done.stderr
    opened = json.loads(done.stdout)
    assert opened["version"] == 1 and opened["size"] == 56
    assert opened["rankings"] == [[list(hit) for hit in index.ranking(q, 5)] for q in queries]
    assert {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in index.folder.iterdir()} == files


def test_changes_are_seen_after_commit_and_only_then(plans: dict[str, list[Article]], tmp_path: Path) -> None:
    folder = tmp_path / "index"
    write(folder, plans, version=1)
    before = KeywordIndex(folder)
    neizi = plans[NEIZI]
    with KeywordWriter(folder) as writer:
        writer.replace_document(NEIZI, [neizi[0].chunk_id], ["内江和自贡直线距离更近了"])
        assert len(KeywordIndex(folder)) == 56  # not committed: readers see the last commit
        writer.commit(2)
        after = before.reopen()
        assert (len(before), before.version, len(after), after.version) == (56, 1, 35, 2)
        assert refs(before.ranking(["直线"], 3), plans) == [(NEIZI, "二、（一）")]
        assert refs(after.ranking(["直线"], 3), plans) == [(NEIZI, neizi[0].clause_ref)]  # the old chunks are gone
        writer.delete_document(CHENGZI)
        writer.rollback()
        writer.commit(3)
        assert len(after.reopen()) == 35  # the rolled-back delete is gone
        writer.delete_document(CHENGZI)
    closed = after.reopen()  # a writer closed without commit: its change is dropped
    assert (len(closed), closed.version) == (35, 3)


def test_one_writer_at_a_time(plans: dict[str, list[Article]], tmp_path: Path) -> None:
    folder = tmp_path / "index"
    write(folder, plans)
    with KeywordWriter(folder), pytest.raises(ValueError, match="already an `IndexWriter` working"):
        KeywordWriter(folder)
    with KeywordWriter(folder) as writer:  # the lock is given up on close
        writer.reset()
        writer.commit(2)
    assert len(KeywordIndex(folder)) == 0
