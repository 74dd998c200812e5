"""The records the question side produces: `Hit` (a retrieved article), `Citation`, `Answer`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ingest.records import Article

REFUSAL = "文件中未找到相关内容。"  # the plain sentence a refused answer starts with
# The line a partial answer ends with; `{missing}` is the asks that found no evidence, each in “”.
PARTIAL_NOTE = "（只回答了部分问题：没有找到关于{missing}的内容。）"


class Via(StrEnum):
    """How a hit was found."""

    SEARCH = "search"  # hybrid retrieval
    LOOKUP = "lookup"  # a clause the question points at ("第（十二）条")
    METADATA = "metadata"  # the issuing notice cited for a document's 发文字号, 发布单位 or dates


class Coverage(StrEnum):
    """How much of the question an answer covers (rag/answer/coverage.py)."""

    FULL = "full"
    PARTIAL = "partial"  # some asks found no evidence: `Answer.missing`
    NONE = "none"  # a refusal


class AnswerMode(StrEnum):
    """Who writes the answer (`PLANQA_ANSWER__MODE`)."""

    EXTRACTIVE = "extractive"  # sentences taken verbatim from the articles (offline, default)
    LLM = "llm"  # a chat model writes from numbered clauses


@dataclass(frozen=True)
class Hit:
    """An article found for a question, with the fused score and what each retriever said."""

    article: Article
    score: float  # 0..1, fused
    dense: float | None = None  # cosine similarity, when the dense retriever found it
    keyword: float | None = None  # BM25 score, when BM25 found it
    via: Via = Via.SEARCH

    def to_json(self) -> dict[str, Any]:
        a = self.article
        return {
            "doc_title": a.doc_title,
            "doc_file": a.doc_file,
            "clause_ref": a.clause_ref,
            "section": a.section,
            "part": f"{a.part}/{a.parts}" if a.parts > 1 else "",
            "chunk_id": a.chunk_id,
            "text": a.text,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the whole article and every span the answer rests on.

    `spans` are (start, end) offsets into `text`, in text order; `quote` is the first of them (the
    one field readers of the older JSON know). A citation built from a quote alone (`spans` empty)
    has the one span `quote_start` gives."""

    n: int
    article: Article  # the first part; `text` holds the whole article
    text: str
    quote: str
    quote_start: int = -1  # offset of `quote` in `text` (for highlighting), -1 when not found
    related_only: bool = False  # offered with a refusal as possibly related, not as support
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def label(self) -> str:
        return self.article.citation

    @property
    def quote_spans(self) -> tuple[tuple[int, int], ...]:
        """Every quoted span, in text order; from `quote` and `quote_start` when `spans` is empty."""
        if self.spans:
            return self.spans
        start = self.quote_start if self.quote_start >= 0 else self.text.find(self.quote)
        return ((start, start + len(self.quote)),) if self.quote and start >= 0 else ()

    @property
    def quotes(self) -> list[str]:
        """The text of every quoted span (`quote` first); `[quote]` when it is not found in `text`."""
        found = [self.text[start:end] for start, end in self.quote_spans]
        return found or ([self.quote] if self.quote else [])

    def to_json(self) -> dict[str, Any]:
        a = self.article
        data = {
            "n": self.n,
            "doc_title": a.doc_title,
            "doc_file": a.doc_file,
            "clause_ref": a.clause_ref,
            "section": a.section,
            "text": self.text,
            "quote": self.quote,
            "quotes": self.quotes,
        }
        if self.related_only:
            data["related_only"] = True
        return data


@dataclass
class Draft:
    """An answer as an answerer writes it, before verification and timing."""

    text: str
    citations: list[Citation]
    refused: bool


@dataclass
class Answer:
    """An answer with its sources; `unsupported` lists sentences no cited article backs."""

    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    mode: AnswerMode = AnswerMode.EXTRACTIVE
    id: Any = None
    understood_as: str = ""  # a follow-up written out in full ("《…》的人口目标是什么？"), when it was one
    coverage: Coverage = Coverage.FULL
    missing: list[str] = field(default_factory=list)  # the asks of the question no quote covers
    direct: str = ""  # the short first line of `text` ("28公里[1]"), when it has one (the app shows it apart)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of DESIGN.md (`ask --json`, `--jsonl`, the app's /ask endpoint)."""
        data: dict[str, Any] = {}
        if self.id is not None:
            data["id"] = self.id
        data.update(
            question=self.question,
            answer=self.text,
            refused=self.refused,
            citations=[c.to_json() for c in self.citations],
            retrieved=[h.to_json() for h in self.retrieved],
            unsupported=list(self.unsupported),
            latency_ms=round(self.latency_ms, 1),
            mode=self.mode,
            coverage=self.coverage,
            missing=list(self.missing),
        )
        if self.understood_as:
            data["understood_as"] = self.understood_as
        return data
