"""A synthetic corpus of any size, made from the real articles, written straight into a PLANQA_HOME.

Each synthetic document is a copy of a real plan with its wording varied so that BM25 and the dense
index both have real work: place names swapped for other cities (one consistent map per copy),
digits and years changed, and the sentences inside each article shuffled. Every change keeps the
length of the text, so each article is still exactly `document.text[start:end]`. The first copy of
each plan is the real plan, untouched, so the eval questions keep their answers.

Embedding 100k passages takes hours on two cores, so the vectors are SYNTHETIC: the real vector of
the source article plus Gaussian noise, re-normalised (cosine to the source about 0.95 by default).
The query path stays real: real query embeddings, Chroma's real HNSW, real BM25 over the varied text.

Documents are written with the product's own `ArticleStore.replace_document`, so the collections
have exactly the format rag/ reads; its calls to the collections are buffered and sent in batches of
thousands (one call per document is ~0.5 s, hours at 100k), and the deletes it starts with are
skipped, as the collections were just reset.

    python -m benchmarks.synthetic --size 10000 --source /tmp/planqa-bench/base --home /tmp/planqa-bench/syn-10000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.common import set_offline

SOURCE_PLACES = (
    "内江",
    "自贡",
    "綦江",
    "万盛",
    "重庆",
    "四川",
    "川南",
    "渝西",
    "成都",
    "资阳",
    "宜宾",
    "泸州",
    "永川",
    "江津",
    "大足",
    "铜梁",
    "荣昌",
    "璧山",
    "沱江",
    "南川",
    "贵阳",
    "遂宁",
    "眉山",
    "德阳",
    "乐山",
    "黔北",
)
REPLACEMENT_PLACES = (
    "绵阳",
    "南充",
    "雅安",
    "广元",
    "巴中",
    "达州",
    "广安",
    "洛阳",
    "开封",
    "安阳",
    "新乡",
    "焦作",
    "许昌",
    "漯河",
    "商丘",
    "周口",
    "信阳",
    "南阳",
    "襄阳",
    "宜昌",
    "荆州",
    "黄石",
    "十堰",
    "孝感",
    "荆门",
    "鄂州",
    "黄冈",
    "咸宁",
    "随州",
    "株洲",
    "湘潭",
    "衡阳",
    "邵阳",
    "岳阳",
    "常德",
    "益阳",
    "郴州",
    "永州",
    "怀化",
    "娄底",
    "柳州",
    "桂林",
    "梧州",
    "北海",
    "钦州",
    "贵港",
    "玉林",
    "百色",
    "安顺",
    "毕节",
    "铜仁",
    "曲靖",
    "玉溪",
    "保山",
    "昭通",
    "丽江",
    "普洱",
    "临沧",
    "汉中",
    "安康",
    "商洛",
    "延安",
    "榆林",
    "宝鸡",
    "咸阳",
    "渭南",
    "天水",
    "平凉",
    "庆阳",
    "定西",
    "陇南",
    "武威",
    "张掖",
    "酒泉",
    "赣州",
    "吉安",
    "宜春",
    "抚州",
    "上饶",
    "九江",
    "景德",
    "萍乡",
    "新余",
    "鹰潭",
    "芜湖",
    "蚌埠",
    "淮南",
    "淮北",
    "铜陵",
    "安庆",
    "黄山",
    "滁州",
    "阜阳",
    "宿州",
    "六安",
    "亳州",
    "池州",
    "宣城",
    "莆田",
    "三明",
    "漳州",
    "南平",
    "龙岩",
    "宁德",
)
NOISE_SIGMA = 0.0168  # per-dimension noise: cosine to the source ≈ 1/sqrt(1 + 384 σ²) ≈ 0.95
YEAR_SHIFT = 9  # years move by at most this many
_YEAR = re.compile(r"(?<!\d)(19|20)(\d\d)(?!\d)")
_DIGITS = re.compile(r"\d+")
_SENTENCE = re.compile(r"[^。；！？]*[。；！？]|[^。；！？]+$")
SEED = 20240601


class Variation:
    """One copy's consistent changes: a place map, a year shift, a digit permutation, a shuffle seed."""

    def __init__(self, copy: int, seed: int = SEED) -> None:
        self.random = random.Random(seed * 1_000_003 + copy)
        targets = self.random.sample(REPLACEMENT_PLACES, len(SOURCE_PLACES))
        self.places = dict(zip(SOURCE_PLACES, targets))
        self.shift = self.random.choice([s for s in range(-YEAR_SHIFT, YEAR_SHIFT + 1) if s])
        nonzero = list("123456789")
        self.random.shuffle(nonzero)
        self.digits = str.maketrans("123456789", "".join(nonzero))
        self._places = re.compile("|".join(map(re.escape, SOURCE_PLACES)))

    def words(self, text: str) -> str:
        """Places swapped, years shifted, other digits permuted; the length never changes."""
        text = self._places.sub(lambda m: self.places[m.group()], text)
        return _DIGITS.sub(self._number, text)

    def year(self, iso_date: str) -> str:
        """An ISO date with only its year shifted (months and days stay valid)."""
        return _YEAR.sub(lambda m: str(int(m.group()) + self.shift), iso_date)

    def _number(self, match: re.Match[str]) -> str:
        run = match.group()
        if _YEAR.fullmatch(run):
            return str(int(run) + self.shift)
        return run.translate(self.digits)

    def shuffle(self, span: str) -> str:
        """Sentences shuffled inside each line (the first sentence, often a heading, stays)."""
        lines = []
        for line in span.split("\n"):
            sentences = _SENTENCE.findall(line)
            if len(sentences) > 2 and "".join(sentences) == line:
                rest = sentences[1:]
                self.random.shuffle(rest)
                line = sentences[0] + "".join(rest)
            lines.append(line)
        return "\n".join(lines)


def noisy(vectors: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Source vectors plus Gaussian noise, L2-normalised again."""
    moved = vectors + rng.normal(0.0, sigma, size=vectors.shape).astype(np.float32)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def vary(document, articles, copy: int):
    """A varied copy of a document and its articles (copy 0: the document itself)."""
    from ingest.pipeline import chunk_id

    if copy == 0:
        return document, articles
    variation = Variation(copy)
    text = variation.words(document.text)
    for article in articles:
        span = variation.shuffle(text[article.start : article.end])
        text = text[: article.start] + span + text[article.end :]
    suffix = f"-syn{copy:05d}"
    new_document = replace(
        document,
        doc_id=document.doc_id + suffix,
        doc_file=Path(document.doc_file).stem + suffix + Path(document.doc_file).suffix,
        title=variation.words(document.title),
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        doc_number=variation.words(document.doc_number),
        date_written=variation.year(document.date_written),
        date_published=variation.year(document.date_published),
        source_path="",
    )
    new_articles = []
    for article in articles:
        new_articles.append(
            replace(
                article,
                chunk_id=chunk_id(
                    new_document.doc_id, article.clause_ref, article.order, article.part
                ),  # order: unique
                doc_id=new_document.doc_id,
                doc_file=new_document.doc_file,
                doc_title=new_document.title,
                doc_number=new_document.doc_number,
                date=variation.year(article.date),
                chapter=variation.words(article.chapter),
                section=variation.words(article.section),
                text=text[article.start : article.end],
            )
        )
    return new_document, new_articles


def read_source(source_home: Path):
    """The real documents, their articles (reading order) and vectors, from a built PLANQA_HOME."""
    from rag.settings import Settings
    from rag.store.chroma import ArticleStore, make_client

    settings = Settings(_env_file=None, home=source_home)
    client = make_client(settings)
    store = ArticleStore(client, settings.collection_name)
    articles = store.articles()
    if not articles:
        raise SystemExit(f"{source_home} holds no index: build it first (python -m rag ingest)")
    found = client.get_collection(settings.collection_name).get(
        ids=[a.chunk_id for a in articles], include=["embeddings"]
    )
    by_id = dict(zip(found["ids"], np.asarray(found["embeddings"], dtype=np.float32)))
    vectors = np.stack([by_id[a.chunk_id] for a in articles])
    documents = store.documents()
    grouped = [(d, [a for a in articles if a.doc_id == d.doc_id]) for d in documents]
    for document, chunks in grouped:
        for article in chunks:
            assert document.text[article.start : article.end] == article.text, article.chunk_id
    index_of = {a.chunk_id: i for i, a in enumerate(articles)}
    return [(d, chunks, vectors[[index_of[a.chunk_id] for a in chunks]]) for d, chunks in grouped]


def plan(source, size: int):
    """(source index, copy number, articles kept) for each document, until `size` chunks."""
    chunks_per_round = sum(len(chunks) for _, chunks, _ in source)
    rounds = math.ceil(size / chunks_per_round)
    jobs, total = [], 0
    for copy in range(rounds):
        for number, (_, chunks, _) in enumerate(source):
            take = min(len(chunks), size - total)
            if take <= 0:
                return jobs
            jobs.append((number, copy, take))
            total += take
    return jobs


FLUSH_ROWS = 5000  # records per Chroma call (Chroma's own limit is about 5461)
FLUSH_CHARS = 5_000_000  # text per call: a Chroma server refuses requests of ~100 MB ("Payload too large")


class BufferedCollection:
    """Stands in for a Chroma collection while `replace_document` writes a fresh index: upserts are
    collected and sent in large batches; deletes are no-ops (nothing is there yet)."""

    def __init__(self, collection, flush_rows: int = FLUSH_ROWS) -> None:
        self._collection = collection
        self._flush_rows = flush_rows
        self._pending: dict[str, list] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}
        self.seconds = 0.0

    def delete(self, **_) -> None:
        return None

    def modify(self, **_) -> None:
        return None  # the version is bumped once, at the end

    def upsert(self, *, ids, embeddings, documents, metadatas) -> None:
        for key, values in (
            ("ids", ids),
            ("embeddings", embeddings),
            ("documents", documents),
            ("metadatas", metadatas),
        ):
            self._pending[key].extend(list(values))
        if len(self._pending["ids"]) >= self._flush_rows:
            self.flush()

    def flush(self) -> None:
        """Send what is pending, in calls of at most `flush_rows` records and FLUSH_CHARS of text."""
        pending = self._pending
        started = time.perf_counter()
        start = 0
        while start < len(pending["ids"]):
            end, chars = start, 0
            while (
                end < len(pending["ids"]) and end - start < self._flush_rows and (chars < FLUSH_CHARS or end == start)
            ):
                chars += len(pending["documents"][end] or "")
                end += 1
            self._collection.upsert(**{key: values[start:end] for key, values in pending.items()})
            start = end
        self.seconds += time.perf_counter() - started
        self._pending = {key: [] for key in pending}


def build(source_home: Path, home: Path, size: int, sigma: float = NOISE_SIGMA, chroma_url: str = "") -> dict:
    """Write a synthetic index of exactly `size` chunks into `home` (or a Chroma server)."""
    from rag.settings import Settings
    from rag.store.chroma import ArticleStore, make_client

    started = time.perf_counter()
    source = read_source(source_home)
    settings = Settings(_env_file=None, home=home, store={"chroma_url": chroma_url})
    store = ArticleStore(make_client(settings), settings.collection_name)
    store.reset()
    articles_collection, documents_collection = store._articles, store._documents
    store._articles, store._documents = (
        BufferedCollection(articles_collection),
        BufferedCollection(documents_collection),
    )
    rng = np.random.default_rng(SEED)
    jobs = plan(source, size)
    chunks = 0
    try:
        for number, copy, take in jobs:
            document, articles, vectors = source[number]
            new_document, new_articles = vary(document, articles, copy)
            new_vectors = vectors if copy == 0 else noisy(vectors, rng, sigma)
            last = (new_document, new_articles[:take], new_vectors[:take])
            store.replace_document(*last)
            chunks += take
        for buffered in (store._articles, store._documents):
            buffered.flush()
        write_seconds = store._articles.seconds + store._documents.seconds
    finally:
        store._articles, store._documents = articles_collection, documents_collection
    store.replace_document(*last)  # once more, unbuffered: deletes and rewrites it, and bumps the version
    return {
        "size": chunks,
        "documents": len(jobs),
        "noise_sigma": sigma,
        "store": chroma_url or "embedded",
        "build_seconds": round(time.perf_counter() - started, 1),
        "chroma_write_seconds": round(write_seconds, 1),
        "vectors": "synthetic: real source vector + N(0, sigma^2) noise, re-normalised",
    }


MARKER = "synthetic.json"


def source_version(source_home: Path) -> int:
    """The source index's version (changed by every write): a rebuilt source means a new corpus."""
    from rag.settings import Settings
    from rag.store.chroma import ArticleStore, make_client

    settings = Settings(_env_file=None, home=source_home)
    return ArticleStore(make_client(settings), settings.collection_name).version()


def ensure(source_home: Path, home: Path, size: int, sigma: float = NOISE_SIGMA) -> dict:
    """Build the synthetic home unless one of this size, noise and source is already there."""
    marker = home / MARKER
    wanted = {
        "size": size,
        "noise_sigma": sigma,
        "source": str(source_home),
        "source_version": source_version(source_home),
        "seed": SEED,
    }
    if marker.exists():
        done = json.loads(marker.read_text())
        if all(done.get(k) == v for k, v in wanted.items()):
            return done | {"reused": True}
    home.mkdir(parents=True, exist_ok=True)
    result = build(source_home, home, size, sigma) | wanted
    marker.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return result | {"reused": False}


def main() -> None:
    set_offline()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, required=True, help="Chunks to write.")
    parser.add_argument("--source", type=Path, required=True, help="A built PLANQA_HOME of the real plans.")
    parser.add_argument("--home", type=Path, required=True, help="The throwaway PLANQA_HOME to write.")
    parser.add_argument("--sigma", type=float, default=NOISE_SIGMA, help="Noise per vector dimension.")
    parser.add_argument("--chroma-url", default="", help="Write to this Chroma server instead of the home folder.")
    args = parser.parse_args()
    if args.chroma_url:
        result = build(args.source, args.home, args.size, args.sigma, args.chroma_url)
    else:
        result = ensure(args.source, args.home, args.size, args.sigma)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
