"""The answer chain as a LangChain Runnable: a question in, an `Answer` out.

chain = PlanQA().as_runnable()
chain.invoke("内江和自贡离得有多远？")                 # Answer
chain.batch(["…", "…"])                                # [Answer, …]
for piece in chain.stream("…"): ...                   # text pieces, then the Answer
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.utils import Input

from rag.records import Answer


def _question(value: Any) -> str:
    """A question from a string or a mapping with a "question" (or "input") key."""
    if isinstance(value, dict):
        value = value.get("question", value.get("input"))
    if not isinstance(value, str):
        raise TypeError("PlanQA's chain takes a question string or {'question': ...}")
    return value


class PlanQARunnable(Runnable[Any, Answer]):
    """Runs `PlanQA.ask`; `stream` yields the answer's text pieces and then the `Answer`."""

    def __init__(self, planqa) -> None:
        self.planqa = planqa

    def invoke(self, input: Input, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        return self.planqa.ask(_question(input), **kwargs)

    def stream(self, input: Input, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        yield from self.planqa.stream(_question(input), **kwargs)


def planqa_runnable(planqa) -> PlanQARunnable:
    return PlanQARunnable(planqa)
