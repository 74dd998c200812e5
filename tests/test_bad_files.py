"""A batch of bad files (issue 7): each is ingested, or refused with one line "<file>: <why>; <what to
do>"; the rest of the batch goes on; the command line counts what it skipped and lists each one.

Every file is generated here, in one folder with one good file, and the folder is ingested once
through `Library.ingest` (module fixture) and once through `python -m rag ingest` in a fresh home.
The files that are read are small excerpts of the bundled plans, so embedding them stays quick.
"""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import chromadb
import pytest
from click.testing import CliRunner
from conftest import PLANS, make_settings
from docx import Document as DocxDocument
from fpdf import FPDF
from PIL import Image, ImageDraw
from pypdf import PdfWriter
from test_ingest_loaders import pdf_of, truetype_subset

from ingest.clean import CleaningRules
from ingest.loaders import REFUSALS, IngestError, read_text
from ingest.pipeline import parse_file
from ingest.records import Article
from rag.cli import main
from rag.settings import IngestSettings, Settings
from rag.store.library import IngestReport, Library

MiB = 1024 * 1024
CHENGZI = PLANS / "chengzi-gongzuo-yaodian-2023.txt"
NEIZI = PLANS / "neizi-tongchenghua-2021.txt"
QIJIANG = PLANS / "qijiang-wansheng-2021.txt"
NEIJIANG = PLANS / "neijiang-shiwei-jueding-2020.txt"
CHUANNAN = PLANS / "chuannan-yuxi-2023.txt"

# 内自's title, 前言, 一、 and its (一)(二) (neizi lines 22-28) in traditional characters: Big5 has
# no simplified ones, and a Big5 file holds a traditional text.
BIG5_TEXT = """內江自貢同城化發展總體方案

為貫徹落實成渝地區雙城經濟圈建設戰略部署,深入實施“一幹多支”發展戰略,加快內江自貢同城化(以下簡稱“內自同城化”)進程,打造區域協作同城化發展典範,制定本方案。

一、重要意義

(一)有利於加快川南經濟區一體化發展。推進內自同城化發展,有利於拓展兩市發展新空間,培育競爭新優勢,促進資源要素集聚,增強人口和產業承載能力,提升兩市整體實力和區域影響力,促進川南經濟區一體化發展,為成渝地區雙城經濟圈南翼跨越提供有力支撐。

(二)有利於探索經濟區與行政區適度分離。推進內自同城化發展,有利於打破行政區劃界限,探索體制機制創新,推動改革措施系統集成,促進資源要素跨區域合理流動、高效集聚和優化配置,為地域相連、體量相當的全國同類城市同城化發展提供經驗借鑒。
"""
# Text in a page's code, styles and comments: none of it may reach a chunk.
SCRIPT_WORDS = (
    "脚本里的提示",
    "var crumbs",
    "样式里的文字",
    "text-indent",
    "请启用脚本",
    "结构化数据",
    "注释里的话",
    "alert(",
)

# Every file of the batch: (status, the one line it is refused with, or "" when it is ingested).
EXPECTED = {
    "good.txt": ("added", ""),
    "empty.txt": ("failed", "empty.txt: the file is empty; nothing to index"),
    "blank.txt": ("failed", "blank.txt: the file holds only white space; nothing to index"),
    "blob.txt": ("failed", "blob.txt: this looks like a binary file, not text; check the file type"),
    "notice.txt": ("failed", "notice.txt: this is a PDF file, not text; rename it to end in .pdf"),
    "big.txt": (
        "failed",
        "big.txt: 50.0 MB is over the 20 MB limit; split the file or raise PLANQA_INGEST__MAX_FILE_MB",
    ),
    "gbk.txt": ("added", ""),
    "big5.txt": ("added", ""),
    "utf16-bom.txt": ("added", ""),
    "utf16-le.txt": ("added", ""),
    "truncated.pdf": (
        "failed",
        "truncated.pdf: the PDF is cut short (no end-of-file marker); download or export it again",
    ),
    "secret.pdf": ("failed", "secret.pdf: the PDF is encrypted; save an unprotected copy and ingest that"),
    "locked.pdf": ("added", ""),  # an owner password only: it opens without one
    "scan.pdf": (
        "failed",
        "scan.pdf: the PDF has no text layer (a scanned image?); run OCR on it first and ingest the text",
    ),
    "tables.docx": ("added", ""),
    "page.html": ("added", ""),
    "app.html": ("failed", "app.html: no text found in the file; nothing to index"),
    "plain.txt": ("added", ""),
}
SKIPPED = [name for name, (status, _) in sorted(EXPECTED.items()) if status == "failed"]


def lines_of(plan: Path, numbers) -> list[str]:
    """Raw lines of a plan, numbered as `cat -n` numbers them."""
    lines = plan.read_text("utf-8").split("\n")
    return [lines[n - 1] for n in numbers]


def excerpt(plan: Path, numbers) -> str:
    return "\n".join(lines_of(plan, numbers)) + "\n"


# What each readable file holds, as text: the encoded ones must read back to exactly this.
TEXTS = {
    "good.txt": excerpt(NEIZI, range(22, 29)),
    "gbk.txt": excerpt(QIJIANG, range(36, 47)),
    "big5.txt": BIG5_TEXT,
    "utf16-bom.txt": excerpt(CHENGZI, [35, *range(41, 51)]),
    "utf16-le.txt": excerpt(NEIJIANG, [4, 10, 12]),
}
ENCODINGS = {
    "good.txt": "utf-8",
    "gbk.txt": "gbk",
    "big5.txt": "big5",
    "utf16-bom.txt": "utf-16",
    "utf16-le.txt": "utf-16-le",
}
# Paragraphs without a heading or a number: 内自's 一、(一)(二) and 二、(一) with their markers cut off.
PLAIN = [re.sub(r"^\([一二三]\)", "", line) for line in lines_of(NEIZI, [28, 30, 36])]
# 成资's items 1. and 2., laid out as a task table: a merged row for the chapter, then task | units.
TABLE_ROWS = [lines_of(CHENGZI, [43, 45]), lines_of(CHENGZI, [47, 49])]
PDF_LINES = [line for line in lines_of(QIJIANG, range(54, 61)) if line.strip()]


def encrypted(source: Path, out: Path, user_password: str) -> Path:
    """AES-256, as current PDF writers encrypt (pypdf opens it with the `cryptography` package)."""
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    with open(out, "wb") as file:
        writer.write(file)
    return out


def scanned_pdf(out: Path) -> Path:
    """A page that is only a picture of lines of text: no text operators at all."""
    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 740, 24):
        draw.rectangle((50, y, 550, y + 10), fill=30)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(buffer, x=10, y=10, w=190)
    pdf.output(str(out))
    return out


def uncompressed_pdf() -> bytes:
    """A PDF whose bytes are nearly all ASCII: decoded as text, its syntax would be indexed."""
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Notice on the integrated development plan")
    return bytes(pdf.output())


def tables_docx(out: Path) -> Path:
    docx = DocxDocument()
    docx.add_paragraph(lines_of(CHENGZI, [35])[0])
    table = docx.add_table(rows=1 + len(TABLE_ROWS), cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = lines_of(CHENGZI, [41])[0]  # 一、统筹优化发展格局…
    for row, cells in zip(table.rows[1:], TABLE_ROWS):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    docx.save(out)
    return out


def script_page(lines: list[str]) -> str:
    """A government page full of code: scripts (inline, JSON-LD, many), styles, noscript, comments."""
    scripts = "\n".join(
        f'<script src="/js/lib{n}.js"></script><script>var crumbs{n} = "首页 > 政策文件";</script>' for n in range(40)
    )
    body = "\n".join(
        f'<p onclick="alert(1)">{html.escape(line)}</p><script>var tip = "脚本里的提示{n}";</script>'
        for n, line in enumerate(lines)
        if line.strip()
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(lines[0])}</title>{scripts}
<style>p {{ text-indent: 2em; }} .x::after {{ content: "样式里的文字"; }}</style>
<script type="application/ld+json">{{"@type": "GovernmentService", "name": "结构化数据"}}</script></head>
<body><noscript>请启用脚本以浏览本页</noscript><!-- 注释里的话 -->
<div class="article">{body}</div>
<script>{"document.write('x');" * 500}</script></body></html>"""


def app_shell() -> str:
    """A page that is all code: its text is drawn by a script at run time."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><script src="/app.js"></script>'
        '<style>#app { margin: 0 }</style></head><body><div id="app"></div>'
        f"<script>{'window.render(&quot;规划&quot;);' * 200}</script><noscript>请启用脚本以浏览本页</noscript></body></html>"
    )


def write_batch(folder: Path, fonts: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TEXTS.items():
        (folder / name).write_bytes(text.encode(ENCODINGS[name]))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text(" \n\t\n\u3000\u3000\n\r\n", "utf-8")
    (folder / "blob.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16)
    (folder / "notice.txt").write_bytes(uncompressed_pdf())
    block = "推动川南渝西地区融合发展,有利于优化区域产业链布局。\n".encode()
    (folder / "big.txt").write_bytes(block * (50 * MiB // len(block)) + b"\n" * (50 * MiB % len(block)))
    font = truetype_subset("".join(set("".join(PDF_LINES))), fonts / "subset.ttf")
    plan = pdf_of(PDF_LINES, font, fonts / "plan.pdf")
    data = plan.read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    encrypted(plan, folder / "secret.pdf", user_password="secret")
    encrypted(plan, folder / "locked.pdf", user_password="")
    scanned_pdf(folder / "scan.pdf")
    tables_docx(folder / "tables.docx")
    (folder / "page.html").write_text(script_page(lines_of(CHUANNAN, [29, 33, 35, 37])), "utf-8")
    (folder / "app.html").write_text(app_shell(), "utf-8")
    (folder / "plain.txt").write_text("\n\n".join(PLAIN) + "\n", "utf-8")
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_batch(tmp_path_factory.mktemp("bad-files") / "batch", tmp_path_factory.mktemp("fonts"))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("bad-files-home"))


@pytest.fixture(scope="module")
def report(settings: Settings, batch: Path) -> IngestReport:
    return Library(settings).ingest([batch])


@pytest.fixture(scope="module")
def rules() -> CleaningRules:
    return CleaningRules.load()


def stored(settings: Settings, doc_id: str | None = None) -> list[str]:
    """Chunk texts in the store (asked of Chroma itself), optionally of one document."""
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    where = {"doc_id": doc_id} if doc_id else None
    return client.get_collection(settings.collection_name).get(where=where)["documents"]


def articles(settings: Settings, doc_id: str) -> list[Article]:
    return sorted(
        (a for a in Library(settings).store.articles() if a.doc_id == doc_id), key=lambda a: (a.order, a.part)
    )


# -- the batch through the index ----------------------------------------------------------------------


def test_each_file_is_ingested_or_refused_with_one_clear_line(report: IngestReport) -> None:
    assert {f.file: (f.status, f.error) for f in report.files} == EXPECTED
    for row in report.failed:
        name, rest = row.error.split(": ", 1)
        why, todo = rest.split("; ")
        assert name == row.file and why and todo and "\n" not in row.error


def test_the_good_file_and_the_readable_bad_ones_are_all_in_the_store(settings: Settings, report: IngestReport) -> None:
    added = {Path(name).stem for name, (status, _) in EXPECTED.items() if status == "added"}
    assert {d.doc_id for d in Library(settings).store.documents()} == added
    for doc_id in added:
        assert stored(settings, doc_id), doc_id


@pytest.mark.parametrize("name", ["gbk.txt", "big5.txt", "utf16-bom.txt", "utf16-le.txt"])
def test_an_encoded_file_yields_exactly_the_articles_of_its_utf8_twin(
    settings: Settings, report: IngestReport, batch: Path, rules: CleaningRules, tmp_path: Path, name: str
) -> None:
    twin = tmp_path / name  # the same name, so the same doc_id and chunk ids
    twin.write_text(TEXTS[name], "utf-8")
    expected = parse_file(twin, rules, settings.ingest.max_chunk_tokens)[1]
    assert parse_file(batch / name, rules, settings.ingest.max_chunk_tokens)[1] == expected
    assert articles(settings, Path(name).stem) == expected
    assert len(expected) >= 2


def test_the_tables_of_a_docx_are_indexed_row_by_row_and_a_merged_cell_once(
    settings: Settings, report: IngestReport, rules: CleaningRules, tmp_path: Path
) -> None:
    """The table reads as its text twin: the merged row is the chapter heading (once, not once per
    column), and each row is one line, "task units", so each item keeps its 责任单位."""
    twin = tmp_path / "tables.txt"
    twin.write_text(
        "\n".join([*lines_of(CHENGZI, [35, 41]), *(f"{task} {units}" for task, units in TABLE_ROWS)]), "utf-8"
    )
    expected = [(a.chapter, a.clause_ref, a.text) for a in parse_file(twin, rules, settings.ingest.max_chunk_tokens)[1]]
    assert [(a.chapter, a.clause_ref, a.text) for a in articles(settings, "tables")] == expected
    assert [clause_ref for _, clause_ref, _ in expected] == ["一、1.", "一、2."]
    assert all(units in text for (_, _, text), (_, units) in zip(expected, TABLE_ROWS))


def test_scripts_styles_and_comments_never_reach_a_chunk(settings: Settings, report: IngestReport) -> None:
    page = stored(settings, "page")
    assert len(page) >= 2
    assert any(lines_of(CHUANNAN, [37])[0][10:40] in text for text in page)
    everything = "\n".join(stored(settings)) + "\n".join(d.text for d in Library(settings).store.documents())
    assert not [word for word in SCRIPT_WORDS if word in everything]


def test_a_file_without_structure_is_cut_into_its_paragraphs(settings: Settings, report: IngestReport) -> None:
    found = articles(settings, "plain")
    assert [(a.clause_ref, a.text) for a in found] == [(f"第{n}段", text) for n, text in enumerate(PLAIN, start=1)]


def test_a_pdf_with_an_owner_password_only_is_read(settings: Settings, report: IngestReport) -> None:
    text = re.sub(r"\s", "", "".join(stored(settings, "locked")))
    assert re.sub(r"\s", "", PDF_LINES[-1]) in text


# -- single files -------------------------------------------------------------------------------------


def test_a_50_mb_file_is_refused_before_it_is_read(
    batch: Path, rules: CleaningRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read_bytes, real_open = Path.read_bytes, Path.open

    def guard(method):
        def guarded(self: Path, *args, **kwargs):
            assert self.name != "big.txt", f"{self} was read"
            return method(self, *args, **kwargs)

        return guarded

    monkeypatch.setattr(Path, "read_bytes", guard(real_read_bytes))
    monkeypatch.setattr(Path, "open", guard(real_open))
    with pytest.raises(IngestError) as error:
        parse_file(batch / "big.txt", rules, 800)
    assert str(error.value) == EXPECTED["big.txt"][1]


def test_a_docx_renamed_txt_is_told_to_be_renamed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    DocxDocument().save(buffer)
    (tmp_path / "plan.txt").write_bytes(buffer.getvalue())
    with pytest.raises(IngestError) as error:
        read_text(tmp_path / "plan.txt")
    assert str(error.value) == "plan.txt: this is a Word document (DOCX), not text; rename it to end in .docx"


def test_the_settings_a_refusal_names_exist() -> None:
    named = {m for why, todo in REFUSALS.values() for m in re.findall(r"PLANQA_INGEST__([A-Z_]+)", todo)}
    assert named and {n.lower() for n in named} <= set(IngestSettings.model_fields)


# -- the batch through the command line --------------------------------------------------------------


def test_the_command_line_counts_the_skipped_files_and_gives_one_line_each(
    settings: Settings, report: IngestReport, batch: Path, tmp_path: Path
) -> None:
    """On a copy of the index the batch went into (the good files are not embedded again): a file
    refused once is refused again, with the same line, and the others are left as they are."""
    home = tmp_path / "cli-home"
    shutil.copytree(settings.home, home)
    result = CliRunner().invoke(main, ["--home", str(home), "ingest", str(batch)], catch_exceptions=False)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    indexed = sum(1 for status, _ in EXPECTED.values() if status == "added")
    assert f"nothing changed ({indexed} files already indexed)" in result.stdout
    assert f"{len(SKIPPED)} of {len(EXPECTED)} files skipped (not indexed):" in lines
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert skipped == [f"skipped {EXPECTED[name][1]}" for name in SKIPPED]
    rows = {line.split()[1]: line.split()[3] for line in lines if re.match(r"^│ \S+\.(txt|pdf|docx|html) ", line)}
    assert rows == {name: "skipped" if status == "failed" else "unchanged" for name, (status, _) in EXPECTED.items()}
