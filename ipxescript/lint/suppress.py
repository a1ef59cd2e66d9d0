"""In-script suppression comments.

``# ipxelint: disable=IPX101,IPX2`` on a line of its own silences those codes (or code prefixes, rule
names, or ``all``) on the next line that is not blank or a comment; written after a command it silences its own
line. ``# ipxelint: disable-file=IPX404`` anywhere silences the codes in the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.syntax.tree import Script

# the codes: a comma-separated list; words after it are the writer's reason ("disable=IPX403 set by DHCP")
DIRECTIVE = re.compile(
    r"#\s*ipxelint:\s*(disable|disable-file|disable-next-line)\s*=\s*([\w-]+(?:\s*,\s*[\w-]+)*)"
)


@dataclass
class Suppressions:
    whole_file: set[str] = field(default_factory=set)
    by_line: dict[int, set[str]] = field(default_factory=dict)  # logical line index -> codes

    def hides(self, diagnostic: Diagnostic, line_index: int | None) -> bool:
        codes = set(self.whole_file)
        if line_index is not None:
            codes |= self.by_line.get(line_index, set())
        return any(c == "ALL" or diagnostic.code.startswith(c) for c in codes)


def _codes(text: str) -> set[str]:
    """Codes, prefixes, ``all`` or rule names (``goto-missing-label``), as ``--ignore`` takes them."""
    out = set()
    for word in (c.strip() for c in text.split(",")):
        if "-" in word:
            from ipxescript.lint.registry import find_rule

            rule = find_rule(word)
            if rule is not None:
                out.add(rule.code)
        elif word:
            out.add(word.upper())
    return out


def find_suppressions(script: Script) -> Suppressions:
    found = Suppressions()
    if "ipxelint" not in script.text:
        return found  # most scripts: no walk over every line (the language server asks after each edit)
    pending: set[str] = set()
    for line in script.lines:
        has_code = any(c.words for c in line.commands) or line.label is not None
        if pending and has_code:
            found.by_line.setdefault(line.index, set()).update(pending)
            pending = set()
        if line.comment is None or "ipxelint" not in line.comment.text:
            continue
        for match in DIRECTIVE.finditer(line.comment.text):
            kind, codes = match.group(1), _codes(match.group(2))
            if kind == "disable-file":
                found.whole_file |= codes
            elif has_code:
                found.by_line.setdefault(line.index, set()).update(codes)
            else:
                pending |= codes
    return found
