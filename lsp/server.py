"""The language server: pygls wiring. Each feature lives in its own module; this one keeps the open
documents, runs the linter in the background and turns a failing feature into an error answer."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import LanguageServerProtocol, lsp_method

from ipxescript import __version__
from ipxescript.analysis.boottree import BootTree
from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.model import ScriptModel
from ipxescript.lint.engine import gc_paused
from ipxescript.lsp import (
    actions,
    completion,
    crossfile,
    formatting,
    hover,
    navigation,
    outline,
    semantic,
    signature,
)
from ipxescript.lsp.documents import OpenDocument, config_for, to_lsp_diagnostic, uri_to_path
from ipxescript.lsp.lint_worker import LintAborted, LintRequest, LintWorker, WorkerUnavailable
from ipxescript.lsp.positions import Positions
from ipxescript.lsp.workspace import Workspace
from ipxescript.syntax.incremental import Document

log = logging.getLogger(__name__)
T = TypeVar("T")

# No fixed pause before the lint: it starts once the notifications already received are handled (a
# burst of changes is one lint), and a newer edit stops a lint still running. A single script is linted
# here, incrementally (ipxescript.lint.incremental: the line rules on the edited lines only, the
# cross-line rules on the whole model), one rule per step so other messages are answered in between.
# A script that is part of a boot tree is linted with the tree's other files in the worker process.
# Other open files of an edited tree wait TREE_DELAY, so typing in one file does not re-lint them all.
LINT_DELAY = 0.0
TREE_DELAY = 0.25
# Files on disk that make the open documents' trees and configs (a script without the .ipxe suffix is
# seen again at the next save or open).
WATCHED_FILES = ("**/*.ipxe", "**/pyproject.toml", "**/.ipxelint.toml")


class StaleText(Exception):
    """The document changed before its lint started; a newer lint is on its way."""


class IpxeProtocol(LanguageServerProtocol):
    """pygls's protocol, except that it does not keep its own copy of each changed text: the server
    keeps the core's incremental document, and pygls's copy would cost more per keystroke on a large
    script (it rebuilds the whole text) than the reparse itself."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None


class IpxeLanguageServer(LanguageServer):
    def __init__(self, lint_delay: float = LINT_DELAY) -> None:
        super().__init__(
            "ipxescript",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=IpxeProtocol,
        )
        self.documents: dict[str, OpenDocument] = {}
        self.lint_delay = lint_delay
        self._lint_tasks: dict[str, asyncio.Task[None]] = {}
        self.lint_worker = LintWorker()
        self.worker_failure: str | None = None  # why the worker is not used any more, once it failed
        self.trees = Workspace(self._open_models)
        self._warming: asyncio.Future[None] | None = None

    # -- documents ------------------------------------------------------------------------------

    def document(self, uri: str) -> OpenDocument:
        doc = self.documents.get(uri)
        if doc is None:
            raise JsonRpcInvalidParams(f"document not open: {uri}")
        return doc

    def _encoding(self) -> str:
        encoding = self.workspace.position_encoding if self.workspace else None
        return str(
            encoding.value if isinstance(encoding, types.PositionEncodingKind) else encoding or "utf-16"
        )

    def open(self, item: types.TextDocumentItem) -> OpenDocument:
        root = uri_to_path(self.workspace.root_uri) if self.workspace and self.workspace.root_uri else None
        config, error = config_for(uri_to_path(item.uri), root)
        path = uri_to_path(item.uri)
        doc = OpenDocument(item.uri, item.version, Document(item.text, path), config, error, self._encoding())
        self.documents[item.uri] = doc
        if self._warming is None and self._in_a_tree(doc):
            # only a tree is linted in the worker: start it ahead of the first such lint
            self._warming = asyncio.ensure_future(self.lint_worker.warm())
        self.publish(doc, doc.open_diagnostics())
        self.schedule_lint(doc, delay=0)
        return doc

    def change(self, params: types.DidChangeTextDocumentParams) -> None:
        doc = self.document(params.text_document.uri)
        shown: list[Diagnostic] = doc.shown
        for change in params.content_changes:
            shown = doc.apply_change(change)
        doc.version = params.text_document.version
        self.publish(doc, shown)
        self.schedule_lint(doc, delay=self.lint_delay, edited=True)

    def relint_tree_of(self, changed: OpenDocument) -> None:
        """Other open documents of the same tree see the edit too (a setting, a label, a chain): those
        connected to it now, and those its last lint read (an edit that removed a chain leaves them)."""
        self._relint(changed.path, changed.peers | self._connected(changed))

    def _connected(self, doc: OpenDocument) -> frozenset[Path]:
        view = self.tree_view(doc)
        return frozenset(f.path for f in view.tree.connected(view.file)) if view is not None else frozenset()

    def _relint(self, changed: str | None, paths: frozenset[Path]) -> None:
        for other in list(self.documents.values()):
            if other.path is not None and other.path != changed and Path(other.path) in paths:
                other.linted = None
                self.schedule_lint(other, delay=max(self.lint_delay, TREE_DELAY))

    def close(self, uri: str) -> None:
        doc = self.documents.pop(uri, None)
        task = self._lint_tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if doc is not None and doc.peers:
            # the others of its tree read the file on disk from now on, not the unsaved text
            self._relint(doc.path, doc.peers)

    async def watch_files(self) -> None:
        """Ask the client to tell about scripts and configs created, changed or deleted on disk (a git
        checkout, another editor): the trees of the open documents are made of them."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if not (watched and watched.dynamic_registration):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_FILES]
        )
        registration = types.Registration(
            id="ipxescript-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await self.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as exc:  # the client refused: files changed on disk are seen at the next save
            log.warning("file watching not registered: %s", exc)

    def reload_configs(self, delay: float = 0) -> None:
        """Read each open document's config again and lint it again: the files around it changed."""
        root = uri_to_path(self.workspace.root_uri) if self.workspace.root_uri else None
        for doc in list(self.documents.values()):
            config, doc.config_error = config_for(doc.path, root)
            if config != doc.config:  # the same config keeps the document's incremental linter
                doc.config = config
            doc.linted = None
            self.schedule_lint(doc, delay=delay)

    # -- the workspace as a tree --------------------------------------------------------------

    def _open_models(self) -> dict[Path, ScriptModel]:
        return {Path(d.path): d.model for d in self.documents.values() if d.path is not None}

    def workspace_folders(self) -> list[str]:
        if not self.workspace:
            return []
        folders = [uri_to_path(f.uri) for f in self.workspace.folders.values()]
        if not folders and self.workspace.root_uri:
            folders = [uri_to_path(self.workspace.root_uri)]
        return [f for f in folders if f]

    def view(self, doc: OpenDocument) -> crossfile.TreeView | None:
        """The document's place in the boot tree of its workspace folder (None for an unsaved one)."""
        if doc.path is None:
            return None
        self._sync_folders()
        found = self.trees.tree(doc.path, doc.config)
        if found is None:
            return None
        open_docs = {Path(d.path): d for d in self.documents.values() if d.path is not None}
        return crossfile.TreeView(found[0], found[1], doc, open_docs)

    def navigation_view(self, doc: OpenDocument) -> crossfile.TreeView | None:
        """``view``; for an unsaved buffer, a tree of the buffer alone, so that its settings go to
        their ``set`` and rename as a saved file's do."""
        if doc.path is not None:
            return self.view(doc)
        alone = Path("/", "untitled", doc.uri.replace("/", "_"))  # a name no file on disk has
        tree = doc.memo("tree-alone", lambda: BootTree([(alone, doc.model)], alone.parent))
        tree_file = tree.file(alone)
        return None if tree_file is None else crossfile.TreeView(tree, tree_file, doc, {alone: doc})

    def tree_view(self, doc: OpenDocument) -> crossfile.TreeView | None:
        """``view``, but None at once when no other script is around (no tree to lint with)."""
        return self.view(doc) if self._in_a_tree(doc) else None

    def _in_a_tree(self, doc: OpenDocument) -> bool:
        """Other scripts are around the document: it may be linted as a file of their boot tree."""
        if doc.path is None:
            return False
        self._sync_folders()
        return not self.trees.alone(doc.path)

    def _sync_folders(self) -> None:
        folders = self.workspace_folders()
        if folders != [str(f) for f in self.trees.folders]:
            self.trees.set_folders(folders)

    # -- diagnostics ----------------------------------------------------------------------------

    def publish(
        self, doc: OpenDocument, findings: list[Diagnostic], extra: list[Diagnostic] | None = None
    ) -> None:
        """Send ``findings``, after any problem with the configuration or the linter itself."""
        first = list(extra or [])
        if doc.config_error:
            problem = f"ipxelint configuration: {doc.config_error}"
            first.insert(0, Diagnostic("config", Severity.ERROR, problem, 0, 0))
        findings = first + findings
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=doc.uri, version=doc.version, diagnostics=[to_lsp_diagnostic(doc, d) for d in findings]
            )
        )

    def schedule_lint(self, doc: OpenDocument, delay: float, edited: bool = False) -> None:
        previous = self._lint_tasks.pop(doc.uri, None)
        if previous is not None:
            previous.cancel()
        self.lint_worker.abort(doc)  # a lint of the previous text is of no use any more
        self._lint_tasks[doc.uri] = asyncio.get_running_loop().create_task(self._lint(doc, delay, edited))

    async def _lint(self, doc: OpenDocument, delay: float, edited: bool = False) -> None:
        await asyncio.sleep(delay)  # 0: after the messages already read (a newer change cancels this)
        if edited:
            self.relint_tree_of(doc)  # here, not in the keystroke's own handler: it reads the tree
        version = doc.version
        log.info("lint %s v%s", doc.uri, version)
        with gc_paused():  # a collection over a large tree comes after the publish, not before it
            await self._lint_and_publish(doc, version)

    async def _lint_and_publish(self, doc: OpenDocument, version: int) -> None:
        try:
            findings = await self.lint_now(doc)
        except StaleText as exc:
            log.info("lint %s v%s: stale (%s)", doc.uri, version, exc.__cause__)
            return
        except Exception as exc:  # a broken rule or setting must not take the server down with it
            log.exception("ipxelint failed")
            if self._is_current(doc, version):
                problem = "ipxelint failed: " + str(exc).removeprefix("ipxelint failed: ")
                self.publish(doc, doc.shown, extra=[Diagnostic("lint", Severity.ERROR, problem, 0, 0)])
            return
        log.info("lint %s v%s: %d findings", doc.uri, version, len(findings))
        if self._is_current(doc, version):
            self.publish(doc, findings)

    def lint_request(self, doc: OpenDocument) -> LintRequest:
        """The document alone, or as a file of its boot tree when other files chain it or it chains
        them: then settings, failure handlers and chain paths come from those files."""
        view = self.tree_view(doc)
        if view is None or not (view.tree.parents(view.file) or view.tree.children(view.file)):
            doc.peers = frozenset()
            return LintRequest(doc.text, doc.path, doc.config)
        connected = view.tree.connected(view.file)
        doc.peers = frozenset(f.path for f in connected)
        files = tuple((str(f.path), view.text(f), doc.config) for f in connected)
        return LintRequest(doc.text, str(view.file.path), doc.config, files, str(view.tree.root))

    def worker_failed(self, reason: str) -> None:
        """Say that the lint worker is gone, in the log and to the user, and lint in process from now on."""
        self.worker_failure = reason
        message = (
            f"ipxescript: {reason}. Linting continues in the language server's own process "
            "(typing may lag on large scripts while it runs)."
        )
        log.error("%s", message)
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=message))
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))

    def workspace_symbols(self, query: str) -> list[types.WorkspaceSymbol]:
        """Labels and menus of every script in the workspace folders (and of the open documents)."""
        seen: set[Path] = set()
        views = []
        for doc in list(self.documents.values()):
            view = self.view(doc)
            if view is None:
                continue
            for tree_file in view.tree.files.values():
                if tree_file.path not in seen:
                    seen.add(tree_file.path)
                    views.append((tree_file, view.uri(tree_file), view.positions(tree_file)))
        for folder in self.trees.folders:
            found = self.trees.tree_of_folder(folder)
            for tree_file in found.files.values():
                if tree_file.path not in seen:
                    seen.add(tree_file.path)
                    views.append(
                        (tree_file, tree_file.path.as_uri(), Positions(tree_file.script, self._encoding()))
                    )
        return crossfile.workspace_symbols(views, query)

    def _is_current(self, doc: OpenDocument, version: int) -> bool:
        """The document is still open and still at ``version``."""
        return doc.version == version and self.documents.get(doc.uri) is doc

    async def _lint_here(self, doc: OpenDocument) -> list[Diagnostic]:
        """The document's incremental lint, one rule at a time, giving way to other messages in between;
        StaleText when the text changes meanwhile."""
        version = doc.version
        for _ in doc.linter.steps(doc.script):
            await asyncio.sleep(0)
            if doc.version != version:
                raise StaleText(doc.uri)
        return doc.linter.findings

    async def lint_now(self, doc: OpenDocument) -> list[Diagnostic]:
        """The full lint of the document's current text (cached until the next change): a script alone
        here, incrementally; a script of a boot tree in the worker process (or here in a thread once the
        worker has failed)."""
        if doc.linted is not None:
            return doc.linted
        version, text = doc.version, doc.text
        request = self.lint_request(doc)
        findings: list[Diagnostic] | None = None
        if not request.tree:
            findings = await self._lint_here(doc)
        elif self.worker_failure is None:
            try:
                findings = await self.lint_worker.run(doc, request, wanted=lambda: doc.version == version)
            except LintAborted as exc:
                raise StaleText(doc.uri) from exc
            except WorkerUnavailable as exc:
                self.worker_failed(str(exc))
        if findings is None:
            # in a thread, so requests and the quick diagnostics of new edits are still answered
            findings = await asyncio.to_thread(request.run)
        assert findings is not None
        if doc.version == version and doc.text == text:
            doc.linted = findings
            doc.shown = findings
        return findings


def _guard(feature: Callable[..., T]) -> Callable[..., T]:
    """Answer a failing request with an error that says what broke; the server stays up."""

    @functools.wraps(feature)  # pygls reads the signature to decide whether to pass the server
    def run(*args: Any, **kwargs: Any) -> T:
        try:
            return feature(*args, **kwargs)
        except (JsonRpcInvalidParams, JsonRpcInvalidRequest):
            raise
        except Exception as exc:
            log.exception("%s failed", feature.__name__)
            raise JsonRpcInternalError(f"{feature.__name__} failed: {type(exc).__name__}: {exc}") from exc

    return run


def build_server(lint_delay: float = LINT_DELAY) -> IpxeLanguageServer:
    server = IpxeLanguageServer(lint_delay)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: IpxeLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.open(params.text_document)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: IpxeLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.change(params)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: IpxeLanguageServer, params: None) -> None:
        await ls.lint_worker.close()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: IpxeLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: IpxeLanguageServer, params: types.InitializedParams) -> None:
        await ls.watch_files()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(ls: IpxeLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.trees.files_changed()
        ls.reload_configs()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls: IpxeLanguageServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        ls.trees.set_folders(ls.workspace_folders())
        ls.reload_configs()  # an open document's tree is its workspace folder's: it may have changed

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: IpxeLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        # a new file saved into the folder joins the tree; so do scripts and configs that changed on
        # disk meanwhile, which a client that watches no files tells nothing about
        ls.trees.files_changed()
        ls.reload_configs(delay=TREE_DELAY)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=["{", "-", ":", "/", " "]),
    )
    @_guard
    def on_completion(ls: IpxeLanguageServer, params: types.CompletionParams) -> types.CompletionList:
        doc = ls.document(params.text_document.uri)
        return completion.complete(doc, params.position, ls.tree_view(doc))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @_guard
    def on_hover(ls: IpxeLanguageServer, params: types.HoverParams) -> types.Hover | None:
        doc = ls.document(params.text_document.uri)
        return hover.hover(doc, params.position, ls.tree_view(doc))  # None alone: no tree to build

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @_guard
    def on_definition(ls: IpxeLanguageServer, params: types.DefinitionParams) -> list[types.Location] | None:
        doc = ls.document(params.text_document.uri)
        return navigation.definition(doc, params.position, ls.navigation_view(doc))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @_guard
    def on_references(ls: IpxeLanguageServer, params: types.ReferenceParams) -> list[types.Location]:
        doc = ls.document(params.text_document.uri)
        return navigation.references(
            doc, params.position, params.context.include_declaration, ls.navigation_view(doc)
        )

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @_guard
    def on_prepare_rename(
        ls: IpxeLanguageServer, params: types.PrepareRenameParams
    ) -> types.PrepareRenameResult | None:
        doc = ls.document(params.text_document.uri)
        return navigation.prepare_rename(doc, params.position, ls.navigation_view(doc))

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    @_guard
    def on_rename(ls: IpxeLanguageServer, params: types.RenameParams) -> types.WorkspaceEdit:
        doc = ls.document(params.text_document.uri)
        return navigation.rename(doc, params.position, params.new_name, ls.navigation_view(doc))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    @_guard
    def on_links(ls: IpxeLanguageServer, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        doc = ls.document(params.text_document.uri)
        return navigation.document_links(doc, ls.view(doc))

    @server.feature(types.WORKSPACE_SYMBOL)
    @_guard
    def on_workspace_symbol(
        ls: IpxeLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.WorkspaceSymbol]:
        return ls.workspace_symbols(params.query)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_guard
    def on_symbols(ls: IpxeLanguageServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc = ls.document(params.text_document.uri)
        return doc.memo("symbols", lambda: outline.document_symbols(doc))

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @_guard
    def on_folding(ls: IpxeLanguageServer, params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        doc = ls.document(params.text_document.uri)
        return doc.memo("folding", lambda: outline.folding_ranges(doc))

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, semantic.LEGEND)
    @_guard
    def on_semantic(ls: IpxeLanguageServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
        doc = ls.document(params.text_document.uri)
        return doc.memo("semantic", lambda: semantic.semantic_tokens(doc))

    @server.feature(
        types.TEXT_DOCUMENT_SIGNATURE_HELP,
        types.SignatureHelpOptions(trigger_characters=[" ", "-"]),
    )
    @_guard
    def on_signature(ls: IpxeLanguageServer, params: types.SignatureHelpParams) -> types.SignatureHelp | None:
        return signature.signature_help(ls.document(params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @_guard
    def on_format(ls: IpxeLanguageServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        return formatting.format_document(ls.document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    @_guard
    def on_range_format(
        ls: IpxeLanguageServer, params: types.DocumentRangeFormattingParams
    ) -> list[types.TextEdit]:
        return formatting.format_range(ls.document(params.text_document.uri), params.range)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
        ),
    )
    async def on_code_action(
        ls: IpxeLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        doc = ls.document(params.text_document.uri)
        try:
            findings = await ls.lint_now(doc)
            return actions.code_actions(doc, findings, params)
        except StaleText:
            return []  # the text changed meanwhile: the client asks again for the new text
        except Exception as exc:
            log.exception("code actions failed")
            raise JsonRpcInternalError(f"code actions failed: {type(exc).__name__}: {exc}") from exc

    return server
