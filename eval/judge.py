"""An optional LLM judge (`python -m eval --judge`), RAGAS-style, through LangChain's `ChatOpenAI`.

- **faithfulness** (RAGAS `faithfulness`): the model splits an answer into statements and marks
  each as inferable from the cited clauses or not; the score is the share inferable.
- **answer_correctness** (RAGAS `answer_correctness`, its factual part): the model sorts the answer's
  and the reference's statements into TP / FP / FN; the score is F1 = TP / (TP + (FP + FN) / 2).

Off by default and never part of the gate: a judge model's verdicts vary with the model and its
version. It needs a configured endpoint (`PLANQA_LLM__BASE_URL`, `PLANQA_LLM__MODEL`). Prompts are
`prompts/eval_judge_*.txt`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel

from eval.dataset import Item
from eval.metrics import mean
from eval.responses import Response
from rag.answer.llm import make_chat_model
from rag.answer.prompts import render_prompt
from rag.settings import Settings

FAITHFULNESS_PROMPT, CORRECTNESS_PROMPT = "eval_judge_faithfulness", "eval_judge_correctness"
CONTEXT_SEPARATOR = "\n\n"
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
Progress = Callable[[str, int, int], None]


class JudgeError(RuntimeError):
    """The judge model's reply was not the JSON the prompt asks for."""


def parse_reply(text: str) -> dict[str, Any]:
    """The JSON object in a model's reply (code fences and text around it ignored)."""
    found = _JSON_OBJECT.search(text)
    if found is None:
        raise JudgeError(f"the judge's reply holds no JSON object: {text[:200]!r}")
    try:
        data = json.loads(found.group())
    except json.JSONDecodeError as error:
        raise JudgeError(f"the judge's reply is not valid JSON ({error}): {text[:200]!r}") from None
    if not isinstance(data, dict):
        raise JudgeError(f"the judge's reply is not a JSON object: {text[:200]!r}")
    return data


def faithfulness_score(data: dict[str, Any]) -> float | None:
    """Share of statements with verdict 1; None when the judge found no statement."""
    statements = data.get("statements")
    if not isinstance(statements, list):
        raise JudgeError("faithfulness reply lacks a 'statements' list")
    verdicts = [s.get("verdict") for s in statements if isinstance(s, dict)]
    return sum(v in (1, "1", True) for v in verdicts) / len(verdicts) if verdicts else None


def correctness_score(data: dict[str, Any]) -> float | None:
    """F1 of the TP / FP / FN statement lists; None when all three are empty."""
    try:
        tp, fp, fn = (len(data[key]) for key in ("TP", "FP", "FN"))
    except (KeyError, TypeError):
        raise JudgeError("correctness reply lacks the 'TP', 'FP' and 'FN' lists") from None
    if tp + fp + fn == 0:
        return None
    return tp / (tp + 0.5 * (fp + fn))


class Judge:
    """Asks a chat model to judge answers; `chat_model` replaces the configured one (tests)."""

    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None) -> None:
        self.settings = settings
        self.model = chat_model or make_chat_model(settings.llm)

    def _ask(self, prompt: str, **values: str) -> dict[str, Any]:
        reply = self.model.invoke(render_prompt(prompt, self.settings.prompts_dir, **values))
        return parse_reply(reply.content if isinstance(reply.content, str) else str(reply.content))

    def faithfulness(self, response: Response) -> float | None:
        """None for refusals and uncited answers: there is nothing to be faithful to."""
        if response.refused or not response.support:
            return None
        context = CONTEXT_SEPARATOR.join(f"[{c.n}] {c.label}\n{c.text}" for c in response.support)
        return faithfulness_score(self._ask(FAITHFULNESS_PROMPT, context=context, answer=response.answer))

    def correctness(self, item: Item, response: Response) -> float | None:
        """None for unanswerable items (refusal accuracy scores those)."""
        if not item.answerable:
            return None
        answer = "" if response.refused else response.answer
        return correctness_score(
            self._ask(CORRECTNESS_PROMPT, question=item.question, reference=item.answer, answer=answer)
        )

    def judge_all(
        self, items: Sequence[Item], responses: Sequence[Response], progress: Progress | None = None
    ) -> dict[str, Any]:
        """{"model", "overall": {"answer_correctness", "faithfulness"}, "by_id": {id: {…}}}; a reply the
        judge garbles counts as no verdict for that item (its error is kept)."""
        by_id: dict[str, dict[str, Any]] = {}
        for done, (item, response) in enumerate(zip(items, responses)):
            if progress:
                progress("LLM judge", done, len(items))
            entry: dict[str, Any] = {}
            for name, judge in (
                ("answer_correctness", lambda item=item, response=response: self.correctness(item, response)),
                ("faithfulness", lambda response=response: self.faithfulness(response)),
            ):
                try:
                    entry[name] = judge()
                except JudgeError as error:
                    entry[name] = None
                    entry.setdefault("errors", []).append(f"{name}: {error}")
            by_id[item.id] = entry
        if progress:
            progress("LLM judge", len(items), len(items))
        overall = {name: mean([e[name] for e in by_id.values()]) for name in ("answer_correctness", "faithfulness")}
        model = (
            getattr(self.model, "model_name", None) or getattr(self.model, "model", None) or type(self.model).__name__
        )
        return {"model": str(model), "overall": overall, "by_id": by_id}
