"""What a system under evaluation returns for one question, reduced to what the metrics read.

PlanQA's `Answer` and the baselines' results are both turned into a `Response`, so every system is
scored by the same functions. Chunks are plain text plus labels: matching is by text (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.answer.presentation import without_note
from rag.records import Answer, Hit


@dataclass(frozen=True)
class Cited:
    """A source of an answer: `text` is what the citation shows (PlanQA: the whole article)."""

    n: int
    text: str
    quote: str = ""
    doc_title: str = ""
    clause_ref: str = ""
    label: str = ""
    related_only: bool = False  # offered with a refusal as possibly related: not a citation


@dataclass(frozen=True)
class Retrieved:
    """One entry of the ranked list the answer was built from."""

    text: str
    doc_title: str = ""
    clause_ref: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class Response:
    id: str
    answer: str
    refused: bool
    citations: tuple[Cited, ...] = ()
    retrieved: tuple[Retrieved, ...] = ()
    latency_ms: float = 0.0
    error: str = ""  # the system raised instead of answering (scored as a wrong, unrefused answer)
    coverage: str | None = None  # PlanQA's "full" | "partial" | "none"; None for a system that does not say

    @property
    def body(self) -> str:
        """What the answer says: its text without the line saying it is partial (which repeats the
        question's words, so it must not count as stating a key fact)."""
        return without_note(self.answer)

    @property
    def support(self) -> tuple[Cited, ...]:
        """The citations offered as support (refusals' "possibly related" ones left out)."""
        return tuple(c for c in self.citations if not c.related_only)


def retrieved(hit: Hit) -> Retrieved:
    """One of PlanQA's search hits as a ranked-list entry."""
    return Retrieved(hit.article.text, hit.article.doc_title, hit.article.clause_ref, hit.score)


def from_answer(item_id: str, answer: Answer) -> Response:
    """PlanQA's `Answer` as a `Response` (citations carry the whole cited article)."""
    return Response(
        id=item_id,
        answer=answer.text,
        refused=answer.refused,
        citations=tuple(
            Cited(
                n=c.n,
                text=c.text,
                quote=c.quote,
                doc_title=c.article.doc_title,
                clause_ref=c.article.clause_ref,
                label=c.label,
                related_only=c.related_only,
            )
            for c in answer.citations
        ),
        retrieved=tuple(retrieved(h) for h in answer.retrieved),
        latency_ms=answer.latency_ms,
        coverage=answer.coverage,
    )
