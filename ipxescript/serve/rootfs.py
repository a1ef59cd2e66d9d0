"""Map request paths to files under ROOT, refusing anything that could leave it or that is private.

One rule for HTTP, TFTP and the policy's script lookups: the request path is split on `/` and `\\`,
empty segments are skipped (so `//boot.ipxe` is `boot.ipxe`, never a redirect), and `..`, dot-files,
NUL bytes, the server's own config and state files (by name, and by where they really are) and symlinks
that resolve outside ROOT are refused.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote


class PathRefused(Exception):
    """The path tries to leave ROOT (or names a hidden file); answer 403 and log the reason."""


# The server's own files are never served, wherever they are: its config (it may hold secrets in
# [metadata]), the API token, and the state (assignments, leases, the boot log, rotated or not, and
# SQLite's side files).
PRIVATE_NAME = re.compile(
    r"^(ipxescript\.toml|api-token|[\w.-]*\.(sqlite3?|db)([-.].*)?|bootlog\.jsonl(\..*)?)$", re.IGNORECASE
)


def split_path(path: str, *, allow_hidden: bool = False) -> list[str]:
    """Segments of a decoded request path; raises PathRefused on traversal attempts, private names (and
    hidden names unless allow_hidden)."""
    if "\x00" in path:
        raise PathRefused("NUL byte in path")
    segments = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    for part in segments:
        if part == "..":
            raise PathRefused("'..' segment")
        if part.startswith(".") and not allow_hidden:
            raise PathRefused(f"hidden name {_short(part)}")
        if len(part) >= 2 and part[1] == ":" and part[0].isalpha():
            raise PathRefused(f"drive-letter path {_short(part)}")
    if segments and PRIVATE_NAME.match(segments[-1]):
        raise PathRefused(f"the server's own file {_short(segments[-1])} is never served")
    return segments


def _short(part: str, limit: int = 80) -> str:
    """A path segment in a refusal (logged, and sent in a TFTP ERROR): a stranger's may be 64 KB long."""
    return repr(part) if len(part) <= limit else f"{part[:limit]!r}..."


def decode_request_path(raw_path: str) -> str:
    """The path part of a raw request target, percent-decoded once (as the file system sees it).

    Decoding once is deliberate: `%252e%252e` names a file literally called `%2e%2e`, which is harmless
    because nothing decodes it again.
    """
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = path.partition("://")
    if sep and "/" not in scheme:  # absolute-form target (RFC 9112 3.2.2): drop scheme and authority
        path = "/" + rest.partition("/")[2]
    return unquote(path, errors="surrogateescape")


class Root:
    """A served directory. `resolve` returns the real path of a regular file inside it, or None.

    `private` names files and directories that are never served even when they lie under ROOT (the
    config file and the state directory).
    """

    def __init__(self, path: Path, private: Iterable[Path | str | None] = ()) -> None:
        self.path = path.resolve()
        self._prefix = str(self.path).rstrip(os.sep) + os.sep
        self.private = tuple(os.path.realpath(p) for p in private if p)

    def contains(self, real: str) -> bool:
        return real.startswith(self._prefix)

    def is_private(self, real: str) -> bool:
        """Whether the real path is the config, the state or inside the state directory."""
        return any(real == p or real.startswith(p.rstrip(os.sep) + os.sep) for p in self.private)

    def check(self, real: str) -> None:
        """Raise PathRefused unless `real` (a resolved path) may be served."""
        if not self.contains(real):
            raise PathRefused("symlink leads outside ROOT")
        if self.private and self.is_private(real):
            raise PathRefused("the server's config and state are never served")

    def relative(self, path: str, *, allow_hidden: bool = False) -> str:
        """The canonical ROOT-relative name ("a/b.ipxe") of a request path; raises PathRefused."""
        return "/".join(split_path(path, allow_hidden=allow_hidden))

    def resolve(self, path: str) -> str | None:
        """Real path of the file `path` names, None if it does not exist; raises PathRefused on escapes."""
        rel = self.relative(path)
        if not rel:
            return None
        real = os.path.realpath(os.path.join(self.path, rel))
        self.check(real)
        return real if os.path.isfile(real) else None

    def open(self, rel: str) -> OpenFile | None:
        """Open the regular file at the canonical `rel` (from `relative`); None if there is none.

        The check is made on the file actually opened: the kernel's name for the descriptor
        (/proc/self/fd/N) must lie under ROOT. That is one readlink instead of an lstat per path component,
        and no symlink can be swapped between the check and the open.
        """
        if not rel:
            return None
        if self.private:  # checked before the open: closing a descriptor of the server's SQLite files
            self.check(os.path.realpath(os.path.join(self.path, rel)))  # would drop its locks on them
        try:
            fd = os.open(os.path.join(self.path, rel), os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            try:
                real = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:  # no /proc: resolve by name
                real = os.path.realpath(os.path.join(self.path, rel))
            self.check(real)
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                os.close(fd)
                return None
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        return OpenFile(fd, real, st)


@dataclass(frozen=True)
class OpenFile:
    """An open regular file under ROOT; the caller closes `fd`."""

    fd: int
    real: str
    st: os.stat_result
