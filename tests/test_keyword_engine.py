"""The on-disk keyword index (rag/search/keyword_index.py, issue 16): BM25 over the jieba tokens of real
plans, the ranking and the weights the answerers read equal to today's in-memory `KeywordSearch`
(before and after documents are replaced and deleted), and an index that a fresh process opens as
written, with nothing tokenised or rebuilt."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import PLANS, PROJECT

from ingest.clean import CleaningRules
from ingest.loaders import SUPPORTED_SUFFIXES, Limits, read_unlimited
from ingest.pipeline import doc_id_for, parse_file, parse_text
from ingest.records import Article
from ingest.text import han_bigrams
from rag.search.hybrid import top_positive
from rag.search.keyword import KeywordSearch, tokenize
from rag.search.keyword_index import KeywordIndex, KeywordWriter
from rag.settings import Settings
from rag.store.catalogue import index_text

NEIZI = "neizi-tongchenghua-2021"
CHENGZI = "chengzi-gongzuo-yaodian-2023"
DEVCORPUS = PROJECT / "data" / "devcorpus" / "docs"
QUESTION_SETS = ("qa", "holdout")  # eval sets whose questions (that field only) are the parity queries
DEPTHS = (1, 5, 50)  # n asked of both rankings: 1 and 5 leave most matches outside tantivy's first pool


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


def write_articles(folder: Path, articles: list[Article], version: int = 1) -> None:
    """Each document's chunks, in catalogue order, as the store will hand them to the writer."""
    by_document: dict[str, list[Article]] = {}
    for article in articles:
        by_document.setdefault(article.doc_id, []).append(article)
    write(folder, by_document, version)


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


# -- the ranking equals today's bm25s ------------------------------------------------------------------------
def parsed_folder(folder: Path) -> list[Article]:
    """Every document of a project folder, parsed as ingest parses it but in this process (a sandboxed
    child per file costs seconds; these are the project's own files), in catalogue order (the store
    lists chunks by document id, then reading order)."""
    settings = Settings(_env_file=None)
    rules = CleaningRules.load(settings.ingest.rules_file)
    articles: list[Article] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            articles += parse_text(
                read_unlimited(path, Limits()),
                doc_id=doc_id_for(path),
                doc_file=path.name,
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                rules=rules,
                max_tokens=settings.ingest.max_chunk_tokens,
            )[1]
    return sorted(articles, key=lambda a: (a.doc_id, a.order, a.part))


def questions() -> list[str]:
    """The `question` field of every item of the dev and holdout sets (nothing else of them is read)."""
    found = []
    for name in QUESTION_SETS:
        lines = (PROJECT / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        found += [json.loads(line)["question"] for line in lines if line.strip()]
    return found


def todays_ranking(
    memory: KeywordSearch, articles: list[Article], tokens: list[str], n: int, doc_ids: Sequence[str]
) -> list[tuple[str, float]]:
    """What the app's keyword half gives today (`HybridSearch.keyword_ranking`): bm25s scores, only the
    documents' rows kept when documents are named, `top_positive`."""
    scores = memory.scores(tokens)
    if doc_ids:
        rows = [i for i, a in enumerate(articles) if a.doc_id in doc_ids]
        kept = np.zeros_like(scores)
        kept[rows] = scores[rows]
        scores = kept
    return [(articles[i].chunk_id, float(scores[i])) for i in top_positive(scores, n)]


def assert_ranks_as_today(index: KeywordIndex, articles: list[Article]) -> None:
    """For every question's tokens, at every depth, unfiltered and filtered to one and to two documents:
    the same chunks in the same order with the same float32 scores, to the bit (ties, which follow
    catalogue order, are only equal when the scores are)."""
    memory = KeywordSearch([index_text(a) for a in articles])
    documents = list(dict.fromkeys(a.doc_id for a in articles))
    assert len(index) == len(memory) == len(articles)
    compared = 0
    for number, question in enumerate(questions()):
        tokens = tokenize(question)
        one = documents[number % len(documents)]
        for doc_ids in ((), (one,), (one, documents[(number + 1) % len(documents)])):
            for n in DEPTHS:
                expected = todays_ranking(memory, articles, tokens, n, doc_ids)
                assert index.ranking(tokens, n, doc_ids) == expected, (question, n, doc_ids)
                compared += bool(expected)
    assert compared > len(questions()) * len(DEPTHS) * 2  # most questions find chunks, filtered too


@pytest.fixture(scope="module")
def five_plans() -> list[Article]:
    return parsed_folder(PLANS)


def test_ranks_every_eval_question_as_bm25s_does_on_the_plans(five_plans: list[Article], tmp_path: Path) -> None:
    write_articles(tmp_path / "index", five_plans)
    assert_ranks_as_today(KeywordIndex(tmp_path / "index"), five_plans)


def test_ranks_as_bm25s_does_after_documents_are_replaced_and_deleted(
    five_plans: list[Article], tmp_path: Path
) -> None:
    """Replaced and deleted chunks stay in tantivy's segments (and its own statistics) until a merge:
    the ranking, the chunk count and the frequencies must count live chunks only."""
    folder = tmp_path / "index"
    write_articles(folder, five_plans)
    neizi = [a for a in five_plans if a.doc_id == NEIZI]
    shortened = neizi[: len(neizi) // 2]
    with KeywordWriter(folder) as writer:
        writer.replace_document(NEIZI, [a.chunk_id for a in shortened], [index_text(a) for a in shortened])
        writer.delete_document(CHENGZI)
        writer.commit(2)
    left = [a for a in five_plans if a.doc_id not in (NEIZI, CHENGZI) or a in shortened]
    index = KeywordIndex(folder)
    assert index.version == 2
    assert_ranks_as_today(index, left)
    memory = KeywordSearch([index_text(a) for a in left])
    vocabulary = memory.vocabulary()
    assert [index.frequency(t) for t in vocabulary] == [memory.frequency(t) for t in vocabulary]
    assert sorted(index.vocabulary()) == sorted(vocabulary)
    assert index.typical_idf() == memory.typical_idf()


def test_ranks_every_eval_question_as_bm25s_does_on_the_dev_corpus(five_plans: list[Article], tmp_path: Path) -> None:
    articles = sorted(five_plans + parsed_folder(DEVCORPUS), key=lambda a: (a.doc_id, a.order, a.part))
    write_articles(tmp_path / "index", articles)
    assert_ranks_as_today(KeywordIndex(tmp_path / "index"), articles)
