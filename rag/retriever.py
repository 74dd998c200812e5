"""`PlanQARetriever`: PlanQA's hybrid retrieval as a LangChain `BaseRetriever`.

from rag import PlanQARetriever
docs = PlanQARetriever(k=3).invoke("川南渝西融合发展的目标")       # exactly 3 Documents
docs = PlanQARetriever().invoke("页岩气", k=5, doc="川南渝西")     # k and doc per call
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag.api import PlanQA
from rag.records import Hit
from rag.settings import Settings


def to_langchain(hit: Hit) -> LCDocument:
    """A LangChain Document: the chunk text, with every chunk field and the score as metadata."""
    metadata = hit.article.metadata()
    metadata.update(score=hit.score, citation=hit.article.citation)
    return LCDocument(page_content=hit.article.text, metadata=metadata, id=hit.article.chunk_id)


class PlanQARetriever(BaseRetriever):
    """Hybrid (BM25 + dense) retrieval over the indexed plans; works with no arguments."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = Field(10, ge=1, description="Documents returned.")
    doc: str | None = Field(None, description="Limit to one document: title, short name or id.")
    mode: Literal["hybrid", "keyword", "dense"] = "hybrid"
    settings: Settings | None = Field(None, description="Settings; default: from PLANQA_* variables.")

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LCDocument]:
        k = int(kwargs.get("k", self.k))
        doc = kwargs.get("doc", self.doc)
        hits = PlanQA.shared(self.settings).search(query, k=k, doc=doc, mode=kwargs.get("mode", self.mode))
        return [to_langchain(hit) for hit in hits]
