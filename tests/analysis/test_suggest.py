"""Did-you-mean: a suggester answers the same whether it scans its names or looks them up in its index."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.analysis.suggest import Suggester, _depth, deletions, near_by_scan

# a small alphabet makes near names (shared deletion variants, swaps) common
texts = st.text(alphabet="abcde-_1", min_size=0, max_size=11)


@settings(max_examples=300, deadline=None)
@given(texts, st.lists(texts, max_size=30), st.sampled_from([1, 2]))
def test_the_scan_finds_the_names_that_share_a_deletion_variant(word, names, limit):
    variants = deletions(word, limit)
    expected = {n for n in names if variants & deletions(n, _depth(n))}
    assert near_by_scan(word, limit, names) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=40), st.lists(texts, min_size=1, max_size=12))
def test_a_scanning_suggester_suggests_as_an_indexed_one(names, words):
    scanning = Suggester(names)
    indexed = Suggester(names)
    assert indexed.index is not None  # built before the first question: every answer from the index
    for word in words:  # the first questions are scans, the later ones use the index it then builds
        assert scanning(word, 12) == indexed(word, 12)


def test_typos_of_real_settings_are_found_by_either_way():
    names = ["base-url", "baseurl", "boot-server", "next-server", "filename", "root-path", "hostname"]
    scanning, indexed = Suggester(names), Suggester(names)
    indexed.index  # noqa: B018
    for word in ["base_url", "bootserver", "hostnmae", "rootpath", "filenam", "nextserver"]:
        assert scanning(word) == indexed(word) != []
