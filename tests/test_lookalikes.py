"""Look-alike copies of an indexed document are refused (issue 14, item 7): full-width, Cyrillic, Greek,
underscore, space and case variants of a bundled plan's file name, and a forged copy (2万亿 changed to
20万亿) under a name of its own but the plan's title, were indexed and then cited as
《推动川南渝西地区融合发展总体方案》 beside the real one. Each is now refused with one line; a document
with a name and title of its own is still added.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PLANS, make_settings
from test_index import NEIZI, excerpt

from rag.api import PlanQA
from rag.store.library import FileStatus, Library
from rag.store.lookalikes import skeleton

CHUANNAN = PLANS / "chuannan-yuxi-2023.txt"
TITLE = "推动川南渝西地区融合发展总体方案"
FORGERY = ("地区生产总值达到2万亿元左右", "地区生产总值达到20万亿元左右")
VARIANTS = {  # names a person reads as chuannan-yuxi-2023.txt
    "full-width": "ｃｈｕａｎｎａｎ－ｙｕｘｉ－２０２３.txt",
    "cyrillic": "сhuаnnаn-yuxi-2023.txt",  # Cyrillic с and а
    "greek": "chuannan-yuxι-2023.txt",  # Greek ι
    "underscore": "chuannan_yuxi_2023.txt",
    "spaces": "chuannan yuxi 2023.txt",
    "dash": "chuannan—yuxi—2023.txt",
    "invisible": "chuannan-yu\u200bxi-2023.txt",
}


def forged(folder: Path, name: str) -> Path:
    """The bundled plan with its 2025 target multiplied by ten, under `name`."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CHUANNAN.read_text("utf-8").replace(*FORGERY), "utf-8")
    return path


@pytest.mark.parametrize("name", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_look_alike_of_a_file_name_has_the_same_skeleton(name: str) -> None:
    assert skeleton(Path(name).stem) == skeleton("chuannan-yuxi-2023")


@pytest.mark.parametrize(
    "title",
    [
        f"{TITLE} ",
        "推动川南渝西地区融合发展 总体方案",
        "《推动川南渝西地区融合发展总体方案》",
        "推动川南渝西地区融合发展总体方案\u200b",
    ],
)
def test_a_look_alike_of_a_title_has_the_same_skeleton(title: str) -> None:
    assert skeleton(title) == skeleton(TITLE)


@pytest.mark.parametrize(
    ("one", "other"),
    [("chuannan-yuxi-2023", "chuannan-yuxi-2024"), (TITLE, "推动川南渝西地区融合发展实施方案"), ("plan-a", "plan-b")],
)
def test_different_names_have_different_skeletons(one: str, other: str) -> None:
    assert skeleton(one) != skeleton(other)


@pytest.mark.parametrize("name", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_forged_copy_under_a_look_alike_name_is_refused_with_one_line(
    home_copy: Path, tmp_path: Path, name: str
) -> None:
    index = Library(make_settings(home_copy))
    report = index.ingest([forged(tmp_path / "upload", name)])
    [row] = report.files
    assert row.status == FileStatus.FAILED
    assert "chuannan-yuxi-2023.txt" in row.error and "\n" not in row.error  # a look-alike, or the same id
    assert len(index.catalogue().documents) == 5
    assert not (index.settings.uploads_dir).exists()


def test_a_forged_copy_under_a_case_variant_of_the_name_does_not_replace_the_bundled_plan(
    home_copy: Path, tmp_path: Path
) -> None:
    index = Library(make_settings(home_copy))
    [row] = index.ingest([forged(tmp_path / "upload", "Chuannan-Yuxi-2023.TXT")]).files
    assert row.status == FileStatus.FAILED
    assert "would replace the bundled plan chuannan-yuxi-2023.txt" in row.error
    plan = next(d for d in index.catalogue().documents if d.doc_id == "chuannan-yuxi-2023")
    assert "20万亿" not in plan.text


def test_a_forged_copy_under_a_name_of_its_own_is_refused_for_its_title(home_copy: Path, tmp_path: Path) -> None:
    planqa = PlanQA(make_settings(home_copy), build=False)
    [row] = planqa.ingest([forged(tmp_path / "upload", "chuannan-plan-final.txt")]).files
    assert row.status == FileStatus.FAILED
    assert f"its title 《{TITLE}》 is that of chuannan-yuxi-2023.txt" in row.error
    answer = planqa.ask("川南渝西地区2025年地区生产总值要达到多少？")
    assert "20万亿" not in answer.text
    assert {c.article.doc_id for c in answer.citations} == {"chuannan-yuxi-2023"}


def test_another_document_under_a_look_alike_name_is_refused_for_its_name(home_copy: Path, tmp_path: Path) -> None:
    index = Library(make_settings(home_copy))
    other = tmp_path / "upload" / VARIANTS["underscore"]
    other.parent.mkdir()
    other.write_text("青禾县智慧农业发展规划\n一、总体要求\n（一）发展目标。到2030年，建成智慧农场12个。\n", "utf-8")
    [row] = index.ingest([other]).files
    assert row.status == FileStatus.FAILED
    assert row.error.startswith(f"{other.name}: its name looks like chuannan-yuxi-2023.txt, the file of 《{TITLE}》")


def test_a_document_with_a_name_and_title_of_its_own_is_added(home_copy: Path, tmp_path: Path) -> None:
    index = Library(make_settings(home_copy))
    plan = tmp_path / "upload" / "qinghe-plan.txt"
    plan.parent.mkdir()
    plan.write_text("青禾县智慧农业发展规划\n一、总体要求\n（一）发展目标。到2030年，建成智慧农场12个。\n", "utf-8")
    assert [f.status for f in index.ingest([plan]).files] == [FileStatus.ADDED]


def test_two_new_files_with_look_alike_names_in_one_write_keep_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    excerpt(NEIZI, range(22, 33), folder / "plan-a.txt")
    (folder / "plan_a.txt").write_text("另一份文件\n一、总则\n（一）目标。到2026年建成示范基地12个。\n", "utf-8")
    report = Library(make_settings(tmp_path / "home")).ingest([folder])
    assert {f.file: f.status for f in report.files} == {"plan-a.txt": FileStatus.ADDED, "plan_a.txt": FileStatus.FAILED}
