"""A long round sheet in parts a reader can finish and save before the session or the battery runs out.

A residential block holds hundreds of meters. Its sheet is cut, in walking order, into parts of at most
PART_SIZE meters, each cut where the walk changes entrance or floor when it can, and no more parts than that
needs. No register field says which entrance or floor a meter is on, but the locations say it:
"1号楼1单元3层管道井（1-1-301室）" and the next meter's "1号楼2单元1层…" share only "1号楼", while two flats of
one floor share everything up to the flat number. So a cut goes where neighbours share the shortest beginning
of their locations.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

PART_SIZE = 40


class Part(NamedTuple):
    number: int  # 1-based
    start: int  # index of its first row in the sheet
    end: int  # one past its last row
    first: str  # where it begins and ends: the first and last meters' locations (or serials)
    last: str

    @property
    def size(self) -> int:
        return self.end - self.start


def _shared(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def split(places: Sequence[str], size: int = PART_SIZE) -> list[Part]:
    """Parts of the sheet whose rows are at `places` (each row's location or serial), in walking order."""
    cuts = _cuts(tuple(places), size)
    return [Part(k + 1, s, e, places[s], places[e - 1]) for k, (s, e) in enumerate(zip(cuts, cuts[1:], strict=False))]


# The price of the choices, in shared characters: a part costs three (so a cut at an entrance or a floor is worth
# an extra part rather than one between two flats of a floor), and a part of fewer than 12 meters a half for each
# meter it lacks (a part of two meters is a nuisance, not a help).
_PER_CHAR, _PER_PART, _SMALL, _PER_MISSING = 100, 300, 12, 50


@lru_cache(maxsize=64)  # a sheet is the same from one visit to the next
def _cuts(places: tuple[str, ...], size: int) -> list[int]:
    """Where the parts begin, and the sheet's end: the cheapest cuts (dynamic programming over the positions)."""
    n = len(places)
    shared = [0] + [_shared(places[i - 1], places[i]) * _PER_CHAR for i in range(1, n)]
    best = [0] + [0] * n
    back = [0] * (n + 1)
    for i in range(1, n + 1):
        options = (
            (best[j] + shared[j] + _PER_PART + max(0, _SMALL - (i - j)) * _PER_MISSING, j)
            for j in range(max(0, i - size), i)
        )
        best[i], back[i] = min(options)
    cuts = [n]
    while cuts[-1] > 0:
        cuts.append(back[cuts[-1]])
    return cuts[::-1]


def part_of(parts: Sequence[Part], number: int | None) -> Part | None:
    """The part asked for, the first one when none was (or one out of range)."""
    if not parts:
        return None
    if number is None or not 1 <= number <= len(parts):
        return parts[0]
    return parts[number - 1]
