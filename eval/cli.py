"""`python -m eval`: answer a Q/A dataset with PlanQA, score it, print a table, write the reports.

Exit codes: 0 done (and every bar cleared), 1 a bar failed, 2 a usage error (bad dataset, unknown
metric, invalid configuration).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
import openai
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from eval.ablations import FixedChunkIndex, RetrievalRow, SweepPoint, refusal_sweep, retrieval_grid
from eval.dataset import DatasetError, Item, load_dataset
from eval.gate import MAX, MIN, GateError, Outcome, bars_for, check, load_gate, parse_bar
from eval.metrics import METRICS
from eval.peers import NaivePeer, bm25_search, run_peer
from eval.report import build_report, display_path, write_report
from eval.runner import Run, answer_all, evaluate
from eval.vectors import CachedEmbeddings
from rag.api import PlanQA
from rag.cli import ProgressBars
from rag.settings import PROJECT_DIR, Settings
from rag.store.library import Library

DEFAULT_DATASET = PROJECT_DIR / "eval" / "qa.jsonl"
DEFAULT_OUT = PROJECT_DIR / "reports"
PEER_LABELS = {"planqa": "PlanQA", "naive": "朴素 LangChain（500字切分+向量）", "bm25": "仅 BM25（条款切分）"}
PIPE_WIDTH = 150  # tables printed to a file or pipe: wide enough for every column of the type table
err = Console(stderr=True)


def _usage_error(message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(2)


def open_planqa(settings: Settings, progress: ProgressBars) -> PlanQA:
    """PlanQA with default settings, building the index of the bundled plans on first use."""
    index = Library(settings)
    if index.is_empty():
        err.print("No index yet: building it from the bundled plans (first run only)…")

        index.ensure_built(progress=indexing(progress, "building the index"))
    return PlanQA(settings, index=index, build=False)


def indexing(progress: ProgressBars, stage: str) -> Callable[[str, int, int], None]:
    """The Library's (what, done, total) reports as two bars under `stage`: files, and the articles
    of the file being embedded."""

    def report(what: str, done: int, total: int) -> None:
        progress(f"{stage}: articles of this file" if what == "embedding" else f"{stage}: files", done, total)

    return report


def cached_embeddings(planqa: PlanQA, progress: ProgressBars) -> CachedEmbeddings:
    """The index's embedding model, with chunk vectors cached under PLANQA_HOME/cache."""
    settings = planqa.settings
    cache = settings.home / "cache" / f"eval-vectors-{settings.collection_name}.npz"
    return CachedEmbeddings(
        planqa.index.embeddings, settings.collection_name, cache, settings.ingest.batch_size, progress
    )


def run_peers(
    planqa: PlanQA, items: list[Item], run: Run, embeddings: CachedEmbeddings, progress: ProgressBars
) -> dict[str, tuple[str, Run]]:
    """PlanQA and the two baselines on the same questions."""
    settings = planqa.settings
    k, support = settings.retrieval.k, settings.answer.support_threshold
    naive = NaivePeer(planqa.documents(), embeddings, k)
    try:
        naive_run = evaluate(
            "naive",
            items,
            run_peer(items, naive.search, settings.retrieval.tokenizer, progress, "baseline: naive"),
            support,
        )
    finally:
        naive.close()
    bm25 = run_peer(items, bm25_search(planqa, k), settings.retrieval.tokenizer, progress, "baseline: bm25")
    runs = {"planqa": run, "naive": naive_run, "bm25": evaluate("bm25", items, bm25, support)}
    return {name: (PEER_LABELS[name], peer) for name, peer in runs.items()}


def ablate(
    planqa: PlanQA, items: list[Item], run: Run, embeddings: CachedEmbeddings, progress: ProgressBars
) -> tuple[list[RetrievalRow], list[SweepPoint]]:
    fixed = FixedChunkIndex(planqa, embeddings)
    try:
        rows = retrieval_grid(planqa, items, fixed.search, progress)
    finally:
        fixed.close()
    return rows, refusal_sweep(planqa, items, run, progress)


def make_judge(settings: Settings):
    """The LLM judge for --judge, made before any question is answered, so a missing endpoint is
    reported at once rather than after the run."""
    from eval.judge import Judge
    from rag.answer.llm import LLMNotConfigured

    try:
        return Judge(settings)
    except LLMNotConfigured as error:
        _usage_error(f"--judge: {error}")


def run_judge(judge, items: list[Item], run: Run, progress: ProgressBars) -> dict | None:
    try:
        return judge.judge_all(items, run.responses, progress)
    except openai.OpenAIError as error:  # the endpoint failed mid-run: keep the rest of the report
        err.print(f"[yellow]LLM judge skipped: {escape(str(error))}[/yellow]", soft_wrap=True)
    return None


# -- printing -------------------------------------------------------------------------------------
def _cell(value: float | None, metric: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if metric.startswith("latency") else f"{value:.3f}"


def summary_table(summary: dict, title: str) -> Table:
    types = list(summary["by_type"])
    table = Table(title=title)
    table.add_column("metric")
    table.add_column(f"overall ({summary['items']['overall']})", justify="right", style="bold")
    for kind in types:
        table.add_column(f"{kind} ({summary['items']['by_type'][kind]})", justify="right")
    for metric in METRICS:
        row = [summary["overall"][metric], *(summary["by_type"][t][metric] for t in types)]
        table.add_row(metric, *(_cell(v, metric) for v in row))
    return table


def peers_table(peers: dict[str, tuple[str, Run]]) -> Table:
    table = Table(title="PlanQA vs baselines")
    table.add_column("metric")
    for label, _ in peers.values():
        table.add_column(label, justify="right")
    for metric in METRICS:
        table.add_row(metric, *(_cell(run.summary["overall"][metric], metric) for _, run in peers.values()))
    return table


def ablation_tables(rows: list[RetrievalRow], points: list[SweepPoint]) -> list[Table]:
    grid = Table(title="Ablation: chunking × retrieval mode (answerable items, questions read as PlanQA reads them)")
    grid.add_column("chunks")
    grid.add_column("mode")
    metrics = list(rows[0].metrics) if rows else []
    for metric in metrics:
        grid.add_column(metric, justify="right")
    for row in rows:
        grid.add_row(row.chunks, row.mode, *(_cell(row.metrics[m], m) for m in metrics))
    sweep = Table(title="Ablation: answer.refusal_threshold")
    sweep.add_column("threshold")
    names = list(points[0].metrics) if points else []
    for name in names:
        sweep.add_column(name, justify="right")
    for point in points:
        sweep.add_row(
            f"{point.threshold:.2f}" + (" (configured)" if point.configured else ""),
            *(_cell(point.metrics[n]) for n in names),
        )
    return [grid, sweep]


def stdout_console() -> Console:
    """Where the tables go. Through a pipe rich draws 80 columns unless COLUMNS says otherwise (the
    app's 评测 tab sets it); 80 squeezes the per-type table, so a pipe without COLUMNS gets wider."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=PIPE_WIDTH)
    return console


def _parse_bars(under: tuple[str, ...], over: tuple[str, ...], gate: Path | None, dataset: Path) -> list:
    try:
        bars = bars_for(load_gate(gate), dataset, gate) if gate else []
        bars += [parse_bar(text, MIN) for text in under] + [parse_bar(text, MAX) for text in over]
    except GateError as error:
        _usage_error(str(error))
    return bars


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--dataset",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DATASET,
    show_default="eval/qa.jsonl",
    help="A Q/A file in DESIGN.md's eval format.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default="reports/",
    help="Folder for <stamp>.json, latest.json, latest.html.",
)
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC (higher is better) is below VALUE. Repeatable.",
)
@click.option(
    "--fail-over",
    "fail_over",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC (lower is better, e.g. false_refusal_rate) is above VALUE.",
)
@click.option(
    "--gate",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A file of bars per dataset, e.g. eval/gate.toml (the --dataset's bars are checked).",
)
@click.option(
    "--compare", is_flag=True, help="Also score two baselines (naive LangChain, BM25 only) on the same questions."
)
@click.option(
    "--ablations", is_flag=True, help="Also run the ablations (chunking × retrieval mode, refusal threshold sweep)."
)
@click.option("--judge", is_flag=True, help="Also judge answers with the configured LLM (RAGAS-style; never gated).")
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (default: PLANQA_HOME or var/).")
@click.option(
    "--documents",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Also index these files or folders (beside the bundled plans) before answering: the corpus the dataset asks about, e.g. data/devcorpus/docs for eval/unseen.jsonl. Unchanged files are skipped.",
)
def main(
    dataset: Path,
    out: Path,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    gate: Path | None,
    compare: bool,
    ablations: bool,
    judge: bool,
    home: Path | None,
    documents: tuple[Path, ...],
) -> None:
    """Evaluate PlanQA on a Q/A dataset (offline, default settings; the index builds on first use).

    Prints the metrics overall and per question type, writes reports/<stamp>.json, latest.json and
    a self-contained latest.html, and exits 1 when a --fail-under/--fail-over/--gate bar fails."""
    try:
        settings = Settings()
    except Exception as error:  # invalid PLANQA_* values: say which
        _usage_error(f"configuration: {error}")
    if home:
        settings = settings.model_copy(update={"home": home})
    bars = _parse_bars(fail_under, fail_over, gate, dataset)
    try:
        items = load_dataset(dataset)
    except DatasetError as error:
        _usage_error(str(error))
    judge_model = make_judge(settings) if judge else None
    peers = studies = verdicts = None
    with ProgressBars() as progress:
        planqa = open_planqa(settings, progress)
        if documents:
            report_of_ingest = planqa.ingest(list(documents), progress=indexing(progress, "indexing the documents"))
            if report_of_ingest.failed:
                _usage_error("; ".join(f.error for f in report_of_ingest.failed))
        run = evaluate("planqa", items, answer_all(planqa, items, progress), settings.answer.support_threshold)
        embeddings = cached_embeddings(planqa, progress) if compare or ablations else None
        if compare:
            peers = run_peers(planqa, items, run, embeddings, progress)
        if ablations:
            studies = ablate(planqa, items, run, embeddings, progress)
        if judge_model is not None:
            verdicts = run_judge(judge_model, items, run, progress)
    report = build_report(dataset, items, run, settings, peers=peers, ablations=studies, judge=verdicts)
    outcomes = check(bars, run.summary["overall"])
    if bars:
        report["gate"] = {"bars": [o.to_json() for o in outcomes], "passed": all(o.ok for o in outcomes)}
    paths = write_report(report, out)
    console = stdout_console()
    console.print(summary_table(run.summary, f"PlanQA on {display_path(dataset)}"))
    if peers:
        console.print(peers_table(peers))
    if studies:
        for table in ablation_tables(*studies):
            console.print(table)
    if verdicts:
        console.print(
            f"LLM judge ({verdicts['model']}): " + ", ".join(f"{k} {_cell(v)}" for k, v in verdicts["overall"].items())
        )
    console.print(f"reports: {paths['json']}, {paths['latest']}, {paths['html']}", highlight=False, soft_wrap=True)
    _exit_on_failures(outcomes)


def _exit_on_failures(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        err.print(f"[red]FAIL[/red] {escape(outcome.message)}", highlight=False, soft_wrap=True)
    if failed:
        sys.exit(1)
