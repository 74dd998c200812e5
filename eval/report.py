"""The eval report: `reports/<stamp>.json`, `reports/latest.json` and a self-contained `latest.html`.

The JSON's keys are a contract: the app's 评测 tab reads `latest.json`. Keep them stable.

    {
      "dataset": "eval/qa.jsonl",            # as given (relative to the project when inside it)
      "dataset_sha256": "…",                 # of the file's bytes
      "created": "2025-01-31T12:00:00+08:00",# ISO 8601, local time with offset
      "settings": {"answer_mode": …, "refusal_threshold": …, "support_threshold": …, "embedding": …, …},
      "metrics": {metric: {"label": "首位命中", "over": "answerable items", "higher_is_better": true}},
      "summary": {
        "overall": {metric: value},          # value: float, or null where no item defines it
        "by_type": {type: {metric: value}},  # types: fact list locate compare multi unanswerable clause
        "items": {"overall": n, "by_type": {type: n}}
      },
      "questions": [{"id", "type", "question", "reference", "answer", "refused", "error", "latency_ms",
                     "key_facts": [{"fact", "found"}],
                     "gold": [{"doc", "clause_ref", "quote", "retrieved_rank", "cited"}],
                     "citations": [{"n", "label", "doc_title", "clause_ref", "quote", "related_only", "matches_gold"}],
                     "retrieved": [{"rank", "doc_title", "clause_ref", "score", "matches_gold"}],
                     "scores": {metric: value|null}, "verdicts": {metric: "pass"|"fail"|"partial"|null},
                     "passed": bool}],
      "peers": {"note": "…", "systems": {name: {"label": "…", "overall": {metric: value}}}},   # --compare
      "ablations": {"retrieval": [{"chunks", "mode", "metrics": {…}}],                          # --ablations
                    "refusal_threshold": [{"threshold", "configured", "metrics": {…}}]},
      "judge": {"model": "…", "overall": {"answer_correctness", "faithfulness"}, "by_id": {…}}, # --judge
      "gate": {"bars": [{"metric", "op", "bar", "value", "ok"}], "passed": bool}               # bars given
    }

Metric names are those of `eval.metrics.METRICS`; what each average is over is in that module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from eval import charts
from eval.ablations import RetrievalRow, SweepPoint
from eval.dataset import Item
from eval.metrics import METRICS, RETRIEVAL_METRICS, first_match_rank, matches, verdict
from eval.peers import BASELINE_NOTE
from eval.runner import Run
from eval.text import contains
from rag.settings import PROJECT_DIR, Settings

TEMPLATES = Path(__file__).with_name("templates")
RETRIEVED_SHOWN = 10
PEER_CHART_METRICS = (
    *RETRIEVAL_METRICS,
    "citation_precision",
    "citation_recall",
    "key_fact_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "groundedness",
)
ABLATION_CHART_METRICS = RETRIEVAL_METRICS


def display_path(path: Path) -> str:
    """A path relative to the project when it is inside it (so reports do not leak home folders)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(PROJECT_DIR)) if resolved.is_relative_to(PROJECT_DIR) else str(resolved)


def settings_summary(settings: Settings) -> dict[str, Any]:
    return {
        "answer_mode": settings.answer.mode,
        "refusal_threshold": settings.answer.refusal_threshold,
        "support_threshold": settings.answer.support_threshold,
        "embedding": settings.embedding.backend + (f":{settings.embedding.model}" if settings.embedding.model else ""),
        "retrieval_k": settings.retrieval.k,
        "bm25_weight": settings.retrieval.bm25_weight,
        "dense_weight": settings.retrieval.dense_weight,
        "tokenizer": settings.retrieval.tokenizer,
    }


def question_record(item: Item, run: Run, index: int) -> dict[str, Any]:
    """One question of the drill-down: what was asked, answered, cited and found, and its scores."""
    response, scores = run.responses[index], run.scores[index]
    verdicts = {m: verdict(m, v) for m, v in scores.items()}
    cited_texts = [c.text for c in response.support]
    return {
        "id": item.id,
        "type": item.type,
        "question": item.question,
        "reference": item.answer,
        "answer": response.answer,
        "refused": response.refused,
        "coverage": response.coverage,
        "error": response.error,
        "latency_ms": round(response.latency_ms, 1),
        "key_facts": [
            {"fact": f, "found": not response.refused and contains(response.body, f)} for f in item.key_facts
        ],
        "gold": [
            {
                **asdict(g),
                "retrieved_rank": first_match_rank([r.text for r in response.retrieved], [g]),
                "cited": any(matches(t, g) for t in cited_texts),
            }
            for g in item.gold
        ],
        "citations": [
            {
                "n": c.n,
                "label": c.label or f"《{c.doc_title}》{c.clause_ref}",
                "doc_title": c.doc_title,
                "clause_ref": c.clause_ref,
                "quote": c.quote,
                "related_only": c.related_only,
                "matches_gold": any(matches(c.text, g) for g in item.gold) if item.gold else None,
            }
            for c in response.citations
        ],
        "retrieved": [
            {
                "rank": rank,
                "doc_title": r.doc_title,
                "clause_ref": r.clause_ref,
                "score": round(r.score, 4),
                "matches_gold": any(matches(r.text, g) for g in item.gold) if item.gold else None,
            }
            for rank, r in enumerate(response.retrieved[:RETRIEVED_SHOWN], start=1)
        ],
        "scores": scores,
        "verdicts": verdicts,
        "passed": all(v in (None, "pass") for v in verdicts.values()),
    }


def build_report(
    dataset: Path,
    items: list[Item],
    run: Run,
    settings: Settings,
    *,
    peers: dict[str, tuple[str, Run]] | None = None,
    ablations: tuple[list[RetrievalRow], list[SweepPoint]] | None = None,
    judge: dict[str, Any] | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The report's JSON (see the module docstring). `peers`: name → (label, run), PlanQA included."""
    report: dict[str, Any] = {
        "dataset": display_path(dataset),
        "dataset_sha256": hashlib.sha256(Path(dataset).read_bytes()).hexdigest(),
        "created": (created or datetime.now().astimezone()).isoformat(timespec="seconds"),
        "settings": settings_summary(settings),
        "metrics": {
            m.name: {"label": m.label, "over": m.over, "higher_is_better": m.higher_is_better} for m in METRICS.values()
        },
        "summary": run.summary,
        "questions": [question_record(item, run, n) for n, item in enumerate(items)],
    }
    if peers is not None:
        report["peers"] = {
            "note": BASELINE_NOTE,
            "systems": {
                name: {"label": label, "overall": peer.summary["overall"]} for name, (label, peer) in peers.items()
            },
        }
    if ablations is not None:
        rows, points = ablations
        report["ablations"] = {
            "retrieval": [asdict(r) for r in rows],
            "refusal_threshold": [
                {"threshold": p.threshold, "configured": p.configured, "metrics": p.metrics} for p in points
            ],
        }
    if judge is not None:
        report["judge"] = judge
    return report


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML page: tables, charts as embedded PNG, and a drill-down per question."""
    figures = {
        "overall": charts.overall_bars(report["summary"]["overall"]),
        "by_type": charts.type_heatmap(report["summary"]["by_type"]),
    }
    if "peers" in report:
        systems = {s["label"]: s["overall"] for s in report["peers"]["systems"].values()}
        figures["peers"] = charts.grouped_bars(systems, PEER_CHART_METRICS, "PlanQA 与基线对比（同一题集）")
    if "ablations" in report:
        rows = report["ablations"]["retrieval"]
        grid = {f"{_CHUNKS[r['chunks']]} · {_MODES[r['mode']]}": r["metrics"] for r in rows}
        figures["retrieval"] = charts.grouped_bars(grid, ABLATION_CHART_METRICS, "切分方式 × 检索方式（检索指标）")
        points = [
            (p["threshold"], p["metrics"]["refusal_accuracy"], p["metrics"]["false_refusal_rate"], p["configured"])
            for p in report["ablations"]["refusal_threshold"]
        ]
        figures["refusal"] = charts.refusal_curve(points)
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    environment.filters["num"] = _number
    return environment.get_template("report.html.j2").render(
        report=report, figures=figures, chunk_names=_CHUNKS, mode_names=_MODES, metric_names=list(METRICS)
    )


_CHUNKS = {"article": "条款切分", "fixed": "定长500字切分"}
_MODES = {"dense": "向量", "keyword": "BM25", "hybrid": "混合"}


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def write_report(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write `<stamp>.json`, `latest.json` and `latest.html` into `out`; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(report["created"]).strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, ensure_ascii=False, indent=1)
    paths = {"json": out / f"{stamp}.json", "latest": out / "latest.json", "html": out / "latest.html"}
    paths["json"].write_text(text, encoding="utf-8")
    paths["latest"].write_text(text, encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths
