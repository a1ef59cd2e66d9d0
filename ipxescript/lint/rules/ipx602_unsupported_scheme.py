"""URL scheme that iPXE does not support

iPXE can download with ``http``, ``https``, ``tftp``, ``ftp``, ``nfs``, ``data``, ``file`` and a few
SAN schemes (``iscsi``, ``aoe``, ...) -- not ``ssh``, ``smb`` or ``s3``. Anything before the first
``:`` made of letters, ``-`` and ``_`` is taken as a scheme, so ``server:8080/boot.ipxe`` asks for the
scheme ``server``. Such a download fails with "Operation not supported". (Schemes that iPXE has but the
chosen build lacks are IPX109.)

Failing::

    #!ipxe
    chain smb://fileserver/boot.ipxe

Passing::

    #!ipxe
    chain http://fileserver/boot.ipxe
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import known_schemes, url_uses

CODE = "IPX602"
NAME = "unsupported-scheme"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    known = known_schemes(ctx)
    for use in url_uses(ctx):
        scheme = use.scheme
        if scheme is None or scheme.lower() in known:
            continue
        if len(scheme) == 1:
            what = f"'{scheme}:' looks like a Windows drive letter; iPXE loads files by URL, e.g. tftp:// or http://"
        elif "://" not in use.literal_prefix:
            what = f"iPXE reads '{scheme}:' as a URL scheme it does not support; for a host and port write http://{use.literal_prefix}"
        else:
            what = f"iPXE does not support '{scheme}:' URLs (use http, https, tftp, ...)"
        yield Diagnostic(CODE, SEVERITY, what, use.word.start, use.word.start + len(scheme) + 1)
