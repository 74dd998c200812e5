"""Runs the command line (`python -m rag …`) and kills its own process with SIGKILL at a chosen point.

    python tests/crash_ingest.py chroma 3 ingest FOLDER   # right after Chroma's 3rd write call
    python tests/crash_ingest.py journal 2 ingest FOLDER  # right after the journal's 2nd file write
    python tests/crash_ingest.py none 0 ingest FOLDER     # no injected kill (the test may kill it itself)
    python tests/crash_ingest.py chroma 1 delete DOC_ID   # Library.delete (the command line has no delete)

A test harness, not product code: it patches the write calls from outside, so the product runs
unchanged up to the instant it dies, as it would on a power cut or `kill -9`.
"""

from __future__ import annotations

import os
import signal
import sys
from functools import wraps

from chromadb.api.models.Collection import Collection

import rag.store.journal
from rag.cli import main
from rag.settings import Settings
from rag.store.library import Library

CHROMA_WRITES = ("upsert", "delete", "modify")


def dying_after(target, name: str, nth: int, counter: list[int]) -> None:
    """Make `target.name` kill the process right after its `nth` call (counted over all patched calls)."""
    original = getattr(target, name)

    @wraps(original)
    def call(*args, **kwargs):
        result = original(*args, **kwargs)
        counter[0] += 1
        if counter[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(target, name, call)


if __name__ == "__main__":
    where, nth, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    counter = [0]
    if where == "chroma":
        for method in CHROMA_WRITES:
            dying_after(Collection, method, nth, counter)
    elif where == "journal":
        dying_after(rag.store.journal, "_write_atomically", nth, counter)
    if command[0] == "delete":
        Library(Settings()).delete(command[1])
    else:
        main(command)
