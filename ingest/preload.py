"""Imported once, by the fork server that starts the parse children of `ingest.loaders.run_limited`
(never by anything else): what every parse needs, loaded before the children are forked from it.

Each file is read, cleaned and cut in a child process of its own, so that a time limit can stop it.
A fresh interpreter per file would import the parsers and load the tokenizer's table again (about a
second a file, more than parsing most files takes); a child forked from this server starts with them.
"""

from ingest import pipeline  # noqa: F401 - imported for the children
from ingest.tokens import encoding

encoding()
