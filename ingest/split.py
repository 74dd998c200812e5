"""Splitting an article too long for the embedding model into parts of similar size.

Parts end at paragraph ends where possible, else at sentence ends; a single sentence is cut by
characters only when it alone is over the limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

# A piece cut from a sentence over the limit is first tried this many characters a token long (Chinese
# takes about one token a character, English about four): trying the whole rest of the sentence each
# time took time in the square of its length (a 200,000-digit run: 15 s; at 2,000,000, 25 minutes).
_PIECE_CHARS_PER_TOKEN = 4
# A sentence: up to and including its closing punctuation (and closing quotes), or a whole line.
_SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]+[”’」』）)]*|[^\n]+")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end], white space excluded."""
    spans = []
    for match in _SENTENCE.finditer(text, start, len(text) if end is None else end):
        span = _trimmed(text, *match.span())
        if span[1] > span[0]:
            spans.append(span)
    return spans


def split_parts(text: str, max_tokens: int, count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Contiguous (start, end) parts of `text`, each within `max_tokens`, of similar size."""
    total = count(text)
    if total <= max_tokens:
        return [(0, len(text))]
    target = total / math.ceil(total / max_tokens)
    parts: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    current_tokens = 0
    for start, end in _units(text, max_tokens, count):
        tokens = count(text[start:end])
        if current is not None:
            fits = count(text[current[0] : end]) <= max_tokens
            if fits and current_tokens + tokens / 2 <= target:
                current, current_tokens = (current[0], end), current_tokens + tokens
                continue
            parts.append(current)
        current, current_tokens = (start, end), tokens
    if current is not None:
        parts.append(current)
    return parts


def _units(text: str, max_tokens: int, count: Callable[[str], int]) -> Iterator[tuple[int, int]]:
    """Paragraphs; a paragraph over the limit gives its sentences; a sentence over it, pieces."""
    position = 0
    for line in text.split("\n"):
        paragraph = _trimmed(text, position, position + len(line))
        position += len(line) + 1
        if paragraph[1] <= paragraph[0]:
            continue
        if count(text[paragraph[0] : paragraph[1]]) <= max_tokens:
            yield paragraph
            continue
        for start, end in sentence_spans(text, *paragraph):
            if count(text[start:end]) <= max_tokens:
                yield start, end
                continue
            piece = start
            while piece < end:
                stop = min(end, piece + _PIECE_CHARS_PER_TOKEN * max_tokens)
                while stop - piece > 1 and count(text[piece:stop]) > max_tokens:
                    stop = piece + (stop - piece) * 3 // 4
                yield piece, stop
                piece = stop
