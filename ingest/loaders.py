"""Files → raw text: txt, md, html, pdf, docx, in UTF-8 (with or without BOM), GB18030/GBK and more.

Every failure is an `IngestError` with a message a user can act on. PDF and DOCX are parsed in a
child process with a time and memory limit, so a hostile file cannot hang or exhaust the caller.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import resource
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from ingest.headings import match_heading

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES + DOCX_SUFFIXES

_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "blockquote", "pre", "dd", "dt", "dl", "title", "header", "footer",
)
# Never document text: code, widgets, and the page's own navigation and footer. Their text would
# otherwise sit right above the notice and be read as part of its header (and as its issuer).
_DROP_TAGS = (
    "head", "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button",
    "nav", "footer", "aside",
)
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*\d{1,4})?[-—–\s]*$")
_PARAGRAPH_END = ("。", "！", "？", "；", "：", ":", "”", "」", "）", ")", "》")
_MB = 1024 * 1024  # the unit of `max_file_mb`, so a message names the limit as it was set
# Punctuation that closes what came before; a line that opens with one continues the line above.
_CONTINUES = ("。", "，", ",", "、", "；", ";", "：", ":", "！", "？", "”", "’", "）", ")", "》", "」")
PDF_FULL_LINE = 0.8  # a PDF line at least this share of the page's widest line was wrapped, not ended


class IngestError(ValueError):
    """A file that cannot be ingested, with the reason in words."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may cost to read."""

    max_bytes: int = 20 * 1024 * 1024
    max_chars: int = 2_000_000
    max_pages: int = 500
    timeout_s: float = 60.0
    max_memory_bytes: int = 2 * 1024**3


def read_text(path: Path, limits: Limits = Limits()) -> str:
    """The text of one file, or an `IngestError` saying why not."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path.name}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"{path.name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path.name}: the file is empty")
    if size > limits.max_bytes:
        raise IngestError(f"{path.name}: {size / _MB:.1f} MB is over the {limits.max_bytes / _MB:g} MB limit")
    if suffix in TEXT_SUFFIXES:
        text = decode_bytes(path.read_bytes(), path.name)
    elif suffix in HTML_SUFFIXES:
        text = html_to_text(decode_bytes(path.read_bytes(), path.name))
    else:
        parser = pdf_to_text if suffix in PDF_SUFFIXES else docx_to_text
        text = _run_limited(parser, path, limits)
    if not text.strip():
        raise IngestError(f"{path.name}: no text found in the file")
    if len(text) > limits.max_chars:
        raise IngestError(f"{path.name}: {len(text):,} characters is over the {limits.max_chars:,} limit")
    return text


def decode_bytes(data: bytes, name: str = "file") -> str:
    """Decode text bytes: UTF-8 (BOM or not) first, else the encoding charset-normalizer finds."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: this looks like a binary file, not text")
    text = str(best)
    if "\x00" in text:
        raise IngestError(f"{name}: this looks like a binary file, not text")
    return text


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one line per block element."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after(" ")
    return soup.get_text("")


def pdf_to_text(data: bytes, max_pages: int) -> str:
    """Text of a PDF, with hard line wraps joined back into paragraphs and page numbers dropped."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is encrypted")
        if len(reader.pages) > max_pages:
            raise IngestError(f"{len(reader.pages)} pages is over the {max_pages}-page limit")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise IngestError(f"the PDF is broken or unreadable ({type(error).__name__})") from error
    text = unwrap_lines([line for page in pages for line in page.split("\n")])
    if "\x00" in text:
        # pypdf splits a font's 2-byte codes into single bytes when the font's encoding is an embedded
        # CMap (fpdf2 writes CJK OpenType fonts that way): the text comes out as NULs and wrong
        # characters. Refuse it rather than index garbage.
        raise IngestError("the PDF's text cannot be decoded (its fonts use an encoding this reader does not support)")
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


def docx_to_text(data: bytes, max_pages: int) -> str:  # noqa: ARG001 - same signature as pdf_to_text
    """Paragraphs and table rows of a DOCX, in document order."""
    import zipfile

    from docx import Document as DocxDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise IngestError(f"the DOCX is broken or unreadable ({type(error).__name__})") from error
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines += [" ".join(cell.text for cell in row.cells) for row in block.rows]
    return "\n".join(lines)


def _child(parser, path: Path, limits: Limits, sender) -> None:  # pragma: no cover - runs in a child
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory_bytes, limits.max_memory_bytes))
    try:
        sender.send(("ok", parser(path.read_bytes(), limits.max_pages)))
    except IngestError as error:
        sender.send(("error", str(error)))
    except MemoryError:
        sender.send(("error", "parsing needed more memory than allowed"))
    except Exception as error:  # a parser bug on a hostile file is still the file's fault
        sender.send(("error", f"unreadable ({type(error).__name__}: {error})"))


def _run_limited(parser, path: Path, limits: Limits) -> str:
    """Run `parser(bytes, max_pages)` on the file in a fresh process; kill it past the time limit.

    The child reads the file itself: handing it the bytes would block `start()` on a large file if
    the child died before reading them, outside the time limit."""
    name = path.name
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(parser, path, limits, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.timeout_s):
            raise IngestError(f"{name}: parsing took longer than {limits.timeout_s:g} s and was stopped")
        status, payload = receiver.recv()
    except EOFError:
        raise IngestError(f"{name}: the parser crashed on this file") from None
    finally:
        process.kill()
        process.join()
        receiver.close()
    if status == "error":
        raise IngestError(f"{name}: {payload}")
    return payload
