"""What an answerer may consult beyond the hits it is given: the catalogue of the index state being
read, a search limited to some documents, and the question reader.

A comparison searches each named document on its own, and a question in several parts reads and
searches each part; the answerer asks the scope for these instead of calling back into `PlanQA`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.query.reader import Question
from rag.records import Hit
from rag.store.catalogue import Catalogue

if TYPE_CHECKING:
    from rag.query.reader import QuestionReader
    from rag.search.hybrid import HybridSearch


@dataclass(frozen=True)
class Scope:
    """The index state an answer is written from. `k`: hits per `search`."""

    catalogue: Catalogue
    searcher: HybridSearch
    reader: QuestionReader
    k: int

    def search(self, text: str, doc_ids: Sequence[str]) -> list[Hit]:
        """The top `k` hits for `text` within `doc_ids` (all documents when empty)."""
        return self.searcher.search(text, self.k, doc_ids or None)

    def read(self, text: str) -> Question:
        """`text` read as a question (names, years, what it asks for)."""
        return self.reader.read(text)
