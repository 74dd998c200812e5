"""Running a system over the dataset and scoring it: PlanQA's answers → `Response`s → `Run`.

A `Run` is one system's responses with their per-question scores and summary; the peers and the
ablations produce runs the same way, so the report treats them alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eval.dataset import Item
from eval.metrics import Scores, score, summarise
from eval.responses import Response, from_answer
from rag.api import PlanQA, UnknownDocument
from rag.query.checks import QuestionError

Progress = Callable[[str, int, int], None]  # (what, done, total), like rag.store.library.Progress
QUESTION_ERRORS = (QuestionError, UnknownDocument)  # a dataset question PlanQA rejects: scored, not fatal
# Asked once before timing, so the first item's latency is not the one-off loading of models,
# jieba's dictionary and the catalogue. Not a dataset question, so no answer is pre-cached.
WARM_UP_QUESTION = "规划的主要目标是什么？"


@dataclass
class Run:
    """One system on one dataset: responses, per-question scores, and their summary."""

    system: str
    responses: list[Response]
    scores: list[Scores]
    summary: dict


def answer_all(
    planqa: PlanQA, items: Sequence[Item], progress: Progress | None = None, label: str = "PlanQA"
) -> list[Response]:
    """PlanQA's answer to every item, in order (a rejected question becomes an unrefused empty answer)."""
    planqa.ask(WARM_UP_QUESTION)
    responses = []
    for done, item in enumerate(items):
        if progress:
            progress(label, done, len(items))
        try:
            responses.append(from_answer(item.id, planqa.ask(item.question, id=item.id)))
        except QUESTION_ERRORS as error:
            responses.append(Response(id=item.id, answer="", refused=False, error=str(error)))
    if progress:
        progress(label, len(items), len(items))
    return responses


def evaluate(system: str, items: Sequence[Item], responses: Sequence[Response], support_threshold: float) -> Run:
    """Score responses (in item order) and summarise them."""
    if [r.id for r in responses] != [i.id for i in items]:
        raise ValueError("responses must be given in the order of the items they answer")
    scores = [score(item, response, support_threshold) for item, response in zip(items, responses)]
    return Run(system, list(responses), scores, summarise(items, responses, scores))
