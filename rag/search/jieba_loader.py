"""jieba for a fresh process, loaded in a third of its own time (issue 16: `python -m rag ask` is
started for one question, and jieba's two tables were half of that).

- The prefix dictionary: jieba reads its cache (`jieba.cache` in the temp folder) with
  `marshal.load(file)`, which asks the file for every object separately (1.0-1.3 s here); the same
  bytes read at once and given to `marshal.loads` take 0.35 s. Same file, same dictionary.
- The part-of-speech table: importing `jieba.posseg` parses all 349,046 lines of `dict.txt` in Python
  (0.4-0.7 s). The table is kept beside jieba's cache as marshal bytes (0.17 s to read), named by
  jieba's version and the dictionary's path, size and time, and made again when any of them changes.

With no cache (a first run, a read-only temp folder) jieba loads as it always did.
"""

from __future__ import annotations

import hashlib
import io
import logging
import marshal
import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import ModuleType

JIEBA_CACHE = "jieba.cache"  # jieba's own name for the default dictionary's cache
TAGS_CACHE = "planqa-jieba-tags-{key}.marshal"
log = logging.getLogger(__name__)
_loading = threading.Lock()  # posseg is imported with jieba's dictionary file hidden: once, by one thread


@lru_cache(maxsize=1)
def jieba_module() -> ModuleType:
    """jieba with its default dictionary loaded, quiet."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _loading:
        if not jieba.dt.initialized:
            _load_prefix_dictionary(jieba.dt)
            jieba.initialize()  # no cache, or a dictionary of the user's: jieba's own way
    return jieba


@lru_cache(maxsize=1)
def posseg_module() -> ModuleType:
    """`jieba.posseg` with its word → part-of-speech table, from the cache when there is one."""
    jieba = jieba_module()
    with _loading:
        if "jieba.posseg" in sys.modules:
            return sys.modules["jieba.posseg"]
        cache = _tags_cache(jieba)
        table = _read_tags(cache) if cache else None
        if table is None:
            import jieba.posseg as posseg

            if cache:
                _write_tags(cache, posseg.dt.word_tag_tab)
            return posseg
        with _dictionary_unread(jieba.dt):
            import jieba.posseg as posseg
        posseg.dt.word_tag_tab = table
        return posseg


def _load_prefix_dictionary(tokenizer) -> None:
    """jieba's prefix dictionary from jieba's own cache, read in one piece (the default dictionary
    only: jieba uses that cache for it without comparing times, and so does this)."""
    if tokenizer.dictionary is not None:
        return
    path = Path(tokenizer.tmp_dir or tempfile.gettempdir()) / (tokenizer.cache_file or JIEBA_CACHE)
    try:
        freq, total = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return  # jieba.initialize builds the dictionary and writes the cache
    with tokenizer.lock:
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True


def _tags_cache(jieba: ModuleType) -> Path | None:
    """Where the part-of-speech table of this jieba and dictionary is kept (None: a user dictionary)."""
    if jieba.dt.dictionary is not None or jieba.__file__ is None:
        return None
    dictionary = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    try:
        stat = dictionary.stat()
    except OSError:
        return None
    key = f"{jieba.__version__}|{dictionary}|{stat.st_size}|{stat.st_mtime_ns}"
    name = TAGS_CACHE.format(key=hashlib.sha256(key.encode()).hexdigest()[:16])
    return Path(jieba.dt.tmp_dir or tempfile.gettempdir()) / name


def _read_tags(path: Path) -> dict[str, str] | None:
    try:
        table = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return table if isinstance(table, dict) and table else None


def _write_tags(path: Path, table: dict[str, str]) -> None:
    """Write the table for the next process, atomically (a temp file renamed); failing is harmless."""
    tags: dict[str, str] = {}
    shared = {tag: sys.intern(tag) for tag in set(table.values())}  # each tag stored once
    for word, tag in table.items():
        tags[word] = shared[tag]
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    except OSError:
        log.debug("could not keep jieba's part-of-speech table in %s", path, exc_info=True)
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps(tags))
        os.replace(temporary, path)
    except OSError:
        log.debug("could not keep jieba's part-of-speech table in %s", path, exc_info=True)
        Path(temporary).unlink(missing_ok=True)


@contextmanager
def _dictionary_unread(tokenizer):
    """While `jieba.posseg` is imported, its tagger reads an empty dictionary file (its table is set
    from the cache right after): the one thing it would read `dict.txt` for."""
    tokenizer.get_dict_file = lambda: io.BytesIO(b"")  # shadows the method on this instance only
    try:
        yield
    finally:
        del tokenizer.get_dict_file
