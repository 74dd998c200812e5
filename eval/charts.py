"""The report's charts: matplotlib figures as base64 PNG, so the HTML needs no other file.

Labels are Chinese, so a CJK font family is set first (Noto Sans CJK, which Debian's fonts-noto-cjk
installs; common macOS/Windows families follow as fallbacks).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written to PNG
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from eval.metrics import METRICS  # noqa: E402

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", "DejaVu Sans"]
DPI = 110
COLOURS = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"]
plt.rcParams.update({"font.family": "sans-serif", "font.sans-serif": CJK_FONTS, "axes.unicode_minus": False})

Values = Mapping[str, float | None]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _label(metric: str) -> str:
    return f"{METRICS[metric].label}\n{metric}" if metric in METRICS else metric


def rate_metrics(values: Values) -> list[str]:
    """The 0..1 metrics that have a value (latencies are not rates)."""
    return [m for m in METRICS if not m.startswith("latency") and values.get(m) is not None]


def overall_bars(values: Values, title: str = "总体指标 (overall)") -> str:
    """One horizontal bar per metric, with its value written at the bar's end."""
    metrics = rate_metrics(values)
    figure, axes = plt.subplots(figsize=(7.5, 0.42 * len(metrics) + 1.0))
    shown = [values[m] for m in metrics]
    colours = [COLOURS[0] if METRICS[m].higher_is_better else COLOURS[3] for m in metrics]
    axes.barh(range(len(metrics)), shown, color=colours)
    for row, value in enumerate(shown):
        axes.text(min(value + 0.01, 0.93), row, f"{value:.3f}", va="center", fontsize=9)
    axes.set_yticks(range(len(metrics)), [_label(m).replace("\n", "  ") for m in metrics], fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.0)
    axes.set_title(title + "（红色：越低越好）")
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def type_heatmap(by_type: Mapping[str, Values], title: str = "按题型 (by type)") -> str:
    """Types × metrics, each cell its value (blank where the metric does not apply)."""
    types = list(by_type)
    metrics = [m for m in METRICS if not m.startswith("latency") and any(by_type[t].get(m) is not None for t in types)]
    grid = np.array([[np.nan if by_type[t].get(m) is None else by_type[t][m] for m in metrics] for t in types], dtype=float)
    shown = np.array([[1 - v if not METRICS[m].higher_is_better else v for v, m in zip(row, metrics)] for row in grid])
    figure, axes = plt.subplots(figsize=(1.0 * len(metrics) + 2.0, 0.5 * len(types) + 1.8))
    axes.imshow(np.ma.masked_invalid(shown), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for r in range(len(types)):
        for c in range(len(metrics)):
            if not np.isnan(grid[r, c]):
                axes.text(c, r, f"{grid[r, c]:.2f}", ha="center", va="center", fontsize=9)
    axes.set_xticks(range(len(metrics)), [_label(m) for m in metrics], fontsize=8, rotation=35, ha="right")
    axes.set_yticks(range(len(types)), types)
    axes.set_title(title + "（误拒率：绿色为低）")
    return _png(figure)


def grouped_bars(systems: Mapping[str, Values], metrics: Sequence[str], title: str) -> str:
    """Metrics along x, one bar per system."""
    figure, axes = plt.subplots(figsize=(max(7.0, 0.95 * len(metrics) * max(1, len(systems)) / 2 + 3), 4.2))
    width = 0.8 / max(1, len(systems))
    for n, (name, values) in enumerate(systems.items()):
        heights = [values.get(m) or 0.0 for m in metrics]
        positions = np.arange(len(metrics)) + (n - (len(systems) - 1) / 2) * width
        bars = axes.bar(positions, heights, width, label=name, color=COLOURS[n % len(COLOURS)])
        axes.bar_label(bars, [f"{h:.2f}" for h in heights], fontsize=7, padding=1)
    axes.set_xticks(range(len(metrics)), [_label(m) for m in metrics], fontsize=8)
    axes.set_ylim(0, 1.12)
    axes.set_title(title)
    axes.legend(fontsize=8, ncol=len(systems), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def refusal_curve(points: Sequence[tuple[float, float | None, float | None, bool]]) -> str:
    """Refusal accuracy against false refusals, one point per threshold (the configured one ringed)."""
    figure, axes = plt.subplots(figsize=(6.2, 4.6))
    xs = [p[2] for p in points]
    ys = [p[1] for p in points]
    axes.plot(xs, ys, "-o", color=COLOURS[0], markersize=4)
    for threshold, accuracy, false_rate, configured in points:
        axes.annotate(f"{threshold:.2f}", (false_rate, accuracy), textcoords="offset points", xytext=(5, -10), fontsize=7)
        if configured:
            axes.plot([false_rate], [accuracy], "o", markersize=13, markerfacecolor="none", color=COLOURS[3])
    axes.set_xlabel("误拒率 false_refusal_rate（可答题被拒，越低越好）")
    axes.set_ylabel("拒答准确率 refusal_accuracy（不可答题被拒）")
    axes.set_xlim(-0.02, max([x for x in xs if x is not None] + [0.2]) + 0.05)
    axes.set_ylim(-0.02, 1.05)
    axes.set_title("拒答阈值扫描 (answer.refusal_threshold)；红圈为当前设置")
    axes.grid(alpha=0.3)
    return _png(figure)
