"""A full disk and a read-only PLANQA_HOME, told apart from other errors so each is one line a person
can act on, instead of Chroma's or the OS's traceback.

Both reach PlanQA in several shapes: an `OSError` from the journal (ENOSPC, EROFS), and Chroma's
`InternalError` carrying SQLite's code ("(code: 13) database or disk is full", "(code: 8) attempt to
write a readonly database"), raised already when the store is opened (Chroma writes on opening). The
index itself is safe either way: a write goes through the journal (rag/store/journal.py), so the
store keeps its last complete state, and a batch committed before the disk filled is applied by the
next writer.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# The same in the words of SQLite (SQLITE_FULL is code 13, SQLITE_READONLY code 8) and of Rust's io errors.
_FULL_WORDS = re.compile(r"\(code: 13\)|database or disk is full|No space left on device|os error (?:28|122)")
_READ_ONLY_WORDS = re.compile(r"\(code: 8\)|readonly database|Read-only file system|os error 30")


class StorageError(OSError):
    """PLANQA_HOME cannot be written: its disk is full, or it is read-only. The message is one line."""


def storage_error(error: BaseException, home: Path) -> StorageError | None:
    """The one-line error for `error` when it (or what caused it) is a full disk or a read-only
    `home`; None for any other error."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        number = cause.errno if isinstance(cause, OSError) else None
        if number in _FULL_ERRNOS or _FULL_WORDS.search(str(cause)):
            return StorageError(
                f"the disk holding {home} is full; free some space and try again "
                "(the index keeps its last complete state)",
            )
        if number in _READ_ONLY_ERRNOS or _READ_ONLY_WORDS.search(str(cause)):
            return StorageError(
                f"{home} is read-only, and PlanQA keeps its index there; make it writable or set "
                "PLANQA_HOME to a folder that is (the index keeps its last complete state)",
            )
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def raising_storage_errors(home: Path) -> Iterator[None]:
    """Inside, a full disk or a read-only `home` raises `StorageError` (from the original error)."""
    try:
        yield
    except Exception as error:
        problem = storage_error(error, home)
        if problem is None:
            raise
        raise problem from error
