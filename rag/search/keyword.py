"""Keyword retrieval: BM25 (bm25s's "lucene" scores, sparse) over jieba search tokens or character bigrams, and the
tokenizer and word lists (stopwords, particles) every reader of text shares.

On these plans BM25 wins when a question reuses the plan's words; it also gives the IDF weights the
extractive answerer uses to score sentences.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ingest.text import han_bigrams
from rag.search.jieba_loader import jieba_module, posseg_module
from rag.settings import Tokenizer

STOPWORDS_FILE = Path(__file__).with_name("stopwords.txt")
BM25_K1 = 1.5  # bm25s.BM25()'s defaults, which the rankings were tuned and measured with
BM25_B = 0.75
# A word: Chinese, Latin letters with any digits (GDP, IPv6, 5G, PM2.5), or a number.
_WORD = re.compile(r"[\u4e00-\u9fff]+|(?=[A-Za-z0-9.]*[A-Za-z])[A-Za-z0-9]+(?:\.\d+)?|\d+(?:\.\d+)?%?")
_HAN = re.compile(r"[\u4e00-\u9fff]")


# Particles: a "word" jieba glued to one of these ("项是") is a fragment, not a word of its own.
PARTICLES = frozenset("的了是在和与及或吗呢吧啊呀也都就把被之其")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Words never searched for (rag/search/stopwords.txt; `#` starts a comment line)."""
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def tokenize(text: str, mode: Tokenizer = Tokenizer.JIEBA) -> list[str]:
    """Content tokens of `text`: jieba search-mode words (or character bigrams, a lone Chinese
    character standing for itself), lower-cased, stopwords out."""
    stop = stopwords()
    if mode == Tokenizer.BIGRAM:
        tokens: list[str] = []
        for run in _WORD.findall(text):
            if _HAN.match(run):
                tokens += han_bigrams(run) or [run]
            else:
                tokens.append(run.lower())
        return [t for t in tokens if t not in stop]
    words = jieba_module().lcut_for_search(text)
    return [w.lower() for w in words if _WORD.fullmatch(w) and w not in stop]


def bm25_idf(size: int, frequency: int) -> float:
    """BM25's inverse document frequency (Lucene's, always positive) of a token `frequency` of `size` texts hold."""
    return math.log(1 + (size - frequency + 0.5) / (frequency + 0.5))


def median_idf(size: int, frequencies: Iterable[int]) -> float:
    """The median IDF of a vocabulary (its tokens' frequencies): the weight of an ordinary word."""
    weights = sorted(bm25_idf(size, frequency) for frequency in frequencies)
    return weights[len(weights) // 2] if weights else 1.0


def pos_tags(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs from jieba (the reader and document names use the flags)."""
    return [(pair.word, pair.flag) for pair in posseg_module().cut(text)]


def lucene_terms(frequencies: np.ndarray, lengths: np.ndarray, average_length: float, idf: np.ndarray) -> np.ndarray:
    """bm25s's "lucene" BM25 term scores, bit for bit: token frequencies in texts of `lengths` tokens,
    with the tokens' float32 `idf` (arrays of one shape, or frequencies (texts, tokens) against
    lengths[:, None]); each term computed in float64 and stored as float32, as bm25s stores them."""
    norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / average_length)
    return (idf.astype(np.float64) * (frequencies / (norm + frequencies))).astype(np.float32)


class KeywordSearch:
    """BM25 over a fixed list of texts (one per chunk, in the catalogue's order): bm25s's "lucene"
    scores, kept per token as the texts holding it (a sparse column) and summed in float32 in the
    query's order, as bm25s sums them; without bm25s, whose import (scipy with it) was a tenth of a
    fresh `python -m rag ask`."""

    def __init__(self, texts: list[str], mode: Tokenizer = Tokenizer.JIEBA) -> None:
        self.mode = mode
        corpus = [tokenize(text, mode) for text in texts]
        self._size = len(corpus)
        self._document_frequency = Counter(token for tokens in corpus for token in set(tokens))
        self._bigram_frequency = Counter(gram for text in texts for gram in set(han_bigrams(text)))
        self._columns = {token: number for number, token in enumerate(self._document_frequency)}
        lengths = np.fromiter((len(tokens) for tokens in corpus), dtype=np.int64, count=self._size)
        ids = np.fromiter((self._columns[t] for tokens in corpus for t in tokens), dtype=np.int64, count=lengths.sum())
        rows = np.repeat(np.arange(self._size, dtype=np.int64), lengths)
        # one entry per (token, text), in token then text order, with the token's count in the text
        pairs, counts = np.unique(ids * max(self._size, 1) + rows, return_counts=True)
        token_of, self._rows = np.divmod(pairs, max(self._size, 1))
        idf = np.array([bm25_idf(self._size, f) for f in self._document_frequency.values()], dtype=np.float32)
        average = lengths.mean() if self._size else 1.0
        self._terms = lucene_terms(counts, lengths[self._rows], average, idf[token_of])
        self._starts = np.searchsorted(token_of, np.arange(len(self._columns) + 1))

    def __len__(self) -> int:
        return self._size

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every text for the query tokens (zeros when none is known); a token asked
        twice counts twice."""
        total = np.zeros(self._size, dtype=np.float32)
        for token in query_tokens:
            if (column := self._columns.get(token)) is not None:
                start, end = self._starts[column], self._starts[column + 1]
                np.add.at(total, self._rows[start:end], self._terms[start:end])
        return total

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token no text holds gets the highest weight."""
        return self._idf(self._document_frequency.get(token, 0))

    def bigram_idf(self, bigram: str) -> float:
        """Inverse document frequency of a character bigram (0 for one no text holds)."""
        frequency = self._bigram_frequency.get(bigram, 0)
        return self._idf(frequency) if frequency else 0.0

    def _idf(self, frequency: int) -> float:
        return bm25_idf(self._size, frequency)

    @cached_property
    def _typical_idf(self) -> float:
        return median_idf(self._size, self._document_frequency.values())

    def typical_idf(self) -> float:
        """The median IDF of the vocabulary: the weight of an ordinary word."""
        return self._typical_idf

    def frequency(self, token: str) -> int:
        """Number of texts holding the token."""
        return self._document_frequency.get(token, 0)

    def vocabulary(self) -> list[str]:
        """Every token some text holds, in first-seen order."""
        return list(self._document_frequency)
