"""Properties of the two parsers that face untrusted input: request paths and Range headers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.serve.http_static import RangeNotSatisfiable, parse_ranges
from ipxescript.serve.rootfs import PathRefused, Root, decode_request_path

SEGMENTS = st.sampled_from(
    ["..", ".", "", "a", "sub", "escape", "secret.txt", "%2e%2e", "%2e", "..%2f", "%5c", "\\", "..\\", "x%00",
     "C:", ".hidden", "%252e%252e", "file.ipxe", "ée", "%ff"]
)  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Root:
    base = tmp_path_factory.mktemp("props")
    root = base / "root"
    (root / "sub").mkdir(parents=True)
    (root / "file.ipxe").write_text("#!ipxe\n")
    (root / "sub" / "file.ipxe").write_text("#!ipxe\n")
    (base / "secret.txt").write_text("secret")
    (root / "escape").symlink_to(base)
    (root / "sub" / "up").symlink_to(root)  # a loop inside ROOT is fine
    return Root(root)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(SEGMENTS, max_size=8), slash=st.sampled_from(["/", "//", "\\"]))
def test_no_request_path_leaves_root(tree: Root, parts: list[str], slash: str) -> None:
    raw = "/" + slash.join(parts)
    try:
        rel = tree.relative(decode_request_path(raw))
        opened = tree.open(rel)
    except PathRefused:
        return
    if opened is not None:
        os.close(opened.fd)
        assert opened.real.startswith(str(tree.path) + os.sep)
        assert Path(opened.real).read_text() == "#!ipxe\n"


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=60))
def test_arbitrary_paths_never_raise_anything_else(tree: Root, text: str) -> None:
    try:
        rel = tree.relative(decode_request_path("/" + text))
        opened = tree.open(rel)
    except PathRefused:
        return
    if opened is not None:
        os.close(opened.fd)
        assert tree.contains(opened.real)


@settings(max_examples=500, deadline=None)
@given(
    header=st.one_of(st.text(max_size=40), st.from_regex(r"bytes=[0-9,\- ]{0,30}", fullmatch=True)),
    size=st.integers(0, 10_000),
)
def test_ranges_are_inside_the_file(header: str, size: int) -> None:
    try:
        ranges = parse_ranges(header, size)
    except RangeNotSatisfiable:
        return
    if ranges is None:
        return
    assert ranges
    for start, end in ranges:
        assert 0 <= start <= end < size
