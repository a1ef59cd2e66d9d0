"""Open documents: the core's incremental document plus what the server remembers about it.

Diagnostics come in two steps. Right after an edit, only the logical lines it touched are parsed
again (``ipxescript.syntax.incremental``) and the server publishes at once: the last lint's findings,
moved with the text, with those on the reparsed lines replaced by the parser's findings for them. The
document's incremental linter (``ipxescript.lint.incremental``) then runs at once (a newer edit stops
it): the line rules on the reparsed lines only, the cross-line rules on the whole model. Its result,
equal to a full lint of the text, replaces that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types

from ipxescript.analysis.binding import BoundCommand, bind
from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.analysis.model import ScriptModel
from ipxescript.catalog import get_catalog
from ipxescript.lint import LintConfig, load_config
from ipxescript.lint.config import ConfigError
from ipxescript.lint.incremental import IncrementalLinter
from ipxescript.lsp.index import ScriptIndex, build_index
from ipxescript.lsp.positions import Positions
from ipxescript.syntax.incremental import Document
from ipxescript.syntax.tree import Command, Script

T = TypeVar("T")


def uri_to_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path, errors="surrogateescape")  # a name that is not UTF-8: its bytes, as os uses


def displayable(text: str) -> str:
    """``text`` for the client: the bytes of a file (or a file name) that is not UTF-8 are kept as lone
    surrogates (surrogateescape), which JSON can only send as escapes strict parsers refuse (Emacs's
    jsonrpc): shown as U+FFFD instead."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def config_for(path: str | None, root: str | None) -> tuple[LintConfig, str | None]:
    """The ipxelint configuration for a document, and the error text when its config file is bad."""
    start = path or root
    if start is None:
        return LintConfig(), None
    try:
        return load_config(Path(start)), None
    except ConfigError as exc:
        return LintConfig(), str(exc)


@dataclass
class OpenDocument:
    uri: str
    version: int
    document: Document
    config: LintConfig
    config_error: str | None = None
    encoding: str = "utf-16"  # the position encoding agreed with the client
    shown: list[Diagnostic] = field(default_factory=list)  # what was last published, current offsets
    linted: list[Diagnostic] | None = None  # the last full lint, if it is for the current text
    peers: frozenset[Path] = (
        frozenset()
    )  # the files of its tree the last lint read (relinted when it changes)
    _linter: IncrementalLinter | None = None
    _index: ScriptIndex | None = None
    _model: ScriptModel | None = None
    _positions: Positions | None = None
    _memo: dict[str, Any] = field(default_factory=dict)
    _memo_script: Script | None = None

    @property
    def path(self) -> str | None:
        return uri_to_path(self.uri)

    @property
    def script(self) -> Script:
        return self.document.script

    @property
    def text(self) -> str:
        return self.document.text

    @property
    def positions(self) -> Positions:
        if self._positions is None or self._positions.script is not self.script:
            self._positions = Positions(self.script, self.encoding)
        return self._positions

    @property
    def model(self) -> ScriptModel:
        """The script's model (ipxescript.analysis.model) for the current text. After an incremental
        edit the untouched lines keep their command objects, and so their option bindings."""
        previous = self._model
        if previous is None or previous.script is not self.script:
            # patched from the previous version (its settings spliced, ~40 ms instead of ~250 on 10,000
            # lines), which keeps no older one: a chain of old versions is never held
            self._model = ScriptModel(self.script, previous=previous)
            if previous is not None:
                previous.previous = None
        assert self._model is not None
        return self._model

    @property
    def linter(self) -> IncrementalLinter:
        """The document's incremental linter, for its current config."""
        if self._linter is None or self._linter.config is not self.config:
            self._linter = IncrementalLinter(self.config)
        return self._linter

    @property
    def index(self) -> ScriptIndex:
        if self._index is None or self._index.script is not self.script:
            self._index = build_index(self.model)
        return self._index

    def binding(self, command: Command) -> BoundCommand:
        """One command's options and positionals, without indexing the whole script."""
        if self._model is not None and self._model.script is self.script:
            return self._model.bound(command)
        return bind(command, get_catalog().commands.get(command.name or ""))

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per version of the text (editors ask for whole-file views repeatedly)."""
        if self._memo_script is not self.script:
            self._memo = {}
            self._memo_script = self.script
        if name not in self._memo:
            self._memo[name] = compute()
        result: T = self._memo[name]
        return result

    def open_diagnostics(self) -> list[Diagnostic]:
        """Before the first lint: the parser's findings."""
        self.shown = self._parser_findings(0, len(self.text))
        return self.shown

    def apply_change(self, change: types.TextDocumentContentChangeEvent) -> list[Diagnostic]:
        """Apply one content change; return the diagnostics to show right away."""
        self.linted = None
        if isinstance(change, types.TextDocumentContentChangeWholeDocument):
            self.document.replace(change.text)
            self.shown = self._parser_findings(0, len(self.text))
            return self.shown
        positions = self.positions
        start = positions.offset(change.range.start)
        end = max(start, positions.offset(change.range.end))
        delta = len(change.text) - (end - start)
        result = self.document.edit(start, end, change.text)
        lines = self.script.lines
        if result.reparsed and lines:
            first = lines[result.first]
            last = lines[min(len(lines) - 1, result.first + result.reparsed - 1)]
            dirty_start, dirty_end = first.start, last.end
        else:
            dirty_start = dirty_end = start
        kept: list[Diagnostic] = []
        for d in self.shown:
            if d.end < start or (d.end == start and d.start < start):
                moved = d
            elif d.start >= end and (d.start > end or d.end > d.start):
                moved = replace(d, start=d.start + delta, end=d.end + delta)
            else:
                continue
            if not (dirty_start <= moved.start < dirty_end):
                kept.append(moved)
        kept.extend(self._parser_findings(dirty_start, dirty_end))
        kept.sort(key=lambda d: (d.start, d.code))
        self.shown = kept
        return kept

    def _parser_findings(self, start: int, end: int) -> list[Diagnostic]:
        config = self.config
        path = self.path
        return [
            replace(d, severity=config.severity_for(d.code, d.severity))
            for d in self.script.diagnostics
            if start <= d.start < end or (d.start == end == len(self.text))
            if config.enabled(d.code, path)
        ]


def to_lsp_diagnostic(doc: OpenDocument, d: Diagnostic) -> types.Diagnostic:
    severity = {
        "error": types.DiagnosticSeverity.Error,
        "warning": types.DiagnosticSeverity.Warning,
        "info": types.DiagnosticSeverity.Information,
    }[d.severity.value]
    data = {"fix": d.fix is not None, "suggestions": list(d.suggestions)}
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=Path(r.path).absolute().as_uri(),
                range=types.Range(
                    start=types.Position(r.line - 1, r.column - 1),
                    end=types.Position(r.line - 1, r.column - 1),
                ),
            ),
            message=displayable(r.message),
        )
        for r in d.related
    ]
    return types.Diagnostic(
        range=doc.positions.range(d.start, d.end),
        message=displayable(d.message + (f" ({d.via})" if d.via else "")),
        severity=severity,
        code=d.code,
        source="ipxelint",
        data=data,
        related_information=related or None,
    )
