"""How a finished answer reads: its direct line first, document titles short, and a last line saying
when it answers only part of the question. Applied to every draft (`PlanQA._finish`), whoever wrote it.

1. coverage is judged on the draft as written (`rag.answer.coverage`);
2. an extractive answer writes long titles short (`rag.answer.titles`), unless the title is the answer;
3. an extractive answer to a figure or date question opens with that figure, copied from its quote
   (`rag.answer.direct`); a model writes its own first line and titles;
4. a partial answer ends with `PARTIAL_NOTE`, naming what found no evidence.
The direct line and the note add nothing a quote does not say: the direct line is a quote's own words
with its marker, and the note is not a claim (`rag.answer.verify` skips it).
"""

from __future__ import annotations

from dataclasses import replace

from rag.answer.coverage import Assessed, assess
from rag.answer.direct import direct_line
from rag.answer.evidence import Weights
from rag.answer.titles import keeps_full_titles, shorten_titles
from rag.query.reader import Question, QuestionReader, Want
from rag.records import PARTIAL_NOTE, Coverage, Draft
from rag.settings import AnswerSettings
from rag.store.catalogue import Catalogue


def present(
    question: Question,
    draft: Draft,
    reader: QuestionReader,
    catalogue: Catalogue,
    settings: AnswerSettings,
    *,
    looked_up: bool = False,
    extractive: bool = True,
) -> tuple[Draft, Assessed, str]:
    """The draft as the person reads it, how much of the question it covers, and its direct line ("" when
    it has none). `looked_up`: the answer of a clause or metadata lookup (it says exactly what was
    asked); `extractive`: written from quotes (a model's answer keeps its own wording: no direct line,
    its titles as it wrote them)."""
    assessed = assess(question, draft, reader, catalogue, settings, looked_up)
    text = draft.text
    if extractive and not keeps_full_titles(question):
        text = shorten_titles(text, [c.article.doc_title for c in draft.citations], settings.short_title_chars)
    line = ""
    if not draft.refused and extractive and not looked_up and _one_ask(question):
        weights = Weights(question, catalogue.keyword, settings.nested_term_share)
        line = direct_line(question, draft.citations, weights, settings.direct_max_distance) or ""
        if line:
            text = line + "\n" + text
    if assessed.coverage == Coverage.PARTIAL:
        text += "\n" + partial_note(assessed.missing)
    return replace(draft, text=text), assessed, line


def partial_note(missing: tuple[str, ...]) -> str:
    """ "（只回答了部分问题：没有找到关于“交通建设”的内容。）" """
    return PARTIAL_NOTE.format(missing="、".join(f"“{ask}”" for ask in missing))


def without_note(text: str) -> str:
    """An answer's text without its partial note (what the answer itself says)."""
    head = PARTIAL_NOTE.split("{")[0]
    return "\n".join(line for line in text.split("\n") if not line.startswith(head))


def _one_ask(question: Question) -> bool:
    """One question, not several parts nor a comparison of documents: one direct line answers it."""
    return not question.parts and not (Want.COMPARE in question.wants and len(question.doc_ids) >= 2)
