"""Bars a run must clear: `--fail-under metric=value` (for metrics where higher is better),
`--fail-over metric=value` (lower is better), or a file of them (`eval/gate.toml`):

    [min]              # fail when the metric is below the bar
    "hit@1" = 0.85
    [max]              # fail when the metric is above the bar
    false_refusal_rate = 0.05

A bar on the wrong side of its metric (`--fail-under false_refusal_rate=…`) is an error rather than a
gate that always passes. A metric the dataset leaves undefined (no unanswerable items: no refusal
accuracy) fails its bar: a gate must not pass by having nothing to measure.
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


def load_gate(path: Path) -> list[Bar]:
    """The bars of a gate file ([min] and [max] tables of metric = value)."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise GateError(f"{path}: cannot read the gate file: {error}") from None
    unknown = set(data) - {MIN, MAX}
    if unknown:
        raise GateError(f"{path}: unknown table(s) {', '.join(sorted(unknown))} (use [min] and [max])")
    return [make_bar(metric, value, op) for op in (MIN, MAX) for metric, value in data.get(op, {}).items()]


def check(bars: list[Bar], overall: dict[str, float | None]) -> list[Outcome]:
    """Each bar against the run's overall figures."""
    return [Outcome(bar, overall.get(bar.metric)) for bar in bars]
