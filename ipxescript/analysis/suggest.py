"""Did-you-mean suggestions that are close enough to be typos, and cheap on large scripts.

A candidate is offered when it is one edit away (insert, delete, replace or swap two neighbours), or,
for words of 6 characters and more, two edits away with a high overall similarity. That keeps real
typos (``chian``, ``echoo``, ``isseq``, ``strat``, ``tool``) and drops far matches (``sub`` ->
``gdbstub``, ``boot`` -> ``boottype``). Among a script's own names (``versions``: labels, settings,
images) a name with other numbers in it than the word's is another version or item, not a typo
(``19.10-boot`` -> ``20.10-boot``, ``centos7`` -> ``centos8``). Candidates are found through an index of their deletion
variants (a name within 2 edits of a word shares a variant with it with at most 2 letters deleted from
each), built once per set on the first question, so a script with thousands of labels and hundreds of
unknown names costs a few dictionary look-ups per name instead of a comparison with every label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property, lru_cache

TEMPLATE_CHARS = set("{}<>%@")
NUMBERS = re.compile(r"[0-9]+")


def _similarity(a: str, b: str) -> float:
    import difflib  # here, not at the top: only a two-edit candidate needs it, and every run imports this

    return difflib.SequenceMatcher(None, a, b).ratio()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, or ``limit + 1`` as soon as it must exceed ``limit``.

    Only the diagonal band of width ``2 * limit + 1`` is computed: cells outside it exceed the limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    over = limit + 1
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        current = [over] * (width + 1)
        if i <= limit:
            current[0] = i
        low = max(1, i - limit)
        high = min(width, i + limit)
        best = current[0] if low == 1 else over
        for j in range(low, high + 1):
            cb = b[j - 1]
            value = previous[j - 1] + (ca != cb)
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and previous2[j - 2] + 1 < value:
                value = previous2[j - 2] + 1
            current[j] = value if value < over else over
            if value < best:
                best = value
        if best > limit:
            return over
        previous2, previous = previous, current
    return previous[width]


MAX_CHECKED = 12


def _shared_ends(a: str, b: str) -> int:
    """Length of the common prefix plus the common suffix."""
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    suffix = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        suffix += 1
    return prefix + suffix


def deletions(word: str, depth: int) -> set[str]:
    """``word`` and every text made by deleting up to ``depth`` of its characters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _depth(word: str) -> int:
    return 2 if len(word) >= 4 else 1


def near_by_scan(word: str, limit: int, names: Iterable[str]) -> set[str]:
    """The names that share a deletion variant with ``word`` (up to ``limit`` deletions from the word,
    ``_depth`` from the name): what the index finds, without building one. Two texts share one iff
    their longest common subsequence is at least as long as each text minus its deletions; that length
    comes from a bit-parallel LCS (Allison-Dix), a few integer operations per character."""
    masks: dict[str, int] = {}
    for i, char in enumerate(word):
        masks[char] = masks.get(char, 0) | (1 << i)
    size = len(word)
    full = (1 << size) - 1
    shortest = size - limit
    found = set()
    for name in names:
        length = len(name)
        depth = 2 if length >= 4 else 1
        if length < shortest or length - depth > size:
            continue
        v = full
        for char in name:
            u = v & masks.get(char, 0)
            v = ((v + u) | (v - u)) & full
        if size - v.bit_count() >= max(shortest, length - depth):
            found.add(name)
    return found


# Questions answered by scanning every name before the index is built: a scan is a few integer
# operations per character of each name, an index a dozen or more strings per name, and most sets
# (the settings written in one boot tree) get a few questions only: over the corpus of real scripts
# IPX403 took half the time with 16 scans before the index as with 4 (~130 vs ~270 ms CPU).
SCANS = 16


class Suggester:
    """Close names from a fixed set of candidates, with results cached per word."""

    def __init__(self, candidates: Iterable[str], versions: bool = False) -> None:
        self.names = sorted({c for c in candidates if c})
        self.versions = versions  # numbers in the names are versions or item numbers (see above)
        self._index: dict[str, list[str]] | None = None
        self._cache: dict[str, list[str]] = {}
        self._scans = 0  # questions answered without the index so far
        # from ``updated``: the suggester whose index this one's is a patch of, and the names that
        # left and came (the index is made when first asked for, like a fresh one's)
        self._base: Suggester | None = None
        self._changes: tuple[set[str], set[str]] = (set(), set())

    @cached_property
    def longest(self) -> int:
        return max(map(len, self.names), default=0)

    @property
    def index(self) -> dict[str, list[str]]:
        if self._index is None and self._base is not None:
            index = dict(self._base.index)  # the lists are replaced below, never changed in place
            gone, new = self._changes
            for name in gone:
                for variant in deletions(name, _depth(name)):
                    index[variant] = [n for n in index[variant] if n != name]
            for name in new:
                for variant in deletions(name, _depth(name)):
                    index[variant] = [*index.get(variant, ()), name]
            self._index, self._base = index, None
        if self._index is None:
            self._index = {}
            for name in self.names:
                for variant in deletions(name, _depth(name)):
                    self._index.setdefault(variant, []).append(name)
        return self._index

    def __call__(self, word: str, n: int = 3) -> list[str]:
        found = self._cache.get(word)
        if found is None:
            found = self._cache[word] = self._suggest(word)
        return found[:n]

    def _suggest(self, word: str) -> list[str]:
        if len(word) < 2 or TEMPLATE_CHARS & set(word):
            return []
        if not self.names:
            return []
        limit = 2 if len(word) >= 6 else 1
        if len(word) - limit > self.longest:
            return []  # no name is that long (a pasted blob: its scan and its deletions grow as its square)
        near: set[str] = set()
        if self._index is None and self._base is None and self._scans < SCANS:
            self._scans += 1
            near = near_by_scan(word, limit, self.names)
        else:
            index = self.index
            for variant in deletions(word, limit):
                near.update(index.get(variant, ()))
        near.discard(word)  # never its own typo (callers may pass a set that holds it)
        numbers = NUMBERS.findall(word) if self.versions else None
        if numbers:  # a name with other numbers is another version or item, not a typo
            near = {name for name in near if NUMBERS.findall(name) in ([], numbers)}
        if len(near) > MAX_CHECKED:  # many look-alikes (generated labels): the ones sharing most of the word
            near = set(
                sorted(near, key=lambda n: (abs(len(n) - len(word)), -_shared_ends(word, n), n))[:MAX_CHECKED]
            )
        scored: list[tuple[int, int, str]] = []
        for name in near:
            distance = edit_distance(word, name, limit)
            if distance > limit:
                continue
            if distance == 2 and _similarity(word, name) < 0.8:
                continue
            scored.append((distance, -_shared_ends(word, name), name))
        return [name for _d, _r, name in sorted(scored)]

    def updated(self, candidates: Iterable[str]) -> Suggester:
        """A suggester for ``candidates`` that reuses this one's index when only a few names changed
        (a label renamed in an edited document), instead of indexing every name again."""
        names = sorted({c for c in candidates if c})
        # patch the nearest suggester that has (or will make) a full index: a version that needed
        # no suggestion never made its own, and each rename must not index every name again
        base = self._base if self._index is None and self._base is not None else self
        gone, new = set(base.names) - set(names), set(names) - set(base.names)
        if len(gone) + len(new) > 16:
            return Suggester(names, self.versions)
        out = Suggester((), self.versions)
        out.names = names
        out._base, out._changes = base, (gone, new)
        return out


@lru_cache(maxsize=64)
def _suggester(candidates: frozenset[str], versions: bool) -> Suggester:
    return Suggester(candidates, versions)


def close_names(word: str, candidates: Iterable[str], n: int = 3, versions: bool = False) -> list[str]:
    """Names from ``candidates`` that ``word`` is probably a typo of, best first (``versions``: see
    the module's docstring)."""
    return _suggester(frozenset(candidates), versions)(word, n)
