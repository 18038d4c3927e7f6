"""Article-level folds: a question and every other question about its article land on the same side.

Within each source (SQuAD 2.0, SQuAD 1.1, SelQA) one article in five is held out, the articles ordered by a hash
of their name, so the held-out fold has unanswerable questions to calibrate on and no article is on both sides.

>>> held = validation_groups(["squad2:A", "squad2:B", "squad2:C", "squad2:D", "squad2:E"])
>>> len(held), held <= {"squad2:A", "squad2:B", "squad2:C", "squad2:D", "squad2:E"}
(1, True)
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TypeVar

K = TypeVar("K")

VALIDATION_SHARE = 5  # one article in five is held out for validation and calibration


def validation_groups(groups: Iterable[str]) -> set[str]:
    """The held-out articles (`source:title`) of a collection: the first fifth of each source by hash."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for g in sorted(set(groups)):
        by_source[g.split(":", 1)[0]].append(g)
    held: set[str] = set()
    for members in by_source.values():
        members.sort(key=lambda g: hashlib.sha256(g.encode()).hexdigest())
        held.update(members[: max(1, round(len(members) / VALIDATION_SHARE))])
    return held


def one_side(groups: Mapping[K, str], heldout: bool) -> list[K]:
    """The keys whose group (`source:title`) is on one side of the split: the held-out fifth, or the rest.

    >>> keys = {f"q{i}": f"squad2:A{i}" for i in range(5)}
    >>> sorted(one_side(keys, True) + one_side(keys, False)) == sorted(keys), len(one_side(keys, True))
    (True, 1)
    """
    held = validation_groups(groups.values())
    return [key for key, group in groups.items() if (group in held) == heldout]
