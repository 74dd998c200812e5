"""The headline table of speed and scale, written into the READMEs from benchmarks/results/summary.json.

    python -m benchmarks.report      # after any run; `python -m benchmarks` calls it at its end

The table goes between the markers below in README.md (section "Speed and scale") and
benchmarks/README.md; the text around them is left as it is. A figure no run has measured yet
reads "not measured".
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.common import PROJECT, RESULTS

START, END = "<!-- speed-table:start -->", "<!-- speed-table:end -->"
READMES = (PROJECT / "README.md", PROJECT / "benchmarks" / "README.md")
# The targets of issue 6, as ratios measured on the machine that runs the benchmarks.
ASK_TARGETS = {"real": 2.0, "1000": 2.0, "10000": 2.0, "100000": 3.0}
INGEST_TARGET = 0.8
COLD_START_TARGET_S = 3.0


def _value(data: dict, *keys: str):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _cell(value, suffix: str = "", digits: int = 2) -> str:
    return "not measured" if value is None else f"{value:.{digits}f}{suffix}"


def _verdict(value, limit: float, at_most: bool = True) -> str:
    if value is None:
        return ""
    return "met" if (value <= limit if at_most else value >= limit) else "**not met**"


def table(summary: dict) -> str:
    """The markdown table of the headline figures."""
    floor = _value(summary, "latency", "floor_ms")
    when = _value(summary, "machine", "when") or "?"
    rows = [
        "| measure | target | result | |",
        "|---|---|---|---|",
    ]
    ask = _value(summary, "latency", "ask_miss_p50_x")
    rows.append(
        f"| ask p50, new question, bundled plans (all eval questions) | ≤ 2× one query embedding | {_cell(ask, '×')} | {_verdict(ask, 2.0)} |"
    )
    for size, limit in ASK_TARGETS.items():
        value = _value(summary, "growth", size, "ask_miss_p50_x")
        label = "bundled plans (164 chunks)" if size == "real" else f"{int(size):,} chunks"
        rows.append(
            f"| ask p50, new question, {label} (growth) | ≤ {limit:g}× | {_cell(value, '×')} | {_verdict(value, limit)} |"
        )
    ingest = _value(summary, "ingest_ratio")
    rows.append(
        f"| ingest throughput ÷ pure embedding | ≥ {INGEST_TARGET}× | {_cell(ingest, '×')} | {_verdict(ingest, INGEST_TARGET, at_most=False)} |"
    )
    cold = _value(summary, "cold_start_s")
    rows.append(
        f"| cold start to the first answer (built index) | ≤ {COLD_START_TARGET_S:g} s | {_cell(cold, ' s', 1)} | {_verdict(cold, COLD_START_TARGET_S)} |"
    )
    for size in ("10000", "100000"):
        seconds = _value(summary, "growth", size, "catalogue_s")
        peak = _value(summary, "growth", size, "peak_mb")
        rows.append(
            f"| catalogue build / peak RSS at {int(size):,} chunks | — | {_cell(seconds, ' s', 1)} / {_cell(peak, ' MB', 0)} | |"
        )
    serve = _value(summary, "peak_rss_mb", "serve")
    rows.append(f"| peak RSS of `serve` (bundled plans) | — | {_cell(serve, ' MB', 0)} | |")
    note = f"One query embedding (the floor) took {_cell(floor, ' ms', 1)} p50 in the latency run; summary of {when[:16]} UTC."
    return "\n".join(rows) + "\n\n" + note


def write(summary_path: Path = RESULTS / "summary.json", readmes: tuple[Path, ...] = READMES) -> list[Path]:
    """Replace the table between the markers of each README that has them; the files changed."""
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    block = f"{START}\n{table(summary)}\n{END}"
    changed = []
    for path in readmes:
        text = path.read_text(encoding="utf-8")
        start, end = text.find(START), text.find(END)
        if start < 0 or end < start:
            continue
        updated = text[:start] + block + text[end + len(END) :]
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


def main() -> None:
    for path in write():
        print(f"updated {path}")


if __name__ == "__main__":
    main()
