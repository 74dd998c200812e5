"""Score fusion: BM25 and cosine scores live on different scales, so each is scaled before mixing.

BM25 is divided by the best BM25 score of the question (1.0 = the best keyword match). Cosine is
scaled from the question's similarity to typical articles (its median similarity to a fixed sample
of the corpus, 0.0) to its best match (1.0): embedding models give unrelated text a high cosine
(about 0.8 for e5), and this floor does not depend on how many candidates or articles there are.
The fused score is the weighted mean (0..1). On the bundled eval set this beat reciprocal-rank
fusion clearly (hit@1 0.88 vs 0.80 at RRF's best weight): RRF throws away how much better the best
BM25 match is than the rest.
"""

from __future__ import annotations

from collections.abc import Mapping


def fuse(
    keyword: Mapping[str, float],
    dense: Mapping[str, float],
    dense_floor: float,
    keyword_weight: float,
    dense_weight: float,
) -> list[tuple[str, float]]:
    """(id, fused score) best first; an id one retriever did not return scores 0 there."""
    keyword_scaled: dict[str, float] = {}
    if keyword:
        best = max(keyword.values())
        keyword_scaled = {key: value / best for key, value in keyword.items()} if best > 0 else {}
    dense_scaled: dict[str, float] = {}
    if dense:
        span = max(dense.values()) - dense_floor
        dense_scaled = {
            key: max(0.0, (value - dense_floor) / span) if span > 0 else 1.0 for key, value in dense.items()
        }
    total = (keyword_weight if keyword else 0.0) + (dense_weight if dense else 0.0)
    if total <= 0:
        return []
    fused = {
        key: (keyword_weight * keyword_scaled.get(key, 0.0) + dense_weight * dense_scaled.get(key, 0.0)) / total
        for key in dict.fromkeys([*keyword, *dense])
    }
    return sorted(fused.items(), key=lambda pair: -pair[1])
