"""Nothing lost: an ingest killed at any point leaves the index exactly as before or exactly as after,
and an answer being built never sees half of a write.

Each trial copies an index of two small documents, then runs `python -m rag ingest` in a child
process that changes one document, keeps one and adds one, and kills that child (SIGKILL) at one
point: while it stages the batch, right after it commits it, between and inside the store writes,
or at a random moment. Opening the index afterwards must show the whole "before" or the whole
"after" (Chroma's chunks and documents, the keyword index, the kept originals); a re-run must finish
the job. States are read from Chroma directly, not through the code under test.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import chromadb
import pytest
from conftest import PLANS, PROJECT, make_settings
from test_index import CHENGZI, NEIZI, excerpt, stored_ids

from rag.api import PlanQA
from rag.settings import Settings
from rag.store.library import Library

QIJIANG = PLANS / "qijiang-wansheng-2021.txt"
CHRONICLES = PROJECT / "data" / "devcorpus" / "docs" / "local-chronicles-tiaoli-2006.txt"  # not bundled
HARNESS = Path(__file__).with_name("crash_ingest.py")
# Writes of the batch below (1 changed + 1 new document): the journal stages vectors, original and
# record per document, then the commit marker (7 files); the store deletes old chunks, upserts
# chunks, upserts the document and bumps the version per document (4 calls each).
JOURNAL_WRITES = 7
RANDOM_KILLS = 1
SEED = 20261125


def state(settings: Settings) -> tuple:
    """Everything an ingest changes, read from Chroma and the uploads folder without PlanQA's code."""
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    chunks = client.get_collection(settings.collection_name).get(include=["documents"])
    documents = client.get_collection(f"{settings.collection_name}-docs").get(include=["metadatas"])
    uploads = settings.uploads_dir
    return (
        frozenset(zip(chunks["ids"], chunks["documents"])),
        frozenset((i, m["sha256"]) for i, m in zip(documents["ids"], documents["metadatas"])),
        frozenset((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in uploads.iterdir())
        if uploads.exists()
        else frozenset(),
    )


def run_ingest(home: Path, folder: Path, where: str = "none", nth: int = 0) -> subprocess.Popen:
    env = {**os.environ, "PLANQA_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT)}
    return subprocess.Popen(
        [sys.executable, str(HARNESS), where, str(nth), "ingest", str(folder)],
        env=env,
        cwd=home.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 'before' index (cz, nz), the folder of the batch (cz changed, nz kept, qj new), and the
    'after' state and duration of that batch run to the end in a child process."""
    root = tmp_path_factory.mktemp("crash")
    first, batch = root / "first", root / "batch"
    excerpt(CHENGZI, [35, *range(41, 51)], first / "cz.txt")
    excerpt(NEIZI, range(22, 33), first / "nz.txt")
    shutil.copytree(first, batch)
    excerpt(CHENGZI, [35, *range(41, 51)], batch / "cz.txt", edit=("成都", "成都市"))
    excerpt(QIJIANG, range(36, 50), batch / "qj.txt")
    before_home = root / "before"
    assert not Library(make_settings(before_home)).ingest([first]).failed
    after_home = root / "after"
    shutil.copytree(before_home, after_home)
    started = time.perf_counter()
    child = run_ingest(after_home, batch)
    _, errors = child.communicate(timeout=300)
    assert child.returncode == 0, errors
    return {
        "root": root,
        "batch": batch,
        "before_home": before_home,
        "before": state(make_settings(before_home)),
        "after": state(make_settings(after_home)),
        "seconds": time.perf_counter() - started,
    }


def killed_copy(scenario: dict, name: str) -> Settings:
    home = scenario["root"] / name
    shutil.copytree(scenario["before_home"], home)
    return make_settings(home)


def assert_whole(settings: Settings, scenario: dict) -> str:
    """Opening the index shows exactly 'before' or 'after', in the store and the keyword index alike."""
    catalogue = Library(settings).catalogue()  # what any reader does first
    now = state(settings)
    assert now in (scenario["before"], scenario["after"]), "the index is half written"
    assert {a.chunk_id for a in catalogue.articles} == {chunk_id for chunk_id, _ in now[0]}
    assert not (settings.home / "journal" / "COMMITTED").exists()  # (an uncommitted batch waits for the next writer)
    return "before" if now == scenario["before"] else "after"


def assert_rerun_finishes(settings: Settings, scenario: dict) -> None:
    report = Library(settings).ingest([scenario["batch"]])
    assert not report.failed
    assert state(settings) == scenario["after"]
    assert not (settings.home / "journal").exists()


def test_the_batch_changes_every_part_of_the_state(scenario: dict) -> None:
    before, after = scenario["before"], scenario["after"]
    assert all(b != a for b, a in zip(before, after))  # chunks, documents and originals all change


@pytest.mark.parametrize(("nth", "expected"), [(4, "before"), (JOURNAL_WRITES, "after")])
def test_killed_while_staging_or_right_after_commit(scenario: dict, nth: int, expected: str) -> None:
    settings = killed_copy(scenario, f"journal-{nth}")
    child = run_ingest(settings.home, scenario["batch"], "journal", nth)
    child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL
    assert assert_whole(settings, scenario) == expected
    assert_rerun_finishes(settings, scenario)


@pytest.mark.parametrize("nth", [1, 4, 6])  # inside the first document, between the two, inside the second
def test_killed_between_or_inside_the_store_writes(scenario: dict, nth: int) -> None:
    settings = killed_copy(scenario, f"chroma-{nth}")
    child = run_ingest(settings.home, scenario["batch"], "chroma", nth)
    child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL
    assert state(settings) not in (scenario["before"], scenario["after"])  # Chroma alone is left half written
    assert assert_whole(settings, scenario) == "after"  # committed: the next opener finishes it
    assert_rerun_finishes(settings, scenario)


def test_killed_at_random_moments(scenario: dict) -> None:
    chooser = random.Random(SEED)
    for trial in range(RANDOM_KILLS):
        settings = killed_copy(scenario, f"random-{trial}")
        child = run_ingest(settings.home, scenario["batch"])
        time.sleep(chooser.uniform(0.2, scenario["seconds"]))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=300)
        assert_whole(settings, scenario)
        assert_rerun_finishes(settings, scenario)


def test_a_delete_killed_midway_is_finished_by_the_next_opener(scenario: dict, tmp_path: Path) -> None:
    settings = killed_copy(scenario, "delete")
    child = subprocess.run(
        [sys.executable, str(HARNESS), "chroma", "1", "delete", "cz"],
        env={**os.environ, "PLANQA_HOME": str(settings.home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL
    index = Library(settings)
    assert {a.doc_id for a in index.catalogue().articles} == {"nz"}
    chunks, documents, uploads = state(settings)
    assert {i for i, _ in documents} == {"nz"}
    assert {chunk_id for chunk_id, _ in chunks} == stored_ids(make_settings(scenario["before_home"]), "nz")
    assert {name for name, _ in uploads} == {"nz.txt"}


def test_two_ingests_at_once_leave_one_whole_result(scenario: dict) -> None:
    settings = killed_copy(scenario, "two-writers")
    children = [run_ingest(settings.home, scenario["batch"]) for _ in range(2)]
    outputs = [child.communicate(timeout=300) for child in children]
    codes = sorted(child.returncode for child in children)
    busy = [errors for (_, errors), child in zip(outputs, children) if child.returncode == 1]
    if codes == [0, 1]:  # the usual case: the second found the first still writing
        assert "another PlanQA process is writing to" in busy[0]
        assert "wait for it to finish" in busy[0]
        assert "Traceback" not in busy[0]
    else:  # the second started after the first had finished: it found nothing to do
        assert codes == [0, 0]
        assert sum("unchanged" in out and "added" not in out for out, _ in outputs) == 1
    assert state(settings) == scenario["after"]


def test_a_write_lands_between_answers_never_inside_one(home_copy: Path, tmp_path: Path) -> None:
    """An answer reads one index state: a write that is ready while an answer is being built waits
    for it, and the answer is what it would have been without the write."""
    planqa = PlanQA(make_settings(home_copy), build=False)
    question = "内江和自贡离得有多远？"
    reference = planqa.ask(question).to_json()
    inside, release = threading.Event(), threading.Event()
    search = planqa.retriever.search

    def paused_search(*args, **kwargs):  # the answer has read the question and is about to search
        inside.set()
        assert release.wait(120)
        return search(*args, **kwargs)

    planqa.retriever.search = paused_search
    answers: list[dict] = []
    reader = threading.Thread(target=lambda: answers.append(planqa.ask(question).to_json()))
    reader.start()
    assert inside.wait(60)
    new_plan = tmp_path / "new" / "chronicles.txt"  # not a bundled plan's excerpt: that would take its title
    new_plan.parent.mkdir()
    shutil.copy(CHRONICLES, new_plan)
    writer = threading.Thread(target=planqa.ingest, args=([new_plan],))
    writer.start()
    deadline = time.monotonic() + 120
    while not (home_copy / "journal" / "COMMITTED").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the writer has parsed and embedded the file and committed the batch...
    time.sleep(0.5)
    assert "chronicles" not in {d.doc_id for d in planqa.index.store.documents()}  # ...but waits to apply it
    release.set()
    reader.join(60)
    writer.join(120)
    assert not writer.is_alive()
    assert {k: v for k, v in answers[0].items() if k != "latency_ms"} == {
        k: v for k, v in reference.items() if k != "latency_ms"
    }
    assert "chronicles" in {d.doc_id for d in planqa.index.store.documents()}


# -- an upload killed midway (issue 14, item 9) ------------------------------------------------------
UNCLEAN_NAME = "綦江 万盛<副本>.txt"  # kept as 綦江 万盛_副本.txt (no characters Windows forbids)
KEPT_NAME = "綦江 万盛_副本.txt"


@pytest.mark.parametrize(
    ("where", "nth", "expected"),
    [("journal", 1, "before"), ("journal", 2, "before"), ("journal", 4, "after"), ("chroma", 2, "after")],
    ids=["vectors-staged", "original-staged", "committed", "applying"],
)
def test_an_upload_killed_midway_leaves_its_original_exactly_where_its_document_is(
    scenario: dict, tmp_path: Path, where: str, nth: int, expected: str
) -> None:
    """The original is copied, under its cleaned name, into the batch and reaches uploads/ with it: a kill
    before the commit leaves no original that is in neither the index nor the document list (which made a
    second upload a "duplicate" and the next CLI ingest add it silently); a kill after it, both."""
    settings = killed_copy(scenario, f"upload-{where}-{nth}")
    upload = excerpt(QIJIANG, range(36, 50), tmp_path / "from-the-browser" / UNCLEAN_NAME)
    child = run_ingest(settings.home, upload, where, nth)  # 1 document: vectors, original, record, commit marker
    child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL
    indexed = {d.doc_id: d.doc_file for d in Library(settings).catalogue().documents}  # the opener recovers
    kept = {p.name for p in settings.uploads_dir.iterdir()} - {"cz.txt", "nz.txt"}
    assert (kept, KEPT_NAME in indexed.values()) == (({KEPT_NAME}, True) if expected == "after" else (set(), False))
    report = Library(settings).ingest([upload])  # uploading it again
    assert [f.status for f in report.files] == (["unchanged"] if expected == "after" else ["added"])
    assert {p.name for p in settings.uploads_dir.iterdir()} - {"cz.txt", "nz.txt"} == {KEPT_NAME}
    assert KEPT_NAME in {d.doc_file for d in Library(settings).store.documents()}
