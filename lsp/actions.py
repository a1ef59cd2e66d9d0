"""Code actions: every linter fix, and each did-you-mean suggestion, as a quick fix."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.analysis.diagnostics import Diagnostic, Edit
from ipxescript.lsp.documents import OpenDocument, to_lsp_diagnostic


def code_actions(
    doc: OpenDocument, findings: list[Diagnostic], params: types.CodeActionParams
) -> list[types.CodeAction]:
    positions = doc.positions
    start = positions.offset(params.range.start)
    end = positions.offset(params.range.end)
    wanted = params.context.only
    actions: list[types.CodeAction] = []
    for d in findings:
        if d.end < start or d.start > end:
            continue
        lsp_diagnostic = to_lsp_diagnostic(doc, d)
        if d.fix is not None:
            edits = [
                types.TextEdit(range=positions.range(e.start, e.end), new_text=e.text) for e in d.fix.edits
            ]
            actions.append(
                types.CodeAction(
                    title=f"{d.fix.description} ({d.code})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[lsp_diagnostic],
                    is_preferred=d.fix.safe,
                    edit=types.WorkspaceEdit(changes={doc.uri: edits}),
                )
            )
        for suggestion in d.suggestions:
            edit = types.TextEdit(range=positions.range(d.start, d.end), new_text=suggestion)
            actions.append(
                types.CodeAction(
                    title=f"Did you mean '{suggestion}'? ({d.code})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[lsp_diagnostic],
                    edit=types.WorkspaceEdit(changes={doc.uri: [edit]}),
                )
            )
    safe = [d for d in findings if d.fix is not None and d.fix.safe]
    if safe:
        all_edits = _non_overlapping([e for d in safe if d.fix for e in d.fix.edits])
        actions.append(
            types.CodeAction(
                title="Apply all safe ipxelint fixes",
                kind=types.CodeActionKind.SourceFixAll,
                edit=types.WorkspaceEdit(
                    changes={
                        doc.uri: [
                            types.TextEdit(range=positions.range(e.start, e.end), new_text=e.text)
                            for e in all_edits
                        ]
                    }
                ),
            )
        )
    if wanted:
        actions = [a for a in actions if a.kind and any(a.kind.startswith(k) for k in wanted)]
    return actions


def _non_overlapping(edits: list[Edit]) -> list[Edit]:
    out = []
    last_end = -1
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start >= last_end:
            out.append(edit)
            last_end = max(edit.end, edit.start)
    return out
