"""The syntax tree as plain JSON-able data (``ipxescript parse --json``), positions 1-based."""

from __future__ import annotations

from typing import Any

from ipxescript.syntax.tree import Literal, Node, Part, Script


def _range(script: Script, node: Node | Any) -> dict[str, int]:
    sl, sc = script.position(node.start)
    el, ec = script.position(node.end)
    return {
        "line": sl + 1,
        "column": sc + 1,
        "end_line": el + 1,
        "end_column": ec + 1,
        "offset": node.start,
        "end_offset": node.end,
    }


def _part(script: Script, part: Part) -> dict[str, Any]:
    if isinstance(part, Literal):
        return {"type": "literal", "value": part.value, "range": _range(script, part)}
    return {
        "type": "reference",
        "name": part.inner,
        "block": part.block if part.is_static else None,
        "setting": part.setting if part.is_static else None,
        "setting_type": part.type if part.is_static else None,
        "parts": [_part(script, p) for p in part.parts],
        "range": _range(script, part),
    }


def script_to_json(script: Script) -> dict[str, Any]:
    lines = []
    for line in script.lines:
        lines.append(
            {
                "type": "line",
                "first_line": line.first_line + 1,
                "last_line": line.last_line + 1,
                "text": line.text,
                "unterminated": line.unterminated,
                "label": None
                if line.label is None
                else {"name": line.label.name, "range": _range(script, line.label)},
                "commands": [
                    {
                        "type": "command",
                        "name": command.name,
                        "words": [
                            {
                                "text": w.text,
                                "range": _range(script, w),
                                "parts": [_part(script, p) for p in w.parts],
                            }
                            for w in command.words
                        ],
                        "range": _range(script, command),
                    }
                    for command in line.commands
                ],
                "operators": [{"text": op.text, "range": _range(script, op)} for op in line.operators],
                "comment": None
                if line.comment is None
                else {"text": line.comment.text, "range": _range(script, line.comment)},
            }
        )
    return {
        "type": "script",
        "path": script.path,
        "magic": script.magic,
        "encoding_errors": script.encoding_errors,
        "lines": lines,
        "diagnostics": [
            {
                "code": d.code,
                "severity": d.severity.value,
                "message": d.message,
                **{k: v for k, v in _range(script, d).items() if not k.endswith("offset")},
            }
            for d in script.diagnostics
        ],
    }
