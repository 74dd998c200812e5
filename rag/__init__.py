"""PlanQA: answers about Chinese government plans, every claim cited to its clause.

from rag import PlanQA, PlanQARetriever
"""

from ingest.loaders import IngestError
from rag.api import PlanQA, UnknownDocument
from rag.records import REFUSAL, Answer, Citation, Hit
from rag.retriever import PlanQARetriever
from rag.settings import Settings
from rag.store.library import WriterBusy

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
