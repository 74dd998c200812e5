"""The metrics: one small function each, then per-question scores and their averages.

Matching is by text (DESIGN.md): a retrieved or cited chunk matches a gold entry when its text,
NFKC-normalised with white space removed, contains the gold quote. So any chunking can be scored.

What each aggregate averages over (a question where a metric is undefined, `None`, is left out):

| metric | per question | averaged over |
|---|---|---|
| hit@1, hit@5 | 1 if a top-k retrieved chunk matches some gold entry | answerable items |
| mrr | 1 / rank of the first matching retrieved chunk (0: none in the list) | answerable items |
| recall@5 | share of gold entries matched by a top-5 retrieved chunk | answerable items |
| citation_precision | share of citations (not `related_only`) matching some gold entry | answerable items with ≥1 citation |
| citation_recall | share of gold entries matched by some citation | answerable items |
| key_fact_accuracy | 1 if every key fact is in the answer (normalised) | answerable items with key facts |
| refusal_accuracy | 1 if refused | unanswerable items |
| false_refusal_rate | 1 if refused | answerable items (lower is better) |
| groundedness | share of the answer's claims the app does not mark unsupported (`rag/answer/verify.py`) | answers that were not refusals and make ≥1 claim |
| coverage_flag_recall | 1 if the answer says it is partial (`coverage`) | answers (not refusals) missing a key fact, when the system reports coverage |
| coverage_false_flag | 1 if the answer says it is partial | answers (not refusals) holding every key fact, when the system reports coverage (lower is better) |
| latency_p50_ms, latency_p95_ms | the answer's latency | all items (percentiles, lower is better) |

Citation precision and recall follow ALCE (Gao et al. 2023, https://arxiv.org/abs/2305.14627) in
spirit, with gold quotes standing in for its NLI judge: no Chinese NLI model installs here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eval.dataset import TYPES, Gold, Item
from eval.responses import Cited, Response
from eval.text import contains
from rag.answer.verify import claims, unsupported_claims

HIT_DEPTHS = (1, 5)
RECALL_DEPTH = 5
LATENCY_PERCENTILES = (50, 95)


@dataclass(frozen=True)
class Metric:
    name: str
    label: str  # Chinese, for the report
    over: str  # what the aggregate averages over
    higher_is_better: bool = True


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("hit@1", "首位命中", "answerable items"),
        Metric("hit@5", "前5命中", "answerable items"),
        Metric("mrr", "平均倒数排名", "answerable items"),
        Metric("recall@5", "前5召回", "answerable items (gold entries)"),
        Metric("citation_precision", "引用精确率", "answerable items with ≥1 citation"),
        Metric("citation_recall", "引用召回率", "answerable items (gold entries)"),
        Metric("key_fact_accuracy", "要点准确率", "answerable items with key facts"),
        Metric("refusal_accuracy", "拒答准确率", "unanswerable items"),
        Metric("false_refusal_rate", "误拒率", "answerable items", higher_is_better=False),
        Metric("groundedness", "有据率", "answers (not refusals) with ≥1 claim"),
        Metric("coverage_flag_recall", "缺要点标为部分回答", "answers (not refusals) missing a key fact"),
        Metric(
            "coverage_false_flag",
            "全要点误标为部分回答",
            "answers (not refusals) with every key fact",
            higher_is_better=False,
        ),
        Metric("latency_p50_ms", "延迟P50(毫秒)", "all items", higher_is_better=False),
        Metric("latency_p95_ms", "延迟P95(毫秒)", "all items", higher_is_better=False),
    )
}
RETRIEVAL_METRICS = ("hit@1", "hit@5", "mrr", "recall@5")
Scores = dict[str, float | None]


# -- retrieval ------------------------------------------------------------------------------------
def matches(text: str, gold: Gold) -> bool:
    """Whether a chunk's text holds a gold entry's quote (NFKC, white space ignored)."""
    return contains(text, gold.quote)


def first_match_rank(texts: Sequence[str], gold: Sequence[Gold]) -> int | None:
    """1-based rank of the first chunk matching any gold entry; None when none does."""
    for rank, text in enumerate(texts, start=1):
        if any(matches(text, g) for g in gold):
            return rank
    return None


def hit_at(texts: Sequence[str], gold: Sequence[Gold], k: int) -> float | None:
    """1.0 when one of the top `k` chunks matches a gold entry; None without gold."""
    if not gold:
        return None
    rank = first_match_rank(texts[:k], gold)
    return 1.0 if rank is not None else 0.0


def reciprocal_rank(texts: Sequence[str], gold: Sequence[Gold]) -> float | None:
    """1 / rank of the first matching chunk (0.0 when none of the list matches); None without gold."""
    if not gold:
        return None
    rank = first_match_rank(texts, gold)
    return 1.0 / rank if rank is not None else 0.0


def recall_at(texts: Sequence[str], gold: Sequence[Gold], k: int) -> float | None:
    """Share of gold entries matched by one of the top `k` chunks; None without gold."""
    if not gold:
        return None
    return sum(any(matches(t, g) for t in texts[:k]) for g in gold) / len(gold)


# -- citations ------------------------------------------------------------------------------------
def citation_precision(cited: Sequence[str], gold: Sequence[Gold]) -> float | None:
    """Share of cited texts matching some gold entry; None without gold or without citations."""
    if not gold or not cited:
        return None
    return sum(any(matches(text, g) for g in gold) for text in cited) / len(cited)


def citation_recall(cited: Sequence[str], gold: Sequence[Gold]) -> float | None:
    """Share of gold entries matched by some cited text (0.0 with no citations); None without gold."""
    return recall_at(cited, gold, len(cited))


# -- the answer -----------------------------------------------------------------------------------
def key_facts_present(answer: str, facts: Sequence[str]) -> float | None:
    """1.0 when every key fact is in the answer (normalised), else 0.0; None without key facts."""
    if not facts:
        return None
    return 1.0 if all(contains(answer, fact) for fact in facts) else 0.0


def groundedness(answer: str, citations: Sequence[Cited], threshold: float) -> float | None:
    """Share of the answer's claims that the app does not mark unsupported: the app's own check,
    `rag.answer.verify.unsupported_claims` (every marker names a citation, every number the claim
    states is in the cited text, and the cited text and labels hold `threshold` of its bigrams).
    `Cited` carries the fields that check reads (n, text, label, related_only). None when the
    answer makes no claim."""
    found = claims(answer)
    if not found:
        return None
    return 1 - len(unsupported_claims(answer, list(citations), threshold)) / len(found)


def coverage_flag(key_facts: float | None, coverage: str) -> tuple[float | None, float | None]:
    """(flag recall, false flag) of one answer that is not a refusal: whether it says it is partial
    when it misses a key fact, and when it holds them all; None where it does not apply."""
    if key_facts is None:
        return None, None
    partial = 1.0 if coverage == "partial" else 0.0
    return (partial, None) if key_facts < 1 else (None, partial)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation, as numpy); None for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


# -- per question and aggregated ------------------------------------------------------------------
def score(item: Item, response: Response, support_threshold: float) -> Scores:
    """Every per-question metric of one response (None where it does not apply)."""
    retrieved = [r.text for r in response.retrieved]
    cited = [c.text for c in response.support]
    answered = not response.refused
    scores: Scores = dict.fromkeys(m for m in METRICS if not m.startswith("latency"))
    if item.answerable:
        for k in HIT_DEPTHS:
            scores[f"hit@{k}"] = hit_at(retrieved, item.gold, k)
        scores["mrr"] = reciprocal_rank(retrieved, item.gold)
        scores[f"recall@{RECALL_DEPTH}"] = recall_at(retrieved, item.gold, RECALL_DEPTH)
        scores["citation_precision"] = citation_precision(cited, item.gold)
        scores["citation_recall"] = citation_recall(cited, item.gold)
        scores["key_fact_accuracy"] = key_facts_present(response.body if answered else "", item.key_facts)
        scores["false_refusal_rate"] = 0.0 if answered else 1.0
        if answered and response.coverage is not None:
            flagged = coverage_flag(scores["key_fact_accuracy"], response.coverage)
            scores["coverage_flag_recall"], scores["coverage_false_flag"] = flagged
    else:
        scores["refusal_accuracy"] = 0.0 if answered else 1.0
    if answered:
        scores["groundedness"] = groundedness(response.answer, response.support, support_threshold)
    return scores


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the defined values; None when none is defined."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def aggregate(scores: Sequence[Scores], latencies: Sequence[float]) -> Scores:
    """Averages of per-question scores (see the module's table) and latency percentiles."""
    summary: Scores = {name: mean([s.get(name) for s in scores]) for name in METRICS if not name.startswith("latency")}
    for q in LATENCY_PERCENTILES:
        summary[f"latency_p{q}_ms"] = percentile(latencies, q)
    return summary


def summarise(items: Sequence[Item], responses: Sequence[Response], scores: Sequence[Scores]) -> dict:
    """{"overall": {metric: value}, "by_type": {type: {metric: value}}, "items": {"overall": n, "by_type": {type: n}}}."""
    by_type = {}
    counts = {}
    for kind in TYPES:
        chosen = [i for i, item in enumerate(items) if item.type == kind]
        if chosen:
            by_type[kind] = aggregate([scores[i] for i in chosen], [responses[i].latency_ms for i in chosen])
            counts[kind] = len(chosen)
    return {
        "overall": aggregate(scores, [r.latency_ms for r in responses]),
        "by_type": by_type,
        "items": {"overall": len(items), "by_type": counts},
    }


def verdict(metric: str, value: float | None) -> str | None:
    """How one question did on a metric: "pass" (best value), "fail" (worst), "partial", or None (n/a)."""
    if value is None:
        return None
    best, worst = (1.0, 0.0) if METRICS[metric].higher_is_better else (0.0, 1.0)
    return "pass" if value == best else "fail" if value == worst else "partial"
