"""Several processes over one PLANQA_HOME (issue 14, item 2): the app answers while `python -m rag ingest`,
or another process's delete, changes the index. The reader notices the write, reads the new state beside
the old one through a fresh Chroma client, and installs both between answers: no answer fails, the new
document is answerable within seconds, the deleted one is gone.

A second `Library` in this process has a Chroma client of its own, so its writes reach the first library
as another process's would (a local Chroma client never sees vectors written after it loaded them): the
fast tests write through one; the first test runs a real `python -m rag ingest` and a delete in child
processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from chromadb.errors import InternalError
from conftest import PLANS, PROJECT, make_settings
from test_index import CHENGZI, NEIZI, excerpt

from rag.api import PlanQA
from rag.settings import Settings
from rag.store.catalogue import Catalogue
from rag.store.chroma import ArticleStore
from rag.store.library import Library

HARNESS = Path(__file__).with_name("crash_ingest.py")
QUESTIONS = [
    "内江和自贡离得有多远？",
    "川南渝西融合发展的目标是什么",
    "綦江万盛一体化的重点任务",
    "地方志书每多少年编修一次？",
]
NEW_DOCUMENT = PROJECT / "data" / "devcorpus" / "docs" / "local-chronicles-tiaoli-2006.txt"  # not bundled
NEW_ID, NEW_QUESTION = "local-chronicles-tiaoli-2006", "地方志书每多少年编修一次？"
DELETED_ID, DELETED_QUESTION = "neizi-tongchenghua-2021", "内江和自贡离得有多远？"
SECONDS_TO_SEE_A_WRITE = 20  # after the writing process has ended (the reader checks every 2 s)
QIJIANG = PLANS / "qijiang-wansheng-2021.txt"


class Askers:
    """Threads asking questions through one PlanQA until stopped; every failure is kept."""

    def __init__(self, planqa: PlanQA, threads: int) -> None:
        self.planqa = planqa
        self.answered = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ask, args=(n,)) for n in range(threads)]

    def _ask(self, number: int) -> None:
        turn = number
        while not self._stop.is_set():
            question = QUESTIONS[turn % len(QUESTIONS)]
            turn += 1
            try:
                self.planqa.ask(question)
                self.answered += 1
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                self.errors.append(f"{question}: {type(error).__name__}: {error}")

    def check(self, condition: Callable[[], bool]) -> bool:
        """`condition()`, a failure of it counted as an error of the answers."""
        try:
            return condition()
        except Exception as error:  # noqa: BLE001
            self.errors.append(f"check: {type(error).__name__}: {error}")
            return False

    def __enter__(self) -> Askers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)


def eventually(condition: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until `condition()` held, or None when it did not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def cites(planqa: PlanQA, question: str, doc_id: str) -> bool:
    return any(c.article.doc_id == doc_id for c in planqa.ask(question).citations)


def other_process(home: Path, cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLANQA_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, *command], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def test_a_cli_ingest_and_a_delete_by_other_processes_break_no_answer(home_copy: Path, tmp_path: Path) -> None:
    planqa = PlanQA(make_settings(home_copy), build=False)
    new_document = tmp_path / "incoming" / NEW_DOCUMENT.name
    new_document.parent.mkdir()
    shutil.copy(NEW_DOCUMENT, new_document)
    assert not cites(planqa, NEW_QUESTION, NEW_ID) and cites(planqa, DELETED_QUESTION, DELETED_ID)
    with Askers(planqa, threads=2) as askers:
        ingest = other_process(home_copy, tmp_path, "-m", "rag", "ingest", str(new_document))
        assert ingest.returncode == 0, ingest.stderr
        seen = eventually(
            lambda: askers.check(lambda: cites(planqa, NEW_QUESTION, NEW_ID)),
            SECONDS_TO_SEE_A_WRITE,
        )
        delete = other_process(home_copy, tmp_path, str(HARNESS), "none", "0", "delete", DELETED_ID)
        assert delete.returncode == 0, delete.stderr
        gone = eventually(
            lambda: askers.check(
                lambda: (
                    DELETED_ID not in {d.doc_id for d in planqa.documents()}
                    and not cites(planqa, DELETED_QUESTION, DELETED_ID)
                )
            ),
            SECONDS_TO_SEE_A_WRITE,
        )
    assert askers.errors == []
    assert askers.answered >= 10
    assert seen is not None, "the new document never became answerable"
    assert gone is not None, "the deleted document is still cited"


# -- the same, written by a second library in this process: each protection alone ------------------
@pytest.fixture(scope="module")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of two small documents (成资's items 一、1. and 2., 内自's 前言 and 一、(一)–(三))."""
    root = tmp_path_factory.mktemp("second-writer")
    excerpt(CHENGZI, [35, *range(41, 51)], root / "docs" / "cz.txt")
    excerpt(NEIZI, range(22, 33), root / "docs" / "nz.txt")
    assert not Library(make_settings(root / "home")).ingest([root / "docs"]).failed
    return root / "home"


@pytest.fixture
def home(small_home: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(small_home, tmp_path / "home"))


@pytest.fixture
def new_plan(tmp_path: Path) -> Path:
    return excerpt(QIJIANG, range(36, 50), tmp_path / "new" / "qj.txt")


def quick(home: Path) -> Settings:
    """Settings of a reader that checks for other writers' changes every 0.1 s."""
    return make_settings(home, store={"version_check_s": 0.1})


def whole(catalogue: Catalogue) -> bool:
    """The catalogue's chunks and documents are of one state (no document without chunks, or the reverse)."""
    return {a.doc_id for a in catalogue.articles} == {d.doc_id for d in catalogue.documents}


def test_a_reader_answers_from_the_old_state_while_reading_the_new_one_fails(
    home: Path, new_plan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = PlanQA(quick(home), build=False)
    assert {d.doc_id for d in reader.documents()} == {"cz", "nz"}
    failures = [InternalError("Error executing plan: Internal error: Error finding id")]
    sample_vectors = ArticleStore.sample_vectors

    def flaky(store: ArticleStore, n: int) -> np.ndarray:
        if failures and threading.current_thread().name == "planqa-reload":
            raise failures.pop()
        return sample_vectors(store, n)

    monkeypatch.setattr(ArticleStore, "sample_vectors", flaky)
    Library(make_settings(home)).ingest([new_plan])
    answers = [reader.ask("内江和自贡离得有多远？") for _ in range(3)]  # the reload fails meanwhile, unseen
    assert all(answer.citations for answer in answers)
    assert eventually(lambda: "qj" in {d.doc_id for d in reader.documents()}, 10) is not None
    assert not failures  # the reload did fail once, and the next check read the new state


def test_a_state_read_while_a_write_landed_is_never_installed(
    home: Path, new_plan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = Library(quick(home))
    reader.catalogue()
    writer = Library(make_settings(home))
    writer.ingest([new_plan])
    installed: list[Catalogue] = []
    install = reader._install
    monkeypatch.setattr(
        reader, "_install", lambda catalogue, store: (installed.append(catalogue), install(catalogue, store))
    )
    documents, deleting = ArticleStore.documents, [True]

    def delete_meanwhile(store: ArticleStore) -> list:  # the reload has read the chunks; a delete lands
        if deleting and threading.current_thread().name == "planqa-reload":
            deleting.clear()
            assert writer.delete("nz")
        return documents(store)

    monkeypatch.setattr(ArticleStore, "documents", delete_meanwhile)
    assert eventually(lambda: {d.doc_id for d in reader.catalogue().documents} == {"cz", "qj"}, 10) is not None
    assert not deleting and installed
    assert all(whole(catalogue) for catalogue in installed)
    assert whole(reader.catalogue())


def test_a_filtered_dense_search_through_a_client_another_writer_outdated_finds_nothing_rather_than_failing(
    home: Path, new_plan: Path
) -> None:
    reader = Library(make_settings(home))
    vector = reader.embeddings.query_vector("綦江万盛一体化")
    assert reader.store.nearest(vector, 5, ["cz"])  # the reader's client has loaded the vectors
    Library(make_settings(home)).ingest([new_plan])
    assert reader.store.nearest(vector, 5, ["qj"]) == []  # Chroma: "Error finding id"; keywords still answer
    assert Library(make_settings(home)).store.nearest(vector, 5, ["qj"])  # a fresh client finds them


def test_a_write_after_another_process_reset_the_index_goes_through(home: Path, new_plan: Path) -> None:
    writer = Library(make_settings(home))
    writer.catalogue()
    Library(make_settings(home)).ingest([], reset=True)  # another process empties the index
    report = writer.ingest([new_plan])  # its client's collections were dropped by the reset
    assert [f.status for f in report.files] == ["added"]
    assert {d.doc_id for d in writer.catalogue().documents} == {"qj"}
    assert {d.doc_id for d in Library(make_settings(home)).catalogue().documents} == {"qj"}


def test_the_first_catalogue_is_read_again_after_a_transient_chroma_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = [InternalError("Error executing plan: Internal error: Error finding id")]
    sample_vectors = ArticleStore.sample_vectors

    def flaky(store: ArticleStore, n: int) -> np.ndarray:
        if failures:
            raise failures.pop()
        return sample_vectors(store, n)

    monkeypatch.setattr(ArticleStore, "sample_vectors", flaky)
    assert {d.doc_id for d in Library(make_settings(home)).catalogue().documents} == {"cz", "nz"}
    assert not failures
