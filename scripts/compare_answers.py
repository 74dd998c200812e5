"""Compare two `python -m rag ask --jsonl` outputs field by field (latency aside).

    python scripts/compare_answers.py before.jsonl after.jsonl

Prints each question whose answer, refusal, citations, retrieved list or any other field differs,
and exits 1 when any does: the check that a refactor changed no answer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

IGNORED = {"latency_ms"}  # depends on the machine, not on the code


def rows(path: Path) -> dict[str, dict]:
    """Output lines by question id (or by question text when there is no id)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        found[str(row.get("id") or row["question"])] = {k: v for k, v in row.items() if k not in IGNORED}
    return found


def main(before: str, after: str) -> int:
    old, new = rows(Path(before)), rows(Path(after))
    differ = 0
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        differ += 1
        fields = sorted(f for f in (a or {}).keys() | (b or {}).keys() if (a or {}).get(f) != (b or {}).get(f))
        print(f"{key}: differs in {', '.join(fields)}")
    print(f"{len(old)} before, {len(new)} after, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
