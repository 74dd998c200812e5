"""Is a word anywhere in the plans? Answered without scanning tens of millions of characters."""

from __future__ import annotations

import numpy as np

_HASH_PRIME = 0x100000001B3  # FNV-1a's 64-bit prime
_MASK64 = (1 << 64) - 1
_CODE_POINTS = 0x110000


class PhraseLookup:
    """`word in corpus` with the answers of the string itself, without scanning it for most words.

    The reader asks this of every word of a question (twice); at 100k chunks the corpus holds tens
    of millions of characters, and a plan word that occurs only late in it, or not at all, cost a
    scan of tens of milliseconds. A word is in the text only if each of its characters and of its
    2-, 3- and 4-character pieces is: the characters and the pairs of them are kept exactly, the
    longer pieces hashed into one bitmap per length (it may say "present" wrongly, never "absent").
    For the words that pass, the first and last places where each piece occurs (per hash slot, so
    bounds, never wrong) say where an occurrence can start, and only that stretch is searched.
    """

    GRAMS = (2, 3, 4)
    BLOCK = 1 << 22  # characters hashed at a time: bounds the temporary arrays (~100 MB at most)
    MIN_BITS, MAX_BITS = 16, 25  # bitmap slots: ~2 per character, 8 KB to 4 MB a length once packed
    MAX_BOUND_BITS = 21  # 2M slots of first/last places per piece length (8 MB each)
    MAX_PAIR_BITS = 1 << 28  # character pairs kept exactly while there are under ~16k distinct characters

    def __init__(self, text: str) -> None:
        self._text = text
        self._bits = min(max((2 * len(text)).bit_length(), self.MIN_BITS), self.MAX_BITS)
        self._bound_bits = min(self._bits, self.MAX_BOUND_BITS)
        counts = np.zeros(_CODE_POINTS, dtype=np.int64)
        for start in range(0, len(text), self.BLOCK):
            counts += np.bincount(self._codes(text, start, 0), minlength=_CODE_POINTS)
        present = np.flatnonzero(counts)
        self._chars = frozenset(map(chr, present))
        self._ids = {chr(code): number for number, code in enumerate(present)}  # character → its row of pairs
        pairs = len(present) ** 2 if len(present) ** 2 <= self.MAX_PAIR_BITS else 0  # else hashed as the rest
        char_ids = np.zeros(_CODE_POINTS, dtype=np.int64)
        char_ids[present] = np.arange(len(present))
        seen = {n: np.zeros(pairs if n == 2 and pairs else 1 << self._bits, dtype=bool) for n in self.GRAMS}
        self._first = {n: np.full(1 << self._bound_bits, np.iinfo(np.int32).max, dtype=np.int32) for n in self.GRAMS}
        self._last = {n: np.full(1 << self._bound_bits, -1, dtype=np.int32) for n in self.GRAMS}
        for start in range(0, len(text), self.BLOCK):
            codes = self._codes(text, start, max(self.GRAMS) - 1)
            if pairs and len(codes) >= 2:
                ids = char_ids[codes]
                seen[2][ids[:-1] * len(present) + ids[1:]] = True
            codes = codes.astype(np.uint64)
            for n in self.GRAMS:
                if len(codes) < n:
                    continue
                digests = _digests(codes, n)
                if not (n == 2 and pairs):
                    seen[n][digests >> np.uint64(64 - self._bits)] = True
                slots = digests >> np.uint64(64 - self._bound_bits)
                places = np.arange(start, start + len(slots), dtype=np.int32)
                np.minimum.at(self._first[n], slots, places)
                np.maximum.at(self._last[n], slots, places)
        self._pairs = len(present) if pairs else 0
        self._seen = {n: np.packbits(bits).tobytes() for n, bits in seen.items()}  # 1 bit a slot, high bit first

    def _codes(self, text: str, start: int, overlap: int) -> np.ndarray:
        """Code points of one block of the text (with `overlap` characters of the next)."""
        return np.frombuffer(text[start : start + self.BLOCK + overlap].encode("utf-32-le"), dtype=np.uint32)

    def _slot(self, piece: str, digest: int) -> int:
        if len(piece) == 2 and self._pairs:
            return self._ids[piece[0]] * self._pairs + self._ids[piece[1]]
        return digest >> (64 - self._bits)

    def __contains__(self, word: str) -> bool:
        if any(char not in self._chars for char in word):
            return False
        if len(word) <= 1:
            return True
        low, high = 0, len(self._text)  # where an occurrence can start
        for n in self.GRAMS:
            seen = self._seen[n]
            for offset in range(len(word) - n + 1):
                piece = word[offset : offset + n]
                digest = _digest(piece)
                slot = self._slot(piece, digest)
                if not seen[slot >> 3] >> (7 - (slot & 7)) & 1:
                    return False
                bound = digest >> (64 - self._bound_bits)
                low = max(low, int(self._first[n][bound]) - offset)
                high = min(high, int(self._last[n][bound]) - offset)
        return low <= high and self._text.find(word, low, high + len(word)) != -1


def _digests(codes: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of every n-character piece of `codes` (FNV-style xor-multiply)."""
    digest = np.zeros(len(codes) - n + 1, dtype=np.uint64)
    for offset in range(n):
        digest = (digest ^ codes[offset : len(codes) - n + 1 + offset]) * np.uint64(_HASH_PRIME)
    return digest


def _digest(piece: str) -> int:
    """`_digests` of one piece, in plain Python (a question's words are short)."""
    digest = 0
    for char in piece:
        digest = ((digest ^ ord(char)) * _HASH_PRIME) & _MASK64
    return digest
