"""The Chroma server path (DESIGN.md, Scale): with `store.chroma_url` set, ingest and answers go
through a real `chroma run` on loopback, and the index lives on the server, not in PLANQA_HOME."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from conftest import PLANS, free_port, make_settings

from rag.api import PlanQA
from rag.settings import Settings
from rag.store.library import Library

CHROMA = Path(sys.executable).with_name("chroma")
SERVER_START_S = 30  # `chroma run` answers its heartbeat within a second or two when idle
NEIZI = "内江自贡同城化发展总体方案"
CHENGZI = "成资同城化发展2023年工作要点"
# Two plans cut after their first chapters (内自 through 二、基础条件, 成资 through its chapter 一), so
# the ingest embeds a dozen articles, not a hundred; the text is the plans' own.
CUT_DOWNS = {"neizi-tongchenghua-2021.txt": 43, "chengzi-gongzuo-yaodian-2023.txt": 54}  # lines kept

pytestmark = pytest.mark.skipif(
    not CHROMA.exists(), reason=f"no `chroma` executable at {CHROMA} (it is installed with chromadb)"
)


def wait_for_heartbeat(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"chroma run did not answer {url}/api/v2/heartbeat within {SERVER_START_S} s")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on a free loopback port, over a temporary folder; stopped afterwards."""
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = folder / "chroma.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(folder / "data"), "--port", str(port), "--host", "127.0.0.1"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("two-plans")
    for name, lines in CUT_DOWNS.items():
        text = "\n".join((PLANS / name).read_text(encoding="utf-8").splitlines()[:lines])
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return sorted(folder.iterdir())


@pytest.fixture(scope="module")
def server_settings(chroma_url: str, two_plans: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Two plans ingested into the server (their home folder only keeps the write lock and uploads)."""
    settings = make_settings(tmp_path_factory.mktemp("server-home"), store={"chroma_url": chroma_url})
    report = Library(settings).ingest(two_plans)
    assert [f.status for f in report.files] == ["added", "added"], report.files
    return settings


@pytest.fixture(scope="module")
def server_client(chroma_url: str) -> chromadb.api.ClientAPI:
    port = int(chroma_url.rsplit(":", 1)[1])
    return chromadb.HttpClient(host="127.0.0.1", port=port, settings=chromadb.Settings(anonymized_telemetry=False))


def test_an_answer_through_the_server_cites_the_distance_clause(server_settings: Settings) -> None:
    answer = PlanQA(server_settings, build=False).ask("内江和自贡离得有多远？")
    assert not answer.refused
    assert [(c.article.doc_title, c.article.clause_ref) for c in answer.citations] == [(NEIZI, "二、（一）")]
    assert "两市中心城区直线距离仅28公里" in answer.text


def test_the_collections_live_on_the_server(server_settings: Settings, server_client) -> None:
    name = server_settings.collection_name
    assert {c.name for c in server_client.list_collections()} == {name, f"{name}-docs"}
    documents = server_client.get_collection(f"{name}-docs").get(include=["metadatas"])
    assert sorted(m["title"] for m in documents["metadatas"]) == sorted([NEIZI, CHENGZI])


def test_the_server_holds_every_chunk_and_the_home_holds_none(server_settings: Settings, server_client) -> None:
    index = Library(server_settings)
    chunks = len(index.catalogue().articles)
    assert chunks > 0
    assert server_client.get_collection(server_settings.collection_name).count() == chunks
    assert not server_settings.chroma_dir.exists()


def test_a_second_ingest_of_the_same_files_through_the_server_changes_nothing(
    server_settings: Settings, two_plans: list[Path]
) -> None:
    report = Library(server_settings).ingest(two_plans)
    assert [f.status for f in report.files] == ["unchanged", "unchanged"]
