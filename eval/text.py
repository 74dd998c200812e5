"""Text matching as DESIGN.md defines it: NFKC-normalised, with all white space removed.

The plans mix full-width and half-width punctuation ("，" / ",") and carry stray spaces from their
web pages; NFKC folds the first, dropping white space the second, so a quote copied from either
form matches the other.
"""

from __future__ import annotations

import re
import unicodedata

_WHITE_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, white space removed."""
    return _WHITE_SPACE.sub("", unicodedata.normalize("NFKC", text))


def contains(text: str, span: str) -> bool:
    """Whether `text` holds `span` once both are normalised (an empty span is never held)."""
    wanted = normalise(span)
    return bool(wanted) and wanted in normalise(text)
