"""A superseding finding hides a victim code's finding that starts inside its range: the engine's
bisect over sorted ranges must hide exactly what a look at every range hides."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.engine import _apply_supersedes

SUPERSEDE = [("IPX205", ("IPX101",)), ("IPX206", ("IPX101", "IPX104")), ("IPX405", ("IPX101",))]
CODES = ["IPX101", "IPX104", "IPX205", "IPX206", "IPX405", "IPX301"]


def _naive(found: list[Diagnostic]) -> list[Diagnostic]:
    ranges = [
        (victim, d.start, max(d.end, d.start + 1))
        for code, victims in SUPERSEDE
        for d in found
        if d.code == code
        for victim in victims
    ]
    return [d for d in found if not any(v == d.code and a <= d.start < b for v, a, b in ranges)]


findings = st.lists(
    st.builds(
        lambda code, start, length: Diagnostic(code, Severity.WARNING, "m", start, start + length),
        st.sampled_from(CODES),
        st.integers(0, 60),
        st.integers(0, 12),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(findings)
def test_supersedes_hide_what_every_range_hides(found: list[Diagnostic]) -> None:
    assert _apply_supersedes(found, SUPERSEDE) == _naive(found)


def test_a_zero_width_superseding_finding_still_hides_its_start() -> None:
    found = [Diagnostic("IPX205", Severity.ERROR, "m", 5, 5), Diagnostic("IPX101", Severity.ERROR, "m", 5, 9)]
    assert _apply_supersedes(found, SUPERSEDE) == found[:1]
