"""The baselines PlanQA is compared with (`python -m eval --compare`), on the same questions.

- **naive**: the usual LangChain recipe: `RecursiveCharacterTextSplitter(chunk_size=500,
  chunk_overlap=50)` over the cleaned documents, the same embeddings as PlanQA, a `langchain_chroma`
  store in a temporary folder, dense search only.
- **bm25**: PlanQA's keyword retriever alone over its article chunks (`PlanQA.search(mode="keyword")`).

Baselines have no answerer. Their retrieval is scored as it is; for the answer metrics each gets the
simplest honest answer: the first sentence of its top chunk that holds the most question terms, cited
to that chunk, never refusing (`baseline_answer`). So their refusal accuracy is 0 by construction,
and their groundedness 1 (a verbatim sentence is supported by the chunk it is quoted from).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence

import chromadb
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_text_splitters import RecursiveCharacterTextSplitter

from eval.dataset import Item
from eval.responses import Cited, Response, Retrieved, retrieved
from eval.vectors import CachedEmbeddings
from ingest.records import Document
from ingest.split import sentence_spans
from rag.api import PlanQA
from rag.search.keyword import tokenize

NAIVE_CHUNK_CHARS = 500
NAIVE_CHUNK_OVERLAP = 50
BASELINE_NOTE = (
    "基线没有答案生成器：检索指标照常计算；答案指标用最简单的诚实答案——首位片段中含问题词最多的第一句，"
    "引用该片段，从不拒答（故拒答准确率为0，有据率为1）。"
)
Search = Callable[[str], list[Retrieved]]
Progress = Callable[[str, int, int], None]


def fixed_chunks(documents: Sequence[Document]) -> list[LCDocument]:
    """The cleaned documents cut by LangChain's default recipe (500 characters, 50 overlap); each
    chunk's metadata has its document's title and id and its `start_index` in the text."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=NAIVE_CHUNK_CHARS, chunk_overlap=NAIVE_CHUNK_OVERLAP, add_start_index=True
    )
    return splitter.create_documents(
        [d.text for d in documents], metadatas=[{"doc_title": d.title, "doc_id": d.doc_id} for d in documents]
    )


class NaivePeer:
    """Dense search over fixed-size chunks in a throw-away `langchain_chroma.Chroma` store."""

    def __init__(self, documents: Sequence[Document], embeddings: CachedEmbeddings, k: int) -> None:
        self.k = k
        self.chunks = fixed_chunks(documents)
        self._folder = tempfile.TemporaryDirectory(prefix="planqa-naive-")
        client = chromadb.PersistentClient(
            path=self._folder.name, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        self.store = Chroma(collection_name="naive", embedding_function=embeddings, client=client)
        embeddings.passage_vectors([c.page_content for c in self.chunks], "embedding naive chunks")  # progress, cache
        self.store.add_documents(self.chunks, ids=[str(n) for n in range(len(self.chunks))])

    def search(self, question: str) -> list[Retrieved]:
        found = self.store.similarity_search_with_score(question, k=self.k)
        return [
            Retrieved(d.page_content, d.metadata.get("doc_title", ""), "", float(-distance)) for d, distance in found
        ]

    def close(self) -> None:
        self._folder.cleanup()


def bm25_search(planqa: PlanQA, k: int) -> Search:
    """PlanQA's keyword retriever alone, over its article chunks."""

    def search(question: str) -> list[Retrieved]:
        return [retrieved(h) for h in planqa.search(question, k=k, mode="keyword")]

    return search


def baseline_answer(question: str, top: Retrieved | None, tokenizer: str = "jieba") -> tuple[str, tuple[Cited, ...]]:
    """The first sentence of the top chunk holding the most question terms, cited as [1]."""
    if top is None:
        return "", ()
    terms = set(tokenize(question, tokenizer))
    spans = sentence_spans(top.text)
    if not spans:
        return "", ()
    best = max(spans, key=lambda span: (sum(t in top.text[span[0] : span[1]] for t in terms), -span[0]))
    sentence = top.text[best[0] : best[1]]
    cited = Cited(1, top.text, sentence, top.doc_title, top.clause_ref, f"《{top.doc_title}》{top.clause_ref}")
    return f"{sentence}[1]", (cited,)


def run_peer(
    items: Sequence[Item],
    search: Search,
    tokenizer: str,
    progress: Progress | None = None,
    label: str = "baseline",
) -> list[Response]:
    """A baseline's responses: its ranked chunks and `baseline_answer`, timed per question."""
    responses = []
    for done, item in enumerate(items):
        if progress:
            progress(label, done, len(items))
        started = time.perf_counter()
        retrieved = search(item.question)
        text, citations = baseline_answer(item.question, retrieved[0] if retrieved else None, tokenizer)
        latency = (time.perf_counter() - started) * 1000
        responses.append(Response(item.id, text, False, citations, tuple(retrieved), latency))
    if progress:
        progress(label, len(items), len(items))
    return responses
