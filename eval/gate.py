"""Bars a run must clear: `--fail-under metric=value` (for metrics where higher is better),
`--fail-over metric=value` (lower is better), or a file of them (`eval/gate.toml`) with one table
per dataset, named as you like:

    [dev]
    dataset = "qa.jsonl"       # the Q/A file, relative to the gate file
    [dev.min]                  # fail when the metric is below the bar
    "hit@1" = 0.85
    [dev.max]                  # fail when the metric is above the bar
    false_refusal_rate = 0.05

A dataset's table may also name `documents = "folder"` (relative to the gate file): the corpus its
questions are about, when that is not the bundled plans; the test suite indexes it for that table
(`python -m eval` uses the index of its --home). Bare [min] and [max] tables at the top of a file
apply to every dataset. `python -m eval --gate FILE` checks the bars of the dataset it evaluates.

A bar on the wrong side of its metric (`--fail-under false_refusal_rate=…`) is an error rather than a
gate that always passes. A metric the dataset leaves undefined (no unanswerable items: no refusal
accuracy) fails its bar, and so does a dataset the gate file has no bars for: a gate must not pass by
having nothing to measure.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import METRICS

MIN, MAX = "min", "max"
_FLAG = {MIN: "--fail-under", MAX: "--fail-over"}


class GateError(ValueError):
    """A bar that names no metric, has no number, or sits on the wrong side of its metric."""


@dataclass(frozen=True)
class Bar:
    metric: str
    op: str  # min | max
    value: float


@dataclass(frozen=True)
class Outcome:
    bar: Bar
    value: float | None

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.bar.value if self.bar.op == MIN else self.value <= self.bar.value

    @property
    def message(self) -> str:
        b = self.bar
        if self.value is None:
            return f"{b.metric} has no value on this dataset (bar {b.value:g})"
        side = "below" if b.op == MIN else "above"
        return f"{b.metric} = {self.value:.4f} is {side} its bar {b.value:g}"

    def to_json(self) -> dict:
        return {"metric": self.bar.metric, "op": self.bar.op, "bar": self.bar.value, "value": self.value, "ok": self.ok}


def make_bar(metric: str, value: object, op: str) -> Bar:
    """A checked bar: a known metric, a number, on the side where the metric's good values are."""
    if metric not in METRICS:
        raise GateError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GateError(f"the bar of {metric} must be a number, got {value!r}")
    higher = METRICS[metric].higher_is_better
    if higher != (op == MIN):
        wanted = MIN if higher else MAX
        better = "higher" if higher else "lower"
        raise GateError(f"{metric}: {better} is better, so gate it with {_FLAG[wanted]} (a [{wanted}] bar)")
    return Bar(metric, op, float(value))


def parse_bar(text: str, op: str = MIN) -> Bar:
    """`metric=value` as given on the command line."""
    metric, sep, number = text.partition("=")
    if not sep:
        raise GateError(f"{text!r}: expected metric=value, e.g. hit@1=0.85")
    try:
        value = float(number)
    except ValueError:
        raise GateError(f"{text!r}: {number!r} is not a number") from None
    return make_bar(metric.strip(), value, op)


@dataclass(frozen=True)
class GateSection:
    """The bars of one dataset (`dataset` None: bare [min]/[max] tables, for every dataset)."""

    name: str
    dataset: Path | None
    bars: tuple[Bar, ...]
    documents: Path | None = None  # the corpus the questions are about; None: the bundled plans


_SECTION_KEYS = {"dataset", "documents", MIN, MAX}


def _bars(table: dict, where: str) -> tuple[Bar, ...]:
    for op in (MIN, MAX):
        if not isinstance(table.get(op, {}), dict):
            raise GateError(f"{where}: {op} must be a table of metric = value")
    return tuple(make_bar(metric, value, op) for op in (MIN, MAX) for metric, value in table.get(op, {}).items())


def load_gate(path: Path) -> list[GateSection]:
    """The sections of a gate file: one per dataset table, and one for bare [min]/[max] tables."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise GateError(f"{path}: cannot read the gate file: {error}") from None
    folder = Path(path).parent
    unknown = [
        name
        for name, table in data.items()
        if name not in (MIN, MAX) and not (isinstance(table, dict) and "dataset" in table)
    ]
    if unknown:
        raise GateError(
            f"{path}: unknown table(s) {', '.join(sorted(unknown))} (use [min] and [max], or a table with a dataset)"
        )
    sections = []
    if MIN in data or MAX in data:
        sections.append(GateSection("", None, _bars(data, str(path))))
    for name, table in data.items():
        if name in (MIN, MAX):
            continue
        where = f"{path}: [{name}]"
        extra = set(table) - _SECTION_KEYS
        if extra:
            raise GateError(f"{where}: unknown key(s) {', '.join(sorted(extra))} (known: dataset, documents, min, max)")
        for key in ("dataset", "documents"):
            if key in table and not isinstance(table[key], str):
                raise GateError(f"{where}: {key} must be a path, got {table[key]!r}")
        documents = folder / table["documents"] if "documents" in table else None
        sections.append(GateSection(name, folder / table["dataset"], _bars(table, where), documents))
    return sections


def bars_for(sections: list[GateSection], dataset: Path, path: Path | str = "the gate file") -> list[Bar]:
    """The bars that apply to `dataset`: those for every dataset, then its own table's."""
    same = Path(dataset).resolve()
    chosen = [s for s in sections if s.dataset is None or s.dataset.resolve() == same]
    if not chosen:
        known = ", ".join(f"[{s.name}] {s.dataset}" for s in sections if s.dataset is not None)
        raise GateError(f"{path} has no bars for {dataset} (its datasets: {known or 'none'})")
    return [bar for section in chosen for bar in section.bars]


def check(bars: list[Bar], overall: dict[str, float | None]) -> list[Outcome]:
    """Each bar against the run's overall figures."""
    return [Outcome(bar, overall.get(bar.metric)) for bar in bars]
