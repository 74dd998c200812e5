"""The 评测 tab: the latest eval report's headline numbers, and a button that runs the suite.

The suite runs as a child process (`python -m eval`), as on the command line: the app never
imports `eval`, and a long run cannot block or crash the process serving the chat.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from rag.api import PlanQA
from rag.settings import PROJECT_DIR, Settings
from ui import render
from ui.access import WRITES_OFF, Access, AccessDenied, authorise, write_access
from ui.serving import EVAL, WriteGate

LOG_LINES = 40  # tail of the run's output shown while it runs
POLL_S = 0.5  # how often the page hears from a running suite
LOG_COLUMNS = 150  # width the suite's tables and bars are drawn for: its widest table, unwrapped (eval.cli.PIPE_WIDTH)
_COUNT = re.compile(r"(\d+)/(\d+)\s+\d+:\d{2}:\d{2}")  # rich: "… 12/162 0:00:05"
_BAR = re.compile(r"[\u2500-\u257f]+")  # rich draws bars with box-drawing characters
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]")  # cursor moves, line clears
NO_REPORT = (
    "还没有评测报告。点击“运行评测”在本机生成（逐题回答全部评测问题，需要几分钟），或在命令行运行 python -m eval。"
)


def reports_dir_of(settings: Settings) -> Path:
    """Where the tab's suite writes and the tab reads: PLANQA_HOME/reports (the install folder may be
    read-only, and two homes never share anything)."""
    return settings.home / "reports"


def report_html(reports_dir: Path) -> str:
    """The tables of `latest.json`, or a friendly note when there is none (or it cannot be read)."""
    path = reports_dir / "latest.json"
    if not path.is_file():
        return render.notice(NO_REPORT, "info")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return render.notice(f"评测报告无法读取（{path.name}）：{error}", "error")
    if not isinstance(report, dict) or not isinstance(report.get("summary"), dict):
        return render.notice(f"评测报告格式不对（{path.name} 中没有 summary）。", "error")
    written = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return render.eval_tables(report, f"reports/{path.name}（{written} 写入）")


def default_command(reports_dir: Path, home: Path) -> list[str]:
    """The suite on this app's index, writing where the tab reads."""
    return [sys.executable, "-m", "eval", "--out", str(reports_dir), "--home", str(home)]


def suite_environment() -> dict[str, str]:
    """The app's environment, plus what makes the suite's rich progress bars print through a pipe
    (as plain redrawn lines, no colours) and its output arrive unbuffered."""
    return dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        TTY_COMPATIBLE="1",
        TTY_INTERACTIVE="1",
        NO_COLOR="1",
        COLUMNS=str(LOG_COLUMNS),
    )


def run_suite(command: Sequence[str], env: dict[str, str], progress: Any = None) -> Iterator[tuple[str, int | None]]:
    """Run the suite, yielding (output so far, exit code once finished) every `POLL_S` seconds."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(process, lines), daemon=True)
    reader.start()
    log: list[str] = []
    try:
        while True:
            finished = process.poll() is not None and not reader.is_alive()
            while not lines.empty():
                add_line(log, lines.get())
            if progress is not None:
                _show_progress(progress, log, time.monotonic() - started)
            tail = "\n".join(log[-LOG_LINES:])
            if finished:
                yield tail, process.returncode
                return
            yield tail, None
            time.sleep(POLL_S)
    finally:  # the page went away mid-run: do not leave the suite running unseen
        if process.poll() is None:
            process.terminate()
            process.wait()


def _pump(process: subprocess.Popen, lines: queue.Queue) -> None:
    """Copy the child's output line by line, terminal control codes removed (a progress bar's
    redraws arrive as lines of their own; `add_line` folds them)."""
    assert process.stdout is not None
    for line in process.stdout:
        for piece in _CONTROL.sub("", line.rstrip("\n")).split("\r"):
            if piece.strip():
                lines.put(piece.rstrip())


def add_line(log: list[str], line: str) -> None:
    """Append `line`, or replace the previous line when both are redraws of one progress bar."""
    match = _COUNT.search(line)
    previous = _COUNT.search(log[-1]) if match and log else None
    if match and previous and _bar_name(log[-1], previous) == _bar_name(line, match):
        log[-1] = line
    else:
        log.append(line)


def _bar_name(line: str, count: re.Match) -> str:
    """The description in front of a progress bar ("PlanQA ━━━╸ 3/162 …" → "PlanQA"): the bar is drawn
    with box-drawing characters ("━", "╸", "╺")."""
    return _BAR.sub("", line[: count.start()]).strip()


def _show_progress(progress: Any, log: list[str], seconds: float) -> None:
    """A bar when the output shows "done/total", else the time spent so far."""
    for line in reversed(log[-5:]):
        if match := _COUNT.search(line):
            done, total = int(match[1]), int(match[2])
            if 0 < total and done <= total:
                progress((done, total), desc=f"评测中（已用 {seconds:.0f} 秒）", unit="题")
                return
    progress((int(seconds), None), desc=f"评测中（已用 {seconds:.0f} 秒）", unit="秒")


def build_eval_tab(
    planqa: PlanQA, gate: WriteGate, reports_dir: Path | None = None, command: Sequence[str] | None = None
) -> gr.HTML:
    """The report table (returned: the app re-reads the report on every page load) and, where
    writing is allowed, the button that runs the suite. `reports_dir`: PLANQA_HOME/reports unless given."""
    reports_dir = reports_dir or reports_dir_of(planqa.settings)
    command = list(command or default_command(reports_dir, planqa.settings.home))
    table = gr.HTML(report_html(reports_dir), elem_id="eval-report")
    if write_access(planqa.settings) is Access.OFF:
        gr.HTML(render.notice(WRITES_OFF, "warn"), elem_id="eval-off")
        return table
    with gr.Row(elem_classes="eval-actions"):
        password = gate.password_box(
            gr.Textbox(label="管理密码", type="password", max_lines=1, elem_id="eval-password", scale=2)
        )
        run = gr.Button("运行评测", variant="primary", elem_id="eval-run", scale=0, min_width=140)
        refresh = gr.Button("刷新表格", elem_id="eval-refresh", scale=0, min_width=110)
    status = gr.HTML("", elem_id="eval-status")
    with gr.Accordion("运行输出", open=False, elem_id="eval-log-box"):
        log = gr.Textbox(
            show_label=False, lines=12, max_lines=20, autoscroll=True, elem_id="eval-log", interactive=False
        )

    def do_run(secret: str | None, progress: gr.Progress = gr.Progress()) -> Iterator[tuple[Any, Any, Any]]:
        try:
            authorise(planqa.settings, secret)
        except AccessDenied as error:
            yield render.notice(str(error), "error"), gr.skip(), gr.skip()
            return
        env = suite_environment()
        yield render.notice("评测运行中……", "info"), "", gr.skip()
        code: int | None = None
        output = ""
        for output, code in run_suite(command, env, progress):
            if code is None:
                yield gr.skip(), output, gr.skip()
        if code == 0:
            yield render.notice("评测完成，表格已更新。", "ok"), output, report_html(reports_dir)
        else:
            yield (
                render.notice(f"评测未完成（退出码 {code}），详见运行输出。", "error"),
                output,
                report_html(reports_dir),
            )

    run.click(  # one progress bar, on the status line: the report and the log stay readable
        do_run,
        password,
        [status, log, table],
        show_progress_on=[status],
        api_visibility="private",
        concurrency_id=EVAL,
        concurrency_limit=1,
    )
    refresh.click(lambda: report_html(reports_dir), None, table, api_visibility="private")
    return table
