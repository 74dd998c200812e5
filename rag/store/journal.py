"""A redo log that makes each write to the index all-or-nothing, even when the process is killed.

Chroma has no transaction across calls: a process killed between deleting a document's old chunks
and writing its new ones, or between two files of one ingest, would leave the index half changed.
So a writer first stages everything it will change (documents with their chunks and vectors,
deletions, a reset, the originals to keep) in `PLANQA_HOME/journal/`, then marks the batch
committed by an atomic rename, applies it to the store and removes it. Whoever holds the write lock
next finds any batch left behind: a committed one is applied again (every step is idempotent:
replacing a document deletes its old chunks first), an uncommitted one is thrown away. The store
ends exactly as before the batch or exactly as after it.

A file from outside the data folders (an upload, a CLI path) is copied into the batch under the name
it will be kept under (`kept_name`) and read from there, so its copy in `uploads/` appears only when
the batch is applied: a writer killed before the commit leaves no original that is in neither the index
nor the document list (issue 14, item 9).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from ingest.records import Article, Document
from rag.store.chroma import ArticleStore

COMMITTED = "COMMITTED"  # marker file: its presence means the batch must be applied
INCOMING = "incoming"  # folder of the batch: originals from outside, under the names they will be kept under
MAX_NAME_BYTES = 180  # of a kept original's name: under every file system's 255 (CJK takes 3 bytes a character)
MAX_SUFFIX_CHARS = 10
# Lone surrogates stand for the bytes of a name that were not UTF-8 (`\udcff` for b"\xff").
_UNSAFE_NAME_CHARS = re.compile(
    r'[\x00-\x1f\x7f-\x9f<>:"|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]+'
)
# Names Windows keeps for devices, whatever follows their first dot: "CON.txt" and "nul.md" open a device there.
_DEVICE_NAME = re.compile(r"(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)", re.IGNORECASE)


def kept_name(name: str) -> str:
    """The name an original is kept under in uploads/: its last path part (after / or \\), without
    control characters or characters Windows forbids, not hidden (no leading dot), and short enough for
    any file system (`MAX_NAME_BYTES` of UTF-8), never a Windows device. `..\\evil.txt` → `evil.txt`,
    `CON.txt` → `_CON.txt`."""
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).rstrip(" .")  # Windows drops trailing dots and spaces
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = (dot + suffix)[:MAX_SUFFIX_CHARS]
    budget = MAX_NAME_BYTES - len(suffix.encode())
    stem = stem.strip(" ._").encode()[:budget].decode(errors="ignore").strip(" ._") or "upload"
    if _DEVICE_NAME.fullmatch(stem.partition(".")[0].rstrip(" ")):
        stem = "_" + stem.encode()[: budget - 1].decode(errors="ignore")
    return stem + suffix


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `path` so that it is either absent or complete, even across a crash."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class StepKind(StrEnum):
    """What one staged step does to the store (its "kind" in the step's JSON)."""

    RESET = "reset"  # drop both collections
    REPLACE = "replace"  # put a document in, its old chunks out
    DELETE = "delete"  # take a document and its chunks out


@dataclass(frozen=True)
class Step:
    """One staged change: a reset, a document to replace, or a document to delete."""

    path: Path  # step-NNNNNN.json; a replace keeps its vectors (.npy) and original (.original) beside it
    record: dict

    @property
    def kind(self) -> StepKind:
        return StepKind(self.record["kind"])

    def document(self) -> tuple[Document, list[Article], np.ndarray]:
        articles = [Article.from_metadata(a["text"], a["metadata"]) for a in self.record["articles"]]
        return Document(**self.record["document"]), articles, np.load(self.path.with_suffix(".npy"))

    def keep_original(self, uploads: Path) -> None:
        """Put the staged original file into uploads, whole or not at all."""
        if not self.record["original"]:
            return
        uploads.mkdir(parents=True, exist_ok=True)
        target = uploads / self.record["original"]
        temporary = target.with_name(target.name + ".tmp")
        shutil.copyfile(self.path.with_suffix(".original"), temporary)
        os.replace(temporary, target)

    def drop_original(self, uploads: Path) -> None:
        if self.record["original"]:
            (uploads / self.record["original"]).unlink(missing_ok=True)


class Journal:
    """The staged batch of one PLANQA_HOME; use only while holding its write lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # -- staging -------------------------------------------------------------------------------
    def begin(self) -> None:
        """Start an empty batch (whatever an earlier writer left must have been recovered first)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)

    def stage_incoming(self, source: Path, name: str) -> Path:
        """Copy a file from outside into the batch as `name` (a `kept_name`); it is read from there and
        kept in uploads/ only if the batch is applied. Two files of one name in one batch: the later wins."""
        folder = self.folder / INCOMING
        folder.mkdir(exist_ok=True)
        target = folder / name
        shutil.copyfile(source, target)
        return target

    def stage_reset(self) -> None:
        self._stage(StepKind.RESET, {"original": ""})

    def stage_replace(
        self, document: Document, articles: list[Article], vectors: np.ndarray, original: Path | None = None
    ) -> None:
        """Stage a document with its chunks and vectors; `original` is copied into uploads on apply."""
        step = self._next_path()
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        _write_atomically(step.with_suffix(".npy"), buffer.getvalue())
        if original is not None:
            _write_atomically(step.with_suffix(".original"), original.read_bytes())
        fields = asdict(document)
        self._stage(
            StepKind.REPLACE,
            {
                "document": fields,
                "articles": [{"text": a.text, "metadata": a.metadata()} for a in articles],
                "original": original.name if original is not None else "",
            },
            step,
        )

    def stage_delete(self, doc_id: str, original: str = "") -> None:
        self._stage(StepKind.DELETE, {"doc_id": doc_id, "original": original})

    def commit(self) -> None:
        """From here on the batch will be applied, by this process or by the next writer."""
        _sync_folder(self.folder)
        _write_atomically(self.folder / COMMITTED, b"")
        _sync_folder(self.folder)

    # -- applying ------------------------------------------------------------------------------
    def pending(self) -> bool:
        """True when a committed batch has not been applied to the end."""
        return (self.folder / COMMITTED).exists()

    def recover(self, store: ArticleStore, uploads: Path) -> bool:
        """Finish a committed batch left behind, or discard an uncommitted one; True if one was applied."""
        if not self.folder.exists():
            return False
        applied = self.pending()
        if applied:
            self.apply(store, uploads)
        shutil.rmtree(self.folder, ignore_errors=True)
        return applied

    def apply(self, store: ArticleStore, uploads: Path) -> None:
        """Carry out every step of the committed batch, in order, then remove it."""
        for step in self._steps():
            if step.kind == StepKind.RESET:
                store.reset()
            elif step.kind == StepKind.REPLACE:
                store.replace_document(*step.document())
                step.keep_original(uploads)
            elif step.kind == StepKind.DELETE:
                store.delete_document(step.record["doc_id"])
                step.drop_original(uploads)
        (self.folder / COMMITTED).unlink()  # first, so a batch half removed is never applied again
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- files ---------------------------------------------------------------------------------
    def _steps(self) -> Iterator[Step]:
        for path in sorted(self.folder.glob("step-*.json")):
            yield Step(path, json.loads(path.read_text(encoding="utf-8")))

    def _next_path(self) -> Path:
        return self.folder / f"step-{len(list(self.folder.glob('step-*.json'))):06d}.json"

    def _stage(self, kind: StepKind, record: dict, path: Path | None = None) -> None:
        path = path or self._next_path()
        data = json.dumps({"kind": kind, **record}, ensure_ascii=False).encode("utf-8")
        _write_atomically(path, data)
