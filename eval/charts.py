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

CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Zen Hei",
    "DejaVu Sans",
]
DPI = 110
INSIDE_LABEL_ABOVE = 0.85  # bars longer than this write their value inside the bar
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
        inside = value > INSIDE_LABEL_ABOVE  # a long bar carries its value inside, in white
        axes.text(
            value - 0.01 if inside else value + 0.01,
            row,
            f"{value:.3f}",
            va="center",
            ha="right" if inside else "left",
            fontsize=9,
            color="white" if inside else "black",
        )
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
    grid = np.array(
        [[np.nan if by_type[t].get(m) is None else by_type[t][m] for m in metrics] for t in types], dtype=float
    )
    goodness = np.array([[v if METRICS[m].higher_is_better else 1 - v for v, m in zip(row, metrics)] for row in grid])
    figure, axes = plt.subplots(figsize=(1.15 * len(metrics) + 1.6, 0.5 * len(types) + 1.6))
    axes.imshow(np.ma.masked_invalid(goodness), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for r in range(len(types)):
        for c in range(len(metrics)):
            if not np.isnan(grid[r, c]):
                axes.text(
                    c,
                    r,
                    f"{grid[r, c]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if goodness[r, c] > 0.85 else "black",
                )
    axes.set_xticks(range(len(metrics)), [_label(m) for m in metrics], fontsize=7.5)
    axes.xaxis.tick_top()
    axes.set_yticks(range(len(types)), types)
    axes.set_title(title + "（颜色：绿好红差；误拒率越低越绿）", pad=34)
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
    """Left: refusal accuracy against false refusals, one point per threshold (thresholds with the
    same outcome share a point; the configured one is ringed). Right: both rates against the threshold."""
    figure, (trade, sweep) = plt.subplots(1, 2, figsize=(11.5, 4.4))
    shared: dict[tuple[float, float], list[float]] = {}
    for threshold, accuracy, false_rate, _ in points:
        if accuracy is not None and false_rate is not None:
            shared.setdefault((false_rate, accuracy), []).append(threshold)
    trade.plot([x for x, _ in shared], [y for _, y in shared], "-o", color=COLOURS[0], markersize=4)
    for n, ((x, y), values) in enumerate(shared.items()):
        name = f"{values[0]:.2f}" if len(values) == 1 else f"{values[0]:.2f}–{values[-1]:.2f}"
        # labels alternate above and below the curve, so neighbouring points do not overwrite each other
        trade.annotate(name, (x, y), textcoords="offset points", xytext=(4, 7 if n % 2 else -13), fontsize=8)
    for _threshold, accuracy, false_rate, configured in points:
        if configured and accuracy is not None and false_rate is not None:
            trade.plot([false_rate], [accuracy], "o", markersize=14, markerfacecolor="none", color=COLOURS[3])
    widest = max([x for x, _ in shared] + [0.05])
    trade.set_xlim(-0.005, widest * 1.35 + 0.01)
    trade.set_ylim(min([y for _, y in shared] + [0.5]) - 0.05, 1.03)
    trade.set_xlabel("误拒率 false_refusal_rate（可答题被拒，越低越好）")
    trade.set_ylabel("拒答准确率 refusal_accuracy（不可答题被拒）")
    trade.set_title("拒答准确率 vs 误拒率（标注为阈值；红圈为当前设置）", fontsize=10)
    trade.grid(alpha=0.3)
    thresholds = [p[0] for p in points]
    sweep.plot(
        thresholds, [p[1] for p in points], "-o", markersize=3, color=COLOURS[0], label="拒答准确率 refusal_accuracy"
    )
    sweep.plot(
        thresholds, [p[2] for p in points], "-o", markersize=3, color=COLOURS[3], label="误拒率 false_refusal_rate"
    )
    for threshold, _, _, configured in points:
        if configured:
            sweep.axvline(threshold, color="#9ca3af", linestyle="--", linewidth=1)
    sweep.set_xlabel("拒答阈值 answer.refusal_threshold（虚线为当前设置）")
    sweep.set_ylim(-0.03, 1.05)
    sweep.set_title("随阈值变化", fontsize=10)
    sweep.legend(fontsize=8)
    sweep.grid(alpha=0.3)
    return _png(figure)
