"""The Q/A dataset: loading `eval/*.jsonl` (DESIGN.md's eval format) with line-numbered errors, and
checking its gold quotes against an index.

    {"id": "e001", "question": "…", "type": "fact", "answer": "…", "key_facts": ["28公里"],
     "gold": [{"doc": "<title or file>", "clause_ref": "二、（一）", "quote": "<verbatim span>"}]}

Unknown fields are errors rather than ignored: a misspelt "key_fact" would otherwise score silently
as an item with no facts to check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from eval.text import contains
from ingest.records import Article, Document

TYPES = ("fact", "list", "locate", "compare", "multi", "unanswerable", "clause")
UNANSWERABLE = "unanswerable"
ITEM_FIELDS = ("id", "question", "type", "answer", "key_facts", "gold")
GOLD_FIELDS = ("doc", "clause_ref", "quote")


class DatasetError(ValueError):
    """A dataset file that is not in the eval format; the message names the file and line."""


@dataclass(frozen=True)
class Gold:
    """Where the answer is: a document, a clause, and a verbatim span of it."""

    doc: str
    clause_ref: str
    quote: str


@dataclass(frozen=True)
class Item:
    """One question of the dataset with its reference answer and gold evidence."""

    id: str
    question: str
    type: str
    answer: str
    key_facts: tuple[str, ...]
    gold: tuple[Gold, ...]

    @property
    def answerable(self) -> bool:
        return self.type != UNANSWERABLE


def load_dataset(path: Path) -> list[Item]:
    """The items of a dataset file, in file order. Raises `DatasetError` naming the first bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot read the dataset: {error}") from None
    items: list[Item] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        item = parse_item(line, where)
        if item.id in first_line:
            raise DatasetError(f"{where}: duplicate id {item.id!r} (first on line {first_line[item.id]})")
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise DatasetError(f"{path}: no items (expected one JSON object per line)")
    return items


def parse_item(line: str, where: str = "line") -> Item:
    """One dataset line → `Item`; `where` prefixes every error message."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{where}: not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(data).__name__}")
    _check_fields(data, ITEM_FIELDS, where)
    for name in ("id", "question", "type", "answer"):
        if not isinstance(data[name], str):
            raise DatasetError(f"{where}: {name!r} must be a string")
    if not data["id"].strip() or not data["question"].strip():
        raise DatasetError(f"{where}: 'id' and 'question' must not be empty")
    if data["type"] not in TYPES:
        raise DatasetError(f"{where}: unknown type {data['type']!r} (one of: {', '.join(TYPES)})")
    facts = data["key_facts"]
    if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip() for f in facts):
        raise DatasetError(f"{where}: 'key_facts' must be a list of non-empty strings")
    if not isinstance(data["gold"], list):
        raise DatasetError(f"{where}: 'gold' must be a list of {{doc, clause_ref, quote}} objects")
    gold = tuple(_parse_gold(entry, f"{where}: gold[{n}]") for n, entry in enumerate(data["gold"]))
    if data["type"] == UNANSWERABLE and (gold or facts):
        raise DatasetError(f"{where}: an unanswerable item must have empty 'gold' and 'key_facts'")
    if data["type"] != UNANSWERABLE and not gold:
        raise DatasetError(f"{where}: a {data['type']!r} item needs at least one gold entry")
    return Item(data["id"], data["question"], data["type"], data["answer"], tuple(facts), gold)


def _parse_gold(entry: object, where: str) -> Gold:
    if not isinstance(entry, dict):
        raise DatasetError(f"{where}: expected an object with {', '.join(GOLD_FIELDS)}")
    _check_fields(entry, GOLD_FIELDS, where)
    if not all(isinstance(entry[name], str) for name in GOLD_FIELDS):
        raise DatasetError(f"{where}: 'doc', 'clause_ref' and 'quote' must be strings")
    if not entry["quote"].strip() or not entry["doc"].strip():
        raise DatasetError(f"{where}: 'doc' and 'quote' must not be empty")
    return Gold(entry["doc"], entry["clause_ref"], entry["quote"])


def _check_fields(data: dict, fields: tuple[str, ...], where: str) -> None:
    missing = [name for name in fields if name not in data]
    if missing:
        raise DatasetError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise DatasetError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(fields)})")


# -- checking gold against an index ---------------------------------------------------------------
def find_document(name: str, documents: Iterable[Document]) -> Document | None:
    """The document a gold entry names: by title, file name or id."""
    return next((d for d in documents if name in (d.title, d.doc_file, d.doc_id)), None)


def gold_problems(
    items: Iterable[Item],
    documents: list[Document],
    articles: list[Article],
    article_text: Callable[[Article], str],
) -> list[str]:
    """What is wrong with the gold of `items` against an index, one sentence per problem (empty: none).

    Each gold quote must lie (NFKC, white space ignored) inside a chunk of the named document, and each
    key fact inside the whole text (all parts) of an article holding one of the item's gold quotes.
    """
    problems = []
    for item in items:
        holders: list[str] = []
        for gold in item.gold:
            document = find_document(gold.doc, documents)
            if document is None:
                problems.append(f"{item.id}: no indexed document is named {gold.doc!r}")
                continue
            chunks = [a for a in articles if a.doc_id == document.doc_id and contains(a.text, gold.quote)]
            if not chunks:
                problems.append(f"{item.id}: quote {gold.quote!r} is in no chunk of {document.title}")
            holders += [article_text(a) for a in chunks]
        for fact in item.key_facts:
            if holders and not any(contains(text, fact) for text in holders):
                problems.append(f"{item.id}: key fact {fact!r} is not in the article holding its gold quote")
    return problems
