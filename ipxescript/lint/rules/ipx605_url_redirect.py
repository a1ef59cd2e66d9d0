"""URL redirects (``--check-urls``)

With ``--check-urls``, a URL that answers with a redirect is reported with its final location. iPXE
follows HTTP redirects, but each costs a round trip at boot time, and an http-to-https redirect fails
on builds without https (BIOS builds).

Failing::

    #!ipxe
    chain http://127.0.0.1:9/old.ipxe

Passing::

    #!ipxe
    chain ${base}/boot.ipxe
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX605"
NAME = "url-redirect"
SEVERITY = Severity.INFO
NEEDS_NETWORK = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return []  # requests are made by ipxescript.lint.urlcheck when --check-urls is given
