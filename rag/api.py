"""The Python API: `PlanQA` opens (and on first use builds) the index and answers questions.

from rag import PlanQA
qa = PlanQA()
answer = qa.ask("内江和自贡离得有多远？")
print(answer.text, [c.label for c in answer.citations])
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cached_property, lru_cache
from pathlib import Path

from ingest.pipeline import doc_id_for
from ingest.records import Article, Document
from rag.answer.evidence import Weights, whole_article
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.lookups import (
    absent_place_answer,
    clause_answer,
    metadata_answer,
    missing_document_answer,
    other_language_answer,
)
from rag.answer.presentation import present
from rag.answer.scope import Scope
from rag.answer.verify import unsupported_claims
from rag.query.checks import check_question
from rag.query.followup import FollowUp, Turn, read_follow_up
from rag.query.names import AmbiguousName, DocumentNames, load_aliases
from rag.query.reader import Question, QuestionReader
from rag.records import Answer, AnswerMode, Draft, Hit, Via
from rag.search.hybrid import HybridSearch, SearchMode
from rag.settings import Settings, get_settings
from rag.store.library import IngestReport, Library, Progress


class UnknownDocument(ValueError):
    """A document filter that names no indexed document."""


class PlanQA:
    """Question answering over the plans in PLANQA_HOME. Create once; it is safe to share across threads."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        index: Library | None = None,
        chat_model=None,
        build: bool = True,
        progress: Progress | None = None,
    ) -> None:
        """`chat_model`: a LangChain chat model to answer with instead of the configured one (tests, custom
        clients). `build`: build the index from the bundled plans when it is empty."""
        self.settings = get_settings(settings)
        self.index = index or Library(self.settings)
        self.retriever = HybridSearch(self.index, self.settings.retrieval)
        self._chat_model = chat_model
        self._reader: tuple[int, QuestionReader] | None = None
        if build:
            self.index.ensure_built(progress)

    @classmethod
    def shared(cls, settings: Settings | None = None) -> PlanQA:
        """One instance per settings in this process (models, store and index loaded once)."""
        return _shared(get_settings(settings))

    # -- answering ------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        doc: str | None = None,
        id: object = None,
        history: Sequence[Answer | str] = (),
    ) -> Answer:
        """Answer one question; `doc` limits it to one document (title, short name or id). `history`:
        the conversation before it, oldest first (earlier answers, or earlier questions, which are
        answered again to know what they cited): a follow-up ("那它的人口目标呢？") is written out with
        the last of them, and the answer says how (`understood_as`)."""
        started = time.perf_counter()
        previous = self._previous_turn(history)
        with self.index.reading():  # one index state for the whole answer, even while a write lands
            draft, hits, parsed, follow_up = self._draft(question, k, doc, previous)
        return self._finish(parsed, draft, hits, started, id, follow_up)

    def stream(
        self, question: str, *, k: int | None = None, doc: str | None = None, history: Sequence[Answer | str] = ()
    ) -> Iterator[str | Answer]:
        """Yield the answer text as it is written (pieces), then the finished `Answer` (`history`: as
        for `ask`)."""
        started = time.perf_counter()
        previous = self._previous_turn(history)
        with self.index.reading() as catalogue:  # released before the first yield (it is per thread)
            text, follow_up = self._follow_up(question, previous)
            parsed, hits, direct = self._prepare(text, k, doc, follow_up)
            if direct is None and self.settings.answer.mode != AnswerMode.LLM:
                direct = self._search_answer(parsed, hits)
        if direct is None:
            for piece in self.llm.stream(parsed, hits, catalogue):
                if isinstance(piece, str):
                    yield piece
                else:
                    draft = piece
            yield self._finish(parsed, draft, hits, started, None, follow_up)
            return
        answer = self._finish(parsed, direct, hits, started, None, follow_up)
        yield answer.text
        yield answer

    def search(
        self, query: str, *, k: int | None = None, doc: str | None = None, mode: SearchMode = SearchMode.HYBRID
    ) -> list[Hit]:
        """The top `k` articles for a query (hybrid, keyword or dense), read as `ask` reads questions
        (typos mended, plan terms added, a named document taken as the filter); `doc` sets the filter."""
        query = check_question(query, self.settings.answer.max_question_chars)
        with self.index.reading():
            parsed = self.reader.read(query)
            if doc:
                parsed = replace(parsed, doc_ids=self.resolve_documents(doc))
            return self.retriever.search(parsed.query, k or self.settings.retrieval.k, parsed.doc_ids or None, mode)

    def compare(self, topic: str, docs: list[str], *, k: int = 3) -> dict[str, list[Hit]]:
        """The best-matching articles of each document on a topic, for side-by-side reading."""
        topic = check_question(topic, self.settings.answer.max_question_chars)
        with self.index.reading():
            return {
                doc_id: self.retriever.search(topic, k, (doc_id,))
                for doc in docs
                for doc_id in self.resolve_documents(doc)
            }

    # -- documents ------------------------------------------------------------------------------
    def documents(self) -> list[Document]:
        """The indexed documents with their metadata, in title order."""
        return list(self.index.catalogue().documents)

    def articles(self, doc_id: str) -> list[Article]:
        """The articles of a document in reading order (first parts; `article_text` gives the whole)."""
        return [a for a in self.index.catalogue().of_document(doc_id) if a.part == 1]

    def article_text(self, article: Article) -> str:
        """The whole text of the article `article` belongs to (all its parts)."""
        return whole_article(article, self.index.catalogue())[1]

    def ingest(self, paths: list[Path], *, reset: bool = False, progress: Progress | None = None) -> IngestReport:
        """Ingest files or folders (see `Library.ingest`); the catalogue reloads afterwards."""
        return self.index.ingest(paths, reset=reset, progress=progress)

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its chunks (and its uploaded original)."""
        return self.index.delete(doc_id)

    def document_for_file(self, name: str) -> Document | None:
        """The indexed document a file of this name would replace, or None. Ids come from file names,
        so `Plan.md` would replace `plan.txt`."""
        return self.index.catalogue().documents_by_id.get(doc_id_for(Path(name)))

    def resolve_documents(self, doc: str) -> tuple[str, ...]:
        """Document ids for a title, short name or id; `UnknownDocument` when none matches or when
        the name fits several documents (it lists them: "养犬条例" with two cities' indexed)."""
        try:
            found = tuple(self.reader.names.resolve(doc))
        except AmbiguousName as error:
            titles = "、".join(error.titles)
            raise UnknownDocument(f"“{doc}”可指多份文件，请写明是哪一份：{titles}") from None
        if not found:
            titles = "、".join(d.title for d in self.index.catalogue().documents)
            raise UnknownDocument(f"没有名为“{doc}”的文件。已索引的文件：{titles}")
        return found

    @property
    def reader(self) -> QuestionReader:
        """The question reader for the current catalogue (rebuilt when documents change)."""
        catalogue = self.index.catalogue()
        if self._reader is None or self._reader[0] != catalogue.version:
            names = DocumentNames(
                catalogue.documents, load_aliases(self.settings.plans_dir / "aliases.toml"), self.settings.query
            )
            corpus = "\n".join(d.title + "\n" + d.text for d in catalogue.documents)
            reader = QuestionReader(
                names, catalogue.keyword, corpus, self.settings.retrieval.tokenizer, settings=self.settings.query
            )
            self._reader = (catalogue.version, reader)
        return self._reader[1]

    @cached_property
    def extractive(self) -> ExtractiveAnswerer:
        return ExtractiveAnswerer(self.settings.answer)

    @cached_property
    def llm(self):
        from rag.answer.llm import LLMAnswerer

        return LLMAnswerer(self.settings, chat_model=self._chat_model)

    def as_runnable(self):
        """A LangChain Runnable: a question (str or {"question": …}) in, an `Answer` out."""
        from rag.chain import planqa_runnable

        return planqa_runnable(self)

    # -- steps ----------------------------------------------------------------------------------
    def _draft(
        self, question: str, k: int | None, doc: str | None, previous: Turn | None
    ) -> tuple[Draft, list[Hit], Question, FollowUp | None]:
        text, follow_up = self._follow_up(question, previous)
        parsed, hits, direct = self._prepare(text, k, doc, follow_up)
        if direct is not None:
            return direct, hits, parsed, follow_up
        if self.settings.answer.mode == AnswerMode.LLM:
            return self.llm.answer(parsed, hits, self.index.catalogue()), hits, parsed, follow_up
        return self._search_answer(parsed, hits), hits, parsed, follow_up

    def _previous_turn(self, history: Sequence[Answer | str]) -> Turn | None:
        """What a follow-up reads with: the last turn of `history`. Questions given as text are answered
        again, each with the turns before it, the last `PLANQA_QUERY__HISTORY_TURNS` only."""
        if not history:
            return None
        turns = list(history)[-self.settings.query.history_turns :]
        answers: list[Answer] = []
        for turn in turns:
            answers.append(turn if isinstance(turn, Answer) else self.ask(turn, history=answers[-1:]))
        return Turn.of(answers[-1])

    def _follow_up(self, question: str, previous: Turn | None) -> tuple[str, FollowUp | None]:
        """The question to answer: checked, and written out in full when it follows up `previous`."""
        text = check_question(question, self.settings.answer.max_question_chars)
        follow_up = read_follow_up(text, previous, self.reader, self.settings.query.follow_up_max_chars)
        return (follow_up.text if follow_up else text), follow_up

    def _prepare(
        self, text: str, k: int | None, doc: str | None, follow_up: FollowUp | None = None
    ) -> tuple[Question, list[Hit], Draft | None]:
        """Read the question, retrieve, and answer directly when it is a lookup."""
        catalogue = self.index.catalogue()
        parsed = self.reader.read(text)
        if doc:
            parsed = replace(parsed, doc_ids=self.resolve_documents(doc))
        elif follow_up and follow_up.doc_ids and not parsed.doc_ids:
            parsed = replace(parsed, doc_ids=follow_up.doc_ids)
        k = max(k or self.settings.retrieval.k, 1)
        hits = self.retriever.search(parsed.query, k, parsed.doc_ids or None)
        answer = self.settings.answer
        lookup = (
            other_language_answer(parsed, self.settings.query.min_chinese_share)
            or missing_document_answer(parsed)
            or absent_place_answer(parsed)
            or (metadata_answer(parsed, catalogue, answer) if self._asks_only_metadata(parsed) else None)
            or clause_answer(parsed, catalogue, Weights(parsed, catalogue.keyword, answer.nested_term_share), answer)
        )
        if lookup is None:
            return parsed, hits, None
        direct, looked_up = lookup
        return parsed, _merge(looked_up, hits, k), direct

    def _asks_only_metadata(self, parsed: Question) -> bool:
        """No part of the question asks about the text: "…是哪天印发的？指导思想是什么？" is answered
        part by part (the date looked up, the rest searched), not with the date alone."""
        return not parsed.parts or all(
            (part := self.reader.read(text)).metadata_fields or part.metadata_field for text in parsed.parts
        )

    def _search_answer(self, parsed: Question, hits: list[Hit]) -> Draft:
        """The extractive answer; comparisons and multi-part questions search again through the scope."""
        scope = Scope(self.index.catalogue(), self.retriever, self.reader, self.settings.retrieval.k)
        return self.extractive.answer(parsed, hits, scope)

    def _finish(
        self,
        parsed: Question,
        draft: Draft,
        hits: list[Hit],
        started: float,
        id: object,
        follow_up: FollowUp | None = None,
    ) -> Answer:
        """The answer as it reads (`rag.answer.presentation`: direct line, short titles, how much of
        the question it covers), checked against its citations and timed."""
        draft, assessed, direct = present(
            parsed,
            draft,
            self.reader,
            self.index.catalogue(),
            self.settings.answer,
            looked_up=any(h.via != Via.SEARCH for h in hits),
            extractive=self.settings.answer.mode != AnswerMode.LLM,
        )
        unsupported = (
            []
            if draft.refused
            else unsupported_claims(draft.text, draft.citations, self.settings.answer.support_threshold)
        )
        return Answer(
            question=follow_up.asked if follow_up else parsed.text,
            text=draft.text,
            refused=draft.refused,
            citations=draft.citations,
            retrieved=hits,
            unsupported=unsupported,
            latency_ms=(time.perf_counter() - started) * 1000,
            mode=AnswerMode(self.settings.answer.mode),
            id=id,
            understood_as=follow_up.text if follow_up else "",
            coverage=assessed.coverage,
            missing=list(assessed.missing),
            direct=direct,
        )


@lru_cache(maxsize=4)
def _shared(settings: Settings) -> PlanQA:
    return PlanQA(settings)


def _merge(first: list[Hit], rest: list[Hit], k: int) -> list[Hit]:
    """Looked-up articles first, then the search hits, without repeats, at least `k` in all."""
    seen = {h.article.chunk_id for h in first}
    merged = list(first) + [h for h in rest if h.article.chunk_id not in seen]
    return merged[: max(k, len(first))]
