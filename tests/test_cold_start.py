"""A fresh `python -m rag ask` (issue 16) loads only what answering needs, and the quicker ways it
loads them give what the slow ones gave: bm25s's scores without bm25s, jieba's tables from caches."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import bm25s
import numpy as np
from conftest import PROJECT

from rag.api import PlanQA
from rag.search.keyword import KeywordSearch, tokenize
from rag.store.catalogue import index_text

# Loaded only by the paths that use them: ingest, the app, a chat model, a mistyped word.
NOT_ON_THE_ASK_PATH = ("bm25s", "scipy", "pypinyin", "openai", "langchain_core", "gradio")


def _fresh(code: str, tmp: Path) -> str:
    """stdout of `code` in a fresh interpreter of this checkout, with `tmp` as its temp folder."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT), "TMPDIR": str(tmp), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_keyword_scores_are_bm25s_scores_bit_for_bit(planqa: PlanQA) -> None:
    texts = [index_text(a) for a in planqa.index.catalogue().articles]
    ours = KeywordSearch(texts)
    corpus = [tokenize(text) for text in texts]
    theirs = bm25s.BM25()
    theirs.index(corpus, show_progress=False)
    vocabulary = sorted({t for tokens in corpus for t in tokens})
    pick = random.Random(16)
    queries = [[t] for t in vocabulary] + [pick.choices(vocabulary, k=pick.randint(2, 8)) for _ in range(500)]
    queries += [[t, t] for t in vocabulary[:50]]  # a token asked twice counts twice
    for query in queries:
        got = ours.scores(query + ["从未出现的词"])
        assert got.dtype == np.float32
        assert np.array_equal(got, theirs.get_scores(query)), query
    assert np.array_equal(ours.scores(["从未出现的词"]), np.zeros(len(texts), dtype=np.float32))
    assert len(KeywordSearch([]).scores(["规划"])) == 0


def test_answering_leaves_other_paths_unloaded(built_home: Path, tmp_path: Path) -> None:
    loaded = _fresh(
        "import json, sys\n"
        "from rag.api import PlanQA\n"
        "from rag.settings import Settings\n"
        f"qa = PlanQA(Settings(_env_file=None, home={str(built_home)!r}), build=False)\n"
        "answer = qa.ask('内江和自贡相距多远')\n"
        f"print(json.dumps([answer.citations[0].article.clause_ref, [m for m in {NOT_ON_THE_ASK_PATH!r} if m in sys.modules]]))",
        tmp_path,
    )
    assert json.loads(loaded) == ["二、（一）", []]


def test_jieba_from_its_caches_is_jieba_from_its_dictionary(tmp_path: Path) -> None:
    """The first process builds jieba's cache and the tag table's; the second reads both. Both give
    jieba's own prefix dictionary and a table equal to one parsed from dict.txt."""
    code = (
        "import jieba, jieba.posseg as slow\n"
        "reference = jieba.Tokenizer(); reference.initialize()\n"
        "parsed = slow.POSTokenizer(reference).word_tag_tab\n"
        "import sys; del sys.modules['jieba.posseg']\n"
        "from rag.search.keyword import jieba_module, pos_tags, posseg_module\n"
        "dt = jieba_module().dt\n"
        "print(dt.FREQ == reference.FREQ, dt.total == reference.total, posseg_module().dt.word_tag_tab == parsed,\n"
        "      pos_tags('内江和自贡相距多远'))"
    )
    expected = "True True True [('内江', 'ns'), ('和', 'c'), ('自贡', 'v'), ('相距', 'v'), ('多', 'm'), ('远', 'a')]"
    assert _fresh(code, tmp_path) == expected
    cached = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".marshal") or p.name == "jieba.cache")
    assert cached[0] == "jieba.cache" and cached[1].startswith("planqa-jieba-tags-") and len(cached) == 2
    assert _fresh(code, tmp_path) == expected
    (tmp_path / cached[1]).write_bytes(b"not marshal")  # a broken cache: parsed again, and rewritten
    assert _fresh(code, tmp_path) == expected
    assert (tmp_path / cached[1]).stat().st_size > 1_000_000
