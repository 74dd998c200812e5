"""PlanQA: answers about Chinese government plans, every claim cited to its clause.

from rag import PlanQA, PlanQARetriever
"""

from typing import TYPE_CHECKING

from ingest.loaders import IngestError
from rag.api import PlanQA, UnknownDocument
from rag.records import REFUSAL, Answer, Citation, Hit
from rag.settings import Settings
from rag.store.library import WriterBusy

if TYPE_CHECKING:
    from rag.retriever import PlanQARetriever

__all__ = [
    "PlanQA",
    "PlanQARetriever",
    "Settings",
    "Answer",
    "Citation",
    "Hit",
    "REFUSAL",
    "UnknownDocument",
    "IngestError",
    "WriterBusy",
]


def __getattr__(name: str) -> type:
    """`PlanQARetriever` is imported on first use: it loads LangChain's runnables and tracers (about
    a second), which the command line and the app never need (PEP 562)."""
    if name == "PlanQARetriever":
        from rag.retriever import PlanQARetriever

        return PlanQARetriever
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
