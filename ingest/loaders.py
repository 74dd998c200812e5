"""Files → raw text: txt, md, html, pdf, docx, in UTF-8 (with or without BOM), UTF-16, GB18030/GBK,
Big5 and more.

Every failure is an `IngestError` whose message is one line a user can act on: "<file>: <why>; <what
to do>", worded from `REFUSALS`. Every file, of every type, is read in a child process with a time and
memory limit (`run_limited`; ingest/pipeline.py cleans and cuts it in that same child), so a hostile
file cannot hang or exhaust the caller, nor hold the index's write lock past the time limit.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import charset_normalizer

from ingest.headings import match_heading
from ingest.html_text import MAX_HTML_DEPTH, PageTooDeep, html_to_text

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES + DOCX_SUFFIXES

_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*\d{1,4})?[-—–\s]*$")
_PARAGRAPH_END = ("。", "！", "？", "；", "：", ":", "”", "」", "）", ")", "》")
_MB = 1024 * 1024  # the unit of `max_file_mb`, so a message names the limit as it was set
# Punctuation that closes what came before; a line that opens with one continues the line above.
_CONTINUES = ("。", "，", ",", "、", "；", ";", "：", ":", "！", "？", "”", "’", "）", ")", "》", "」")
PDF_FULL_LINE = 0.8  # a PDF line at least this share of the page's widest line was wrapped, not ended


# Why a file is refused, and what its owner can do about it: (why, what to do), filled in with the
# details `refuse()` is given. The settings named are the PLANQA_* variables of rag/settings.py.
REFUSALS: dict[str, tuple[str, str]] = {
    "missing": ("no such file", "check the path"),
    "unsupported": ("unsupported file type {suffix}", "use one of {supported}"),
    "empty": ("the file is empty", "nothing to index"),
    "blank": ("the file holds only white space", "nothing to index"),
    "no_text": ("no text found in the file", "nothing to index"),
    "too_big": ("{size:.1f} MB is over the {limit:g} MB limit", "split the file or raise PLANQA_INGEST__MAX_FILE_MB"),
    "too_long": (
        "{chars:,} characters is over the {limit:,} limit",
        "split the file or raise PLANQA_INGEST__MAX_CHARS",
    ),
    "too_many_articles": (
        "{count:,} articles is over the {limit:,} limit",
        "split the file or raise PLANQA_INGEST__MAX_ARTICLES",
    ),
    "binary": ("this looks like a binary file, not text", "check the file type"),
    "misnamed": ("this is {kind}, not text", "rename it to end in {suffix}"),
    "foreign": ("this is {kind}, not text", "save it as DOCX or plain text and ingest that"),
    "pdf_encrypted": ("the PDF is encrypted", "save an unprotected copy and ingest that"),
    "pdf_scanned": ("the PDF has no text layer (a scanned image?)", "run OCR on it first and ingest the text"),
    "pdf_truncated": ("the PDF is cut short (no end-of-file marker)", "download or export it again"),
    "pdf_broken": ("the PDF is broken or unreadable ({error})", "open and save it again, then ingest the copy"),
    "pdf_fonts": (
        "the PDF's text cannot be decoded (its fonts use an encoding this reader does not support)",
        "save it as DOCX or text and ingest that",
    ),
    "pdf_pages": ("{pages} pages is over the {limit}-page limit", "split the PDF or raise PLANQA_INGEST__MAX_PAGES"),
    "docx_broken": (
        "the DOCX is broken or unreadable ({error})",
        "open and save it again in Word, then ingest the copy",
    ),
    "timeout": (
        "parsing took longer than {limit:g} s and was stopped",
        "split the file or raise PLANQA_INGEST__PARSE_TIMEOUT_S",
    ),
    "crashed": ("the parser crashed on this file", "save it again as DOCX or text and ingest that"),
    "html_deep": ("the page nests its tags more than {limit:,} deep", "save the page's text as .txt and ingest that"),
    "memory": ("parsing needed more memory than allowed", "split the file"),
    "unreadable": ("unreadable ({error})", "save it again as DOCX or text and ingest that"),
    "no_articles": ("no text to index after cleaning", "check that the file holds the document's own text"),
}
# Files that are not text whatever their name says: (first bytes, what it is, the suffix to give it).
_MAGIC = (
    (b"%PDF-", "a PDF file", ".pdf"),
    (b"PK\x03\x04", "a Word document (DOCX)", ".docx"),  # only when the archive holds word/ (see _sniff)
    (b"{\\rtf", "an RTF document", ""),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc, .xls)", ""),
)


class IngestError(ValueError):
    """A file that cannot be ingested: "<file>: <why>; <what to do>" (`refuse` words it)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # a key of REFUSALS, or "" for a message worded elsewhere


def refuse(name: str, reason: str, **details) -> IngestError:
    """The error refusing file `name` for `reason` (a key of REFUSALS), on one line."""
    why, todo = (part.format(**details) for part in REFUSALS[reason])
    return IngestError(" ".join(f"{name}: {why}; {todo}".splitlines()), reason)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may cost to read."""

    max_bytes: int = 20 * 1024 * 1024
    max_chars: int = 2_000_000
    max_pages: int = 500
    max_articles: int = 2000
    timeout_s: float = 60.0
    max_memory_bytes: int = 2 * 1024**3


def check_file(path: Path, limits: Limits = Limits()) -> None:
    """Refuse what can be told without reading the file: missing, unsupported, empty, too big."""
    path = Path(path)
    if not path.is_file():
        raise refuse(path.name, "missing")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise refuse(path.name, "unsupported", suffix=suffix or "(none)", supported=", ".join(SUPPORTED_SUFFIXES))
    size = path.stat().st_size
    if size == 0:
        raise refuse(path.name, "empty")
    if size > limits.max_bytes:
        raise refuse(path.name, "too_big", size=size / _MB, limit=limits.max_bytes / _MB)


def read_text(path: Path, limits: Limits = Limits()) -> str:
    """The text of one file, or an `IngestError` saying why not; read within the limits."""
    path = Path(path)
    check_file(path, limits)  # first: a 50 MB file is refused before it is read
    return run_limited(read_unlimited, path, limits)


def read_unlimited(path: Path, limits: Limits) -> str:
    """`read_text` in this process, with no time or memory limit: call it through `run_limited`."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text = decode_bytes(path.read_bytes(), path.name)
    elif suffix in HTML_SUFFIXES:
        try:
            text = html_to_text(decode_bytes(path.read_bytes(), path.name))
        except PageTooDeep:
            raise refuse(path.name, "html_deep", limit=MAX_HTML_DEPTH) from None
    else:
        parser = pdf_to_text if suffix in PDF_SUFFIXES else docx_to_text
        text = parser(path.read_bytes(), limits.max_pages, path.name)
    if not text.strip():
        raise refuse(path.name, "blank" if suffix in TEXT_SUFFIXES else "no_text")
    if len(text) > limits.max_chars:
        raise refuse(path.name, "too_long", chars=len(text), limit=limits.max_chars)
    return text


def decode_bytes(data: bytes, name: str = "file") -> str:
    """Decode text bytes: UTF-8 (BOM or not) first, else the encoding charset-normalizer finds
    (GB18030/GBK, Big5, UTF-16 by its BOM or without one …)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    _sniff(data, name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Chinese prose full of "—", "“”" and "、" can score above charset-normalizer's default "chaos"
    # threshold (0.2) in GBK: a one-page notice from the 綦江 plan scores 0.18-0.3 and was refused as
    # binary. Binary files score far higher, and a NUL gives away any that get through.
    best = charset_normalizer.from_bytes(data, threshold=0.5).best()
    if best is None or "\x00" in str(best):
        raise refuse(name, "binary")
    return str(best)


def _sniff(data: bytes, name: str) -> None:
    """Refuse a PDF, DOCX, RTF or old Office file given a text name: some of them decode as text
    (an uncompressed PDF is ASCII), and their syntax would be indexed as the document."""
    for magic, kind, suffix in _MAGIC:
        if data.startswith(magic) and (magic != b"PK\x03\x04" or b"word/" in data):
            raise refuse(name, "misnamed" if suffix else "foreign", kind=kind, suffix=suffix)


def pdf_to_text(data: bytes, max_pages: int, name: str = "file") -> str:
    """Text of a PDF, with hard line wraps joined back into paragraphs and page numbers dropped."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        # An owner password only (no password to open) is common on government PDFs: "" opens those.
        if reader.is_encrypted and not reader.decrypt(""):
            raise refuse(name, "pdf_encrypted")
        if len(reader.pages) > max_pages:
            raise refuse(name, "pdf_pages", pages=len(reader.pages), limit=max_pages)
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        # A download cut short lacks the %%EOF that ends every PDF (pypdf looks for it in the last KB).
        reason = "pdf_broken" if b"%%EOF" in data[-1024:] else "pdf_truncated"
        raise refuse(name, reason, error=type(error).__name__) from error
    if not any(page.strip() for page in pages):
        raise refuse(name, "pdf_scanned")  # pages of images: nothing but OCR gets the text out
    text = unwrap_lines([line for page in pages for line in page.split("\n")])
    if "\x00" in text:
        # pypdf splits a font's 2-byte codes into single bytes when the font's encoding is an embedded
        # CMap (fpdf2 writes CJK OpenType fonts that way): the text comes out as NULs and wrong
        # characters. Refuse it rather than index garbage.
        raise refuse(name, "pdf_fonts")
    return text


def unwrap_lines(lines: list[str]) -> str:
    """Join lines a PDF wrapped at the page width; keep lines that end a paragraph or a heading.

    Called on the lines of all pages at once, so a paragraph that runs over a page break is joined.
    A line that opens with a numbering marker (`3.`, `（二）`, `四、`) starts a new paragraph even
    when the line above is full: items often follow a `责任单位:…` line that has no full stop.
    Glued numbers ("26共同…") are not trusted here: "15分钟…" starts wrapped lines as well. A line
    that opens with closing punctuation (a PDF writer without Chinese line-breaking rules puts the
    `。` after `“上市”` on the next line) always continues the one above.
    """
    lines = [line.strip() for line in lines if line.strip() and not _PAGE_NUMBER.match(line)]
    if not lines:
        return ""
    full = max(len(line) for line in lines)
    out: list[str] = [lines[0]]
    for line in lines[1:]:
        previous = out[-1]
        heading = match_heading(line)
        wrapped = line.startswith(_CONTINUES) or (
            len(previous.split("\n")[-1]) >= PDF_FULL_LINE * full
            and not previous.endswith(_PARAGRAPH_END)
            and not (heading and not heading.glued)
        )
        out[-1:] = [previous + line] if wrapped else [previous, line]
    return "\n".join(out)


def docx_to_text(data: bytes, max_pages: int, name: str = "file") -> str:  # noqa: ARG001 - as pdf_to_text
    """Paragraphs and table rows of a DOCX, in document order."""
    import zipfile

    from docx import Document as DocxDocument

    try:
        document = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise refuse(name, "docx_broken", error=type(error).__name__) from error
    return "\n".join(_docx_lines(document.iter_inner_content()))


def _docx_lines(blocks) -> list[str]:
    """Lines of DOCX paragraphs and tables (a table cell holds both, so this recurses)."""
    from docx.table import Table

    lines: list[str] = []
    for block in blocks:
        lines += _table_lines(block) if isinstance(block, Table) else [block.text]
    return lines


def _table_lines(table) -> list[str]:
    """One line per row, its cells' text joined by spaces. A merged cell is read once (python-docx
    repeats it in every grid column and row it spans); a row of one cell, the way a table lays out
    a page, keeps its lines."""
    lines: list[str] = []
    seen = set()
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell._tc not in seen:  # noqa: SLF001 - the cell's XML element is its identity
                seen.add(cell._tc)  # noqa: SLF001
                cells.append([line for line in _docx_lines(cell.iter_inner_content()) if line.strip()])
        if len(cells) == 1:
            lines += cells[0]
        elif cells:
            lines.append(" ".join(" ".join(cell) for cell in cells if cell))
    return lines


def _child(work, path: Path, limits: Limits, args: tuple, sender) -> None:  # pragma: no cover - runs in a child
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory_bytes, limits.max_memory_bytes))
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings ("EOF marker not found") are ours to word
    try:
        sender.send(("ok", work(path, limits, *args)))
        return
    except IngestError as error:
        refused = error
    except MemoryError:
        refused = refuse(path.name, "memory")
    except Exception as error:  # a parser bug on a hostile file is still the file's fault
        refused = refuse(path.name, "unreadable", error=f"{type(error).__name__}: {error}")
    sender.send(("error", (str(refused), refused.reason)))


Result = TypeVar("Result")


def run_limited(work: Callable[..., Result], path: Path, limits: Limits, *args) -> Result:
    """`work(path, limits, *args)` in a fresh process, with `limits.max_memory_bytes` of memory; killed
    past `limits.timeout_s`. Its `IngestError` is raised here; any other error it meets, or its
    death, becomes one too (a parser's bug on a hostile file is still the file's fault).

    Children are forked from one server process that loaded the parsers and the tokenizer once
    (ingest/preload.py): a fresh interpreter per file cost about a second. As with any multiprocessing
    start method but fork, a script that ingests must keep its top-level code under
    `if __name__ == "__main__":` (the server imports the script, once, for what it imports).

    The child reads the file itself: handing it the bytes would block `start()` on a large file if
    the child died before reading them, outside the time limit."""
    name = path.name
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "ingest.preload"])
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, path, limits, args, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.timeout_s):
            raise refuse(name, "timeout", limit=limits.timeout_s)
        status, payload = receiver.recv()
    except EOFError:
        raise refuse(name, "crashed") from None
    finally:
        process.kill()
        process.join()
        receiver.close()
    if status == "error":
        raise IngestError(*payload)
    return payload
