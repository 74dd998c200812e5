"""Names that look alike: `chuannan-yuxi-2023.txt`, `ｃｈｕａｎｎａｎ-yuxi-2023.txt`, `сhuannan-yuxi-2023.txt`
(a Cyrillic с) and `chuannan_yuxi_2023.txt` read the same to a person, so a second document under one
of them, or under the title of an indexed one, would be cited as that document (issue 14, item 7: a
forged copy with 2万亿 changed to 20万亿 cited as 《推动川南渝西地区融合发展总体方案》 beside the real one).

`skeleton` is what a name looks like: NFKC (full-width and compatibility forms), letters of other
scripts that look Latin mapped to it (a short table after Unicode's confusables.txt: the Cyrillic,
Greek and Armenian letters drawn like Latin ones), case folded, accents dropped, and no punctuation,
dashes, underscores, spaces or invisible characters. Two names with one skeleton are one name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import IngestError

# Capitals first (before case folding: Greek Μ looks like M, its small μ like u), then small letters.
_CAPITALS = str.maketrans(
    "АВЕКМНОРСТХУЅІЈԚԜҮӀҺԀ" + "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "ABEKMHOPCTXYSIJQWYIHD" + "ABEZHIKMNOPTYX",
)
_SMALL = str.maketrans(
    "аеорсухѕіјԁԛԝһӏүк" + "ονραικτυχγε" + "օսցհո" + "ıɡȷ" + "ーㄧ",
    "aeopcyxsijdqwhlyk" + "ovpaiktuxye" + "oughn" + "igj" + "一一",
)
_DROPPED = ("M", "P", "Z", "C")  # Unicode categories: marks, punctuation, separators, controls/invisibles


def skeleton(name: str) -> str:
    """What a name looks like to a reader; equal skeletons are names a person cannot tell apart."""
    text = unicodedata.normalize("NFKC", name).translate(_CAPITALS).casefold().translate(_SMALL)
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c)[0] not in _DROPPED)


@dataclass(frozen=True)
class Named:
    """What a person tells a document by: its id, file and title."""

    doc_id: str
    doc_file: str
    title: str


class NameRegister:
    """The names taken in an index, and by the files staged so far in one write. A new document may not
    take the file name of another (as its skeleton), the title of one indexed before this write or of a
    bundled plan, nor the id of a bundled plan. Two new documents of one title in one write (a DOCX and
    a text copy of one plan) are both kept: what impersonates is a look-alike of what readers already
    cite, or of a bundled plan, which a rebuild stages before the uploads."""

    def __init__(self, indexed: Iterable[Named], bundled: dict[str, str]) -> None:
        self._titled = {d.doc_id: d for d in indexed}  # whose titles a new document may not take
        self._named = dict(self._titled)  # whose file names a new document may not take
        self._bundled = bundled  # doc_id → file name of the files in the bundled plans' folder

    def check_file(self, doc_id: str, doc_file: str, bundled: bool) -> None:
        """Refuse a file whose name looks like another document's, or that would replace a bundled plan
        (`bundled`: the file is one of them, and passes); `IngestError` on one line."""
        if bundled:
            return
        if doc_id in self._bundled:
            raise IngestError(
                f"{doc_file}: it would replace the bundled plan {self._bundled[doc_id]}; "
                "give the file a name of its own (bundled plans are changed in their folder)",
                "lookalike",
            )
        look = skeleton(Path(doc_file).stem)
        for other in self._named.values():
            if other.doc_id != doc_id and skeleton(Path(other.doc_file).stem) == look:
                raise IngestError(
                    f"{doc_file}: its name looks like {other.doc_file}, the file of 《{other.title}》 "
                    "(a look-alike copy?); give it a name of its own, or delete that document first to replace it",
                    "lookalike",
                )

    def check_title(self, named: Named, bundled: bool) -> None:
        """Refuse a document whose title looks like that of another one readers cite: it would be cited as that one."""
        if bundled:
            return
        look = skeleton(named.title)
        for other in self._titled.values():
            if other.doc_id != named.doc_id and skeleton(other.title) == look:
                raise IngestError(
                    f"{named.doc_file}: its title 《{named.title}》 is that of {other.doc_file} "
                    "(a second or forged copy?); delete that document first to replace it",
                    "lookalike",
                )

    def add(self, named: Named, bundled: bool) -> None:
        """A document staged in this write takes its names (and its title, if it is a bundled plan)."""
        self._named[named.doc_id] = named
        if bundled:
            self._titled[named.doc_id] = named
