"""The command line: `python -m rag ingest | ask | serve`. Each command's docstring is its help."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.loaders import IngestError
from rag.answer.llm import LLMError
from rag.api import PlanQA, UnknownDocument
from rag.query.checks import QuestionError, check_question
from rag.records import Answer
from rag.settings import Settings
from rag.store.disk import StorageError, raising_storage_errors
from rag.store.library import FileStatus, IngestReport, Library, WriterBusy

err = Console(stderr=True)
USER_ERRORS = (QuestionError, UnknownDocument, IngestError, WriterBusy, LLMError, StorageError)


def printable(text: str) -> str:
    """`text` as it can be printed: a lone surrogate (a byte of a file name or argument that was not
    UTF-8) is shown as `\\udcff` rather than stopping the output with an encoding error."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _fail(error: Exception) -> None:
    """One line on stderr; the message is printed as written (a "[/x]" in a --doc value is no markup)."""
    err.print(f"[red]error:[/red] {escape(printable(str(error)))}", soft_wrap=True)
    sys.exit(1 if isinstance(error, (WriterBusy, StorageError)) else 2)


@contextmanager
def storage_errors_in_one_line(home: Path) -> Iterator[None]:
    """A full disk or a read-only PLANQA_HOME ends the command with one line (rag/store/disk.py)."""
    try:
        with raising_storage_errors(home):
            yield
    except StorageError as error:
        _fail(error)


class ProgressBars:
    """Rich progress bars on stderr, fed by (what, done, total) callbacks; one bar per `key(what)`."""

    def __init__(self, key: Callable[[str], str] = lambda what: what) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        )
        self._key = key
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        label = self._key(what)
        if label not in self._tasks:
            self._tasks[label] = self.progress.add_task(label, total=total)
        self.progress.update(self._tasks[label], completed=done, total=total)

    def __enter__(self) -> ProgressBars:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)


def _ingest_bars() -> ProgressBars:
    """Index progress: one bar for the files, one for the articles being embedded."""
    return ProgressBars(lambda what: "embedding articles" if what == "embedding" else "files")


def print_report(report: IngestReport, console: Console) -> None:
    """The summary table after an ingest, then how many files were skipped and one line for each:
    "skipped <file>: <why>; <what to do>" (not wrapped, so each stays one line to grep)."""
    table = Table(title="PlanQA ingest")
    for column in ("file", "status", "document", "articles", "tokens", "seconds"):
        table.add_column(column, justify="right" if column in ("articles", "tokens", "seconds") else "left")
    for row in report.files:
        table.add_row(
            escape(printable(row.file)),
            str(row.status) if row.status != FileStatus.FAILED else "[red]skipped[/red]",
            escape(printable(row.title)),
            str(row.articles or ""),
            str(row.tokens or ""),
            f"{row.seconds:.1f}",
        )
    documents = sum(1 for f in report.files if f.status in (FileStatus.ADDED, FileStatus.UPDATED))
    unchanged = sum(1 for f in report.files if f.status == FileStatus.UNCHANGED)
    if report.changed:
        table.caption = (
            f"{documents} documents indexed, {sum(f.articles for f in report.files)} articles, "
            f"{sum(f.tokens for f in report.files):,} tokens in {report.seconds:.1f} s"
        )
    else:
        table.caption = f"nothing changed ({unchanged} files already indexed)"
    console.print(table)
    if report.failed:
        skipped = f"{len(report.failed)} of {len(report.files)} files skipped"
        console.print(f"[red]{skipped}[/red] (not indexed):", soft_wrap=True)
    for row in report.failed:
        console.print(f"[red]skipped[/red] {escape(printable(row.error))}", highlight=False, soft_wrap=True)


def load_settings(home: Path | None = None) -> Settings:
    """Settings from PLANQA_* (and `.env`), `home` overriding PLANQA_HOME. Invalid values exit 2 with
    one line per variable, naming it and never echoing its value (it may be a key)."""
    try:
        settings = Settings()
    except ValidationError as error:
        for problem in error.errors(include_input=False, include_url=False):
            variable = "PLANQA_" + "__".join(map(str, problem["loc"])).upper()
            err.print(f"[red]configuration error:[/red] {escape(variable)}: {escape(problem['msg'])}", soft_wrap=True)
        sys.exit(2)
    return settings.model_copy(update={"home": home}) if home else settings


@click.group()
@click.option("--home", type=click.Path(path_type=Path), help="Data folder (default: PLANQA_HOME or var/).")
@click.pass_context
def main(context: click.Context, home: Path | None) -> None:
    """PlanQA: answers about Chinese government plans, every claim cited to its clause."""
    context.obj = load_settings(home)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--reset", is_flag=True, help="Drop the index first and rebuild it from the files.")
@click.pass_obj
def ingest(settings: Settings, paths: tuple[Path, ...], reset: bool) -> None:
    """Index files or folders (default: the bundled plans and uploaded files). Unchanged files are
    left as they are; a changed file replaces all its old articles; a file that cannot be read is
    skipped with a line saying why and what to do (the exit status is then 1)."""
    try:
        with storage_errors_in_one_line(settings.home):
            index = Library(settings)
            targets = list(paths) or index.default_paths()
            with _ingest_bars() as bar:
                report = index.ingest(targets, reset=reset, progress=bar)
    except (WriterBusy, StorageError) as error:
        _fail(error)
    print_report(report, Console())
    if report.failed:
        sys.exit(1)


def open_planqa(settings: Settings) -> PlanQA:
    """PlanQA for a command line (`ask`, the app's `python -m ui`): builds the index on first use, with
    a progress bar. A full disk or a read-only PLANQA_HOME ends the process with one line."""
    with storage_errors_in_one_line(settings.home):
        index = Library(settings)
        if index.is_empty():
            err.print("No index yet: building it from the bundled plans (first run only)…")
            with _ingest_bars() as bar:
                report = index.ensure_built(progress=bar)
            if report:
                print_report(report, err)
    return PlanQA(settings, index=index, build=False)


def _print_answer(answer: Answer, console: Console) -> None:
    console.print(answer.text, markup=False, highlight=False)
    if answer.citations:
        console.print("\n可能相关：" if answer.refused else "\n来源：")
        for citation in answer.citations:
            console.print(f"[{citation.n}] {citation.label}", markup=False, highlight=False)
    if answer.unsupported:
        console.print("\n[yellow]未能在引用条款中核实：[/yellow]")
        for sentence in answer.unsupported:
            console.print(f"  - {sentence}", markup=False, highlight=False)


def _dump(answer: Answer) -> str:
    return json_line(answer.to_json())


def json_line(data: object) -> str:
    """One JSON object on one line, Chinese as written; a lone surrogate (an input byte that was not
    UTF-8, which no output encoding takes) written as `\\udcff`."""
    line = json.dumps(data, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data)
    return line


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option("--k", type=int, default=None, help="Articles retrieved (default 10).")
@click.option("--doc", default=None, help="Only this document (title, short name like 川南渝西, or id).")
@click.option(
    "--jsonl",
    "jsonl",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer every {id, question} line of this file.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --jsonl: write answers here (default: standard output).",
)
@click.pass_obj
def ask(
    settings: Settings,
    question: str | None,
    as_json: bool,
    k: int | None,
    doc: str | None,
    jsonl: Path | None,
    out: Path | None,
) -> None:
    """Answer a question, or a file of questions with --jsonl (one model load for all)."""
    if (question is None) == (jsonl is None):
        _fail(click.UsageError("give a question, or --jsonl FILE"))
    if question is not None:
        try:  # before the index and models are loaded: a bad question is told at once
            check_question(question, settings.answer.max_question_chars)
        except QuestionError as error:
            _fail(error)
    planqa = open_planqa(settings)
    if question is not None:
        try:
            with storage_errors_in_one_line(settings.home):
                answer = planqa.ask(question, k=k, doc=doc)
        except USER_ERRORS as error:
            _fail(error)
        if as_json:
            click.echo(_dump(answer))
        else:
            _print_answer(answer, Console())
        return
    if jsonl is not None:
        with storage_errors_in_one_line(settings.home):
            _ask_file(planqa, jsonl, out, k, doc)


def _ask_file(planqa: PlanQA, source: Path, out: Path | None, k: int | None, doc: str | None) -> None:
    """One JSON answer per input line; a bad line gets an {"id", "error"} object, not an abort."""
    try:
        lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError as error:
        _fail(ValueError(f"{source.name} is not UTF-8 text (byte {error.start}); save it as UTF-8 and try again"))
    sink = open(out, "w", encoding="utf-8") if out else sys.stdout
    failures = 0
    try:
        with ProgressBars() as bar:
            for number, line in enumerate(lines, start=1):
                bar("questions", number - 1, len(lines))
                try:
                    item = json.loads(line)
                    answer = planqa.ask(item.get("question"), k=k, doc=doc, id=item.get("id", number))
                    sink.write(_dump(answer) + "\n")
                except (json.JSONDecodeError, AttributeError) as error:
                    failures += 1
                    sink.write(
                        json_line({"id": number, "error": f"line {number} is not a JSON object: {error}"}) + "\n"
                    )
                except USER_ERRORS as error:
                    failures += 1
                    sink.write(
                        json_line({"id": item.get("id", number), "question": item.get("question"), "error": str(error)})
                        + "\n"
                    )
                sink.flush()
            bar("questions", len(lines), len(lines))
    finally:
        if out:
            sink.close()
    if failures:
        err.print(f'[yellow]{failures} of {len(lines)} lines could not be answered (see their "error")[/yellow]')


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Start the Gradio app (builds the index first if there is none). The same as `python -m ui`:
    this process becomes that one, so the core never imports its screen."""
    args = [sys.executable, "-m", "ui", "--home", str(settings.home)]
    args += ["--host", host] if host else []
    args += ["--port", str(port)] if port else []
    os.execv(sys.executable, args)
