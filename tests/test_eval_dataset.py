"""The bundled Q/A datasets are well-formed and their gold is real plan text; malformed lines are
reported by file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import GOLD_FIELDS, ITEM_FIELDS, TYPES, DatasetError, Gold, Item, gold_problems, load_dataset

PROJECT = Path(__file__).resolve().parent.parent
DATASETS = {"qa": (PROJECT / "eval" / "qa.jsonl", 162), "holdout": (PROJECT / "eval" / "holdout.jsonl", 50)}
GOOD = {
    "id": "x1",
    "question": "内江和自贡离得有多远？",
    "type": "fact",
    "answer": "两市中心城区直线距离仅28公里。",
    "key_facts": ["28公里"],
    "gold": [
        {"doc": "内江自贡同城化发展总体方案", "clause_ref": "二、（一）", "quote": "两市中心城区直线距离仅28公里"}
    ],
}


@pytest.fixture(scope="module", params=list(DATASETS))
def dataset(request) -> tuple[str, list[Item], int]:
    path, size = DATASETS[request.param]
    return request.param, load_dataset(path), size


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines),
        encoding="utf-8",
    )
    return path


# -- the bundled files ----------------------------------------------------------------------------
def test_bundled_dataset_loads_with_its_item_count(dataset):
    _, items, size = dataset
    assert len(items) == size


@pytest.mark.parametrize("name", list(DATASETS))
def test_bundled_dataset_lines_have_exactly_the_format_fields(name):
    lines = DATASETS[name][0].read_text(encoding="utf-8").splitlines()
    assert all(set(json.loads(line)) == set(ITEM_FIELDS) for line in lines)
    assert all(set(g) == set(GOLD_FIELDS) for line in lines for g in json.loads(line)["gold"])


def test_bundled_dataset_ids_are_unique(dataset):
    _, items, _ = dataset
    assert len({i.id for i in items}) == len(items)


def test_bundled_dataset_has_all_seven_types(dataset):
    _, items, _ = dataset
    assert {i.type for i in items} == set(TYPES)


def test_bundled_unanswerable_items_have_no_gold_or_key_facts_and_the_rest_have_both(dataset):
    _, items, _ = dataset
    assert all(not i.gold and not i.key_facts for i in items if i.type == "unanswerable")
    assert all(i.gold and i.key_facts for i in items if i.type != "unanswerable")


def test_bundled_gold_quotes_and_key_facts_are_in_the_indexed_plans(dataset, planqa):
    """Quotes verbatim (NFKC, white space removed) in a chunk of the named document; key facts in
    the whole article holding their gold quote. (h046 names clause `一、`, whose heading sits in the
    text of chunk `一、（一）`: matching is by text, so it passes.)"""
    _, items, _ = dataset
    catalogue = planqa.index.catalogue()
    assert gold_problems(items, catalogue.documents, catalogue.articles, planqa.article_text) == []


def test_gold_problems_name_a_quote_no_chunk_holds_and_a_stray_key_fact(planqa):
    catalogue = planqa.index.catalogue()
    bad = Item(
        "b1",
        "？",
        "fact",
        "",
        ("4200亿元",),
        (
            Gold("内江自贡同城化发展总体方案", "二、（一）", "两市中心城区直线距离仅28公里"),
            Gold("内江自贡同城化发展总体方案", "二、（一）", "两市相距三百公里"),
        ),
    )
    assert gold_problems([bad], catalogue.documents, catalogue.articles, planqa.article_text) == [
        "b1: quote '两市相距三百公里' is in no chunk of 内江自贡同城化发展总体方案",
        "b1: key fact '4200亿元' is not in the article holding its gold quote",
    ]


def test_gold_problems_name_an_unknown_document(planqa):
    catalogue = planqa.index.catalogue()
    bad = Item("b2", "？", "fact", "", (), (Gold("不存在的规划", "一、", "两市"),))
    assert gold_problems([bad], catalogue.documents, catalogue.articles, planqa.article_text) == [
        "b2: no indexed document is named '不存在的规划'"
    ]


# -- malformed files ------------------------------------------------------------------------------
def test_a_good_line_loads_into_an_item(tmp_path):
    (loaded,) = load_dataset(write(tmp_path, GOOD))
    assert loaded == Item(
        "x1",
        GOOD["question"],
        "fact",
        GOOD["answer"],
        ("28公里",),
        (Gold("内江自贡同城化发展总体方案", "二、（一）", "两市中心城区直线距离仅28公里"),),
    )


def test_blank_lines_are_skipped(tmp_path):
    assert len(load_dataset(write(tmp_path, "", GOOD, "  "))) == 1


def test_invalid_json_names_file_and_line(tmp_path):
    path = write(tmp_path, GOOD, '{"id": "x2", ')
    with pytest.raises(DatasetError, match=rf"^{path}:2: not valid JSON"):
        load_dataset(path)


def test_a_line_that_is_not_an_object_is_rejected(tmp_path):
    with pytest.raises(DatasetError, match=r":1: expected a JSON object, got list$"):
        load_dataset(write(tmp_path, "[1, 2]"))


def test_missing_fields_are_named(tmp_path):
    line = {k: v for k, v in GOOD.items() if k not in ("answer", "gold")}
    with pytest.raises(DatasetError, match=r":1: missing field\(s\) answer, gold$"):
        load_dataset(write(tmp_path, line))


def test_unknown_fields_are_rejected_not_ignored(tmp_path):
    with pytest.raises(
        DatasetError, match=r":1: unknown field\(s\) key_fact \(allowed: id, question, type, answer, key_facts, gold\)$"
    ):
        load_dataset(write(tmp_path, {**GOOD, "key_fact": ["28公里"]}))


def test_unknown_type_lists_the_seven_types(tmp_path):
    with pytest.raises(
        DatasetError,
        match=r":1: unknown type 'opinion' \(one of: fact, list, locate, compare, multi, unanswerable, clause\)$",
    ):
        load_dataset(write(tmp_path, {**GOOD, "type": "opinion"}))


def test_duplicate_ids_name_both_lines(tmp_path):
    with pytest.raises(DatasetError, match=r":3: duplicate id 'x1' \(first on line 1\)$"):
        load_dataset(write(tmp_path, GOOD, "", GOOD))


def test_unanswerable_item_with_gold_is_rejected(tmp_path):
    with pytest.raises(DatasetError, match=r":1: an unanswerable item must have empty 'gold' and 'key_facts'$"):
        load_dataset(write(tmp_path, {**GOOD, "type": "unanswerable"}))


def test_answerable_item_without_gold_is_rejected(tmp_path):
    with pytest.raises(DatasetError, match=r":1: a 'fact' item needs at least one gold entry$"):
        load_dataset(write(tmp_path, {**GOOD, "gold": []}))


def test_gold_entry_missing_its_quote_is_named_by_index(tmp_path):
    line = {**GOOD, "gold": [GOOD["gold"][0], {"doc": "内江自贡同城化发展总体方案", "clause_ref": "二、"}]}
    with pytest.raises(DatasetError, match=r":1: gold\[1\]: missing field\(s\) quote$"):
        load_dataset(write(tmp_path, line))


def test_key_facts_must_be_non_empty_strings(tmp_path):
    with pytest.raises(DatasetError, match=r":1: 'key_facts' must be a list of non-empty strings$"):
        load_dataset(write(tmp_path, {**GOOD, "key_facts": ["28公里", ""]}))


def test_an_empty_file_is_an_error(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(DatasetError, match=r"no items \(expected one JSON object per line\)$"):
        load_dataset(path)


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match=r"absent\.jsonl: cannot read the dataset"):
        load_dataset(tmp_path / "absent.jsonl")
