"""The generative answerer: a chat model (any OpenAI-compatible endpoint, through LangChain) writes the
answer from numbered clauses, and its `[n]` markers become citations that `rag.answer.verify` checks.

The model sees the whole articles of the top hits as `[n] 《title》clause heading` entries, within a
token budget, and the question inside delimiters as data (prompts/answer_*.txt). Nothing it writes is
trusted: a marker naming no clause stays in the text so verification reports its sentence, each
citation quotes the article sentence that best holds the sentences citing it, and the refusal
phrase makes the answer a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.records import Article
from ingest.split import sentence_spans
from ingest.text import MARKER
from ingest.tokens import count_tokens
from rag.answer.evidence import whole_article
from rag.answer.prompts import render_prompt
from rag.answer.verify import claims, support
from rag.query.reader import Question
from rag.records import REFUSAL, Citation, Draft, Hit
from rag.settings import LLMSettings, Settings
from rag.store.catalogue import Catalogue

if TYPE_CHECKING:  # LangChain and the OpenAI client load when a chat model is first used, not with this module
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

SYSTEM_PROMPT, USER_PROMPT = "answer_system", "answer_user"
CLAUSE_SEPARATOR = "\n\n"
NO_API_KEY = "EMPTY"  # local servers (vLLM, Ollama) accept any key, but the OpenAI client insists on one
# A refusal may be worded "文件中未找到关于…的内容": the phrase up to "相关内容" is the sign.
REFUSAL_SIGN = REFUSAL.removesuffix("。").removesuffix("相关内容")
# Reasoning models served by Ollama or vLLM (Qwen3, DeepSeek-R1) put their thinking in the answer.
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL)
# Markers as models also write them: 【1】, [1,2], [1、3] → [1], [1][2], [1][3].
_MARKER_FORMS = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
_NUMBER = re.compile(r"\d+")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")  # http://user:key@host/v1


class LLMError(RuntimeError):
    """The language model could not answer (endpoint unreachable, rejected the request, …)."""


class LLMNotConfigured(LLMError):
    """Answer mode "llm" without an endpoint to call."""


def redact(text: str, llm: LLMSettings) -> str:
    """`text` without the endpoint's key or credentials in its URL: some servers echo the key in
    their error messages, and errors end up in logs, on the page and on stderr."""
    key = llm.api_key.get_secret_value()
    if key:
        text = text.replace(key, "***")
    return _URL_CREDENTIALS.sub("***@", text)


def make_chat_model(llm: LLMSettings) -> BaseChatModel:
    """A streaming `ChatOpenAI` for the configured endpoint; a clear error naming what to set when none is."""
    missing = [
        name for name, value in (("PLANQA_LLM__BASE_URL", llm.base_url), ("PLANQA_LLM__MODEL", llm.model)) if not value
    ]
    if missing:
        raise LLMNotConfigured(
            f"未配置大模型接口：llm 回答模式需要兼容 OpenAI 的接口。请设置 {' 和 '.join(missing)}"
            "（接口需要密钥时再设置 PLANQA_LLM__API_KEY），或设置 PLANQA_ANSWER__MODE=extractive。"
        )
    from langchain_openai import ChatOpenAI  # imported here: extractive mode never loads the OpenAI client

    return ChatOpenAI(
        base_url=llm.base_url,
        api_key=llm.api_key.get_secret_value() or NO_API_KEY,
        model=llm.model,
        temperature=llm.temperature,
        timeout=llm.timeout_s,
        streaming=True,
    )


@dataclass(frozen=True)
class Clause:
    """A numbered article as the model sees it."""

    n: int
    article: Article  # the first part: clause_ref and section are the article's
    text: str  # the whole article

    @property
    def entry(self) -> str:
        """`[n] 《title》clause heading` and the article's text below it."""
        return f"[{self.n}] {self.article.citation}\n{self.text}"


@dataclass(frozen=True)
class Prompt:
    """The messages sent to the model and the clauses they number."""

    messages: list[BaseMessage]
    clauses: list[Clause]


def as_data(text: str) -> str:
    """Text shown to the model as data: ASCII angle brackets become full-width, so a question or an
    uploaded document cannot close the `<问题>`/`<条款>` delimiters and speak as instructions."""
    return text.replace("<", "＜").replace(">", "＞")


def clause_block(clauses: list[Clause]) -> str:
    """The numbered clauses as the prompt shows them, as data."""
    return CLAUSE_SEPARATOR.join(as_data(c.entry) for c in clauses)


def numbered_clauses(hits: list[Hit], catalogue: Catalogue, budget: int) -> list[Clause]:
    """The distinct whole articles of the hits, best first, numbered from 1, whose block stays within
    `budget` tokens. A clause that would overflow is left out whole (never cut mid-way); a shorter
    one ranked after it may still fit."""
    clauses: list[Clause] = []
    seen: set[tuple[str, int]] = set()
    for hit in hits:
        key = (hit.article.doc_id, hit.article.order)
        if key in seen:
            continue
        seen.add(key)
        first, text = whole_article(hit.article, catalogue)
        clause = Clause(len(clauses) + 1, first, text)
        if count_tokens(clause_block(clauses + [clause])) <= budget:
            clauses.append(clause)
    return clauses


def tidy(text: str) -> str:
    """The model's answer without its thinking, with every marker written `[n]`."""
    text = _THINKING.sub("", text)
    text = _MARKER_FORMS.sub(lambda m: "".join(f"[{n}]" for n in _NUMBER.findall(m.group(1))), text)
    return text.strip()


def best_quote(text: str, claim_texts: list[str], max_quote_chars: int) -> tuple[str, int]:
    """The sentence of the article that holds most of each claim's character bigrams, spanning them
    all when they lie within `max_quote_chars`; (quote, offset in `text`)."""
    spans = sentence_spans(text)
    if not spans:
        return "", -1
    # max() keeps the first of equals: the earlier sentence wins a tie.
    chosen = sorted({max(spans, key=lambda s: support(claim, [text[s[0] : s[1]]])) for claim in claim_texts})
    low, high = chosen[0][0], chosen[-1][1]
    if high - low > max_quote_chars:
        low, high = max(spans, key=lambda s: support(claim_texts[0], [text[s[0] : s[1]]]))
    return text[low:high], low


def draft_from(answer: str, clauses: list[Clause], max_quote_chars: int) -> Draft:
    """The Draft of a model's answer: citations for the markers that name a clause, numbered as in
    the prompt; a refusal when it says the documents do not answer and cites nothing."""
    text = tidy(answer)
    by_number = {c.n: c for c in clauses}
    used = sorted({int(n) for n in MARKER.findall(text)} & by_number.keys())
    if not text or (REFUSAL_SIGN in text and not used):
        return Draft(text or REFUSAL, [], True)
    citing: dict[int, list[str]] = {n: [] for n in used}
    for claim in claims(text):
        for n in claim.markers:
            if n in citing:
                citing[n].append(claim.text)
    citations = []
    for n in used:
        clause = by_number[n]
        quote, start = best_quote(clause.text, citing[n] or [text], max_quote_chars)
        citations.append(Citation(n, clause.article, clause.text, quote, start))
    return Draft(text, citations, False)


class LLMAnswerer:
    """Answers with a chat model from the retrieved articles. Create once; safe to share across threads."""

    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None) -> None:
        """`chat_model`: any LangChain chat model; by default a ChatOpenAI for `settings.llm`."""
        self.settings = settings
        self.chat_model = chat_model if chat_model is not None else make_chat_model(settings.llm)
        self._system = render_prompt(SYSTEM_PROMPT, settings.prompts_dir, refusal=REFUSAL)

    def prompt(self, question: Question, hits: list[Hit], catalogue: Catalogue) -> Prompt:
        """The messages for a question: the rules, then the numbered clauses and the question as data."""
        from langchain_core.messages import HumanMessage, SystemMessage

        clauses = numbered_clauses(hits, catalogue, self.settings.llm.context_tokens)
        user = render_prompt(
            USER_PROMPT,
            self.settings.prompts_dir,
            clauses=clause_block(clauses),
            question=as_data(question.text),
            refusal=REFUSAL,
        )
        return Prompt([SystemMessage(self._system), HumanMessage(user)], clauses)

    def answer(self, question: Question, hits: list[Hit], catalogue: Catalogue) -> Draft:
        """The model's answer from the whole articles of `hits`; a refusal, without a call, when there are none."""
        prompt = self.prompt(question, hits, catalogue)
        if not prompt.clauses:  # nothing to answer from: no call, no cost
            return Draft(REFUSAL, [], True)
        with self._endpoint_errors():
            message = self.chat_model.invoke(prompt.messages)
        return draft_from(message.text, prompt.clauses, self.settings.answer.max_quote_chars)

    def stream(self, question: Question, hits: list[Hit], catalogue: Catalogue) -> Iterator[str | Draft]:
        """Yield text pieces as the model writes them, then the finished Draft."""
        prompt = self.prompt(question, hits, catalogue)
        if not prompt.clauses:
            yield REFUSAL
            yield Draft(REFUSAL, [], True)
            return
        pieces: list[str] = []
        with self._endpoint_errors():
            for chunk in self.chat_model.stream(prompt.messages):
                if piece := chunk.text:
                    pieces.append(piece)
                    yield piece
        yield draft_from("".join(pieces), prompt.clauses, self.settings.answer.max_quote_chars)

    @contextmanager
    def _endpoint_errors(self) -> Iterator[None]:
        """OpenAI client errors (connection, timeout, HTTP status) as an `LLMError` naming the endpoint,
        with the key redacted; the client's own error is not chained, as its text may hold the key."""
        import openai

        try:
            yield
        except openai.OpenAIError as error:
            llm = self.settings.llm
            message = f"大模型接口调用失败（模型 {llm.model!r}，地址 {llm.base_url}）：{error}"
            raise LLMError(redact(message, llm)) from None
