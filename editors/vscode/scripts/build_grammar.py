"""Generate syntaxes/ipxe.tmLanguage.json from the iPXE command catalog.

The grammar follows iPXE's tokeniser, not a shell's: words are runs of non-whitespace, no quotes or
escapes, `#` starts a comment only at the start of a word, `||` `&&` `;` are operators only as whole
words, `${...}` nests, and a label `:name` is recognised only at the start of a line. Options are
highlighted only before a command's first positional word (iPXE stops option parsing there), which needs
each command's option table; hence the grammar is generated rather than written by hand.

Usage: python3 scripts/build_grammar.py CATALOG.json > syntaxes/ipxe.tmLanguage.json
CATALOG.json has the shape of the reference catalog: {"commands": [{"name", "options": [{"short",
"long", "takes_argument"}]}]}. Run without an argument it reads the installed ipxescript catalog.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

WS_BEFORE = r"(?<![^\s])"  # at the start of a word: line start or after whitespace
WORD_END = r"(?=\s|$)"
# the end of a logical line: a line end not preceded by the `\` that joins the next line (the tokeniser
# sees each line with its "\n", so the end of the string after that "\n" must not count either)
LOGICAL_END = r"(?<![\\\n])$"
OPERATOR = r"(?:\|\||&&|;)"
# a command's text ends before an operator word, before a comment word, or at a line end without `\`
COMMAND_END = rf"(?=\s+{OPERATOR}{WORD_END})|(?=\s+#)|{LOGICAL_END}"


def load_catalog(path: str | None) -> list[dict[str, Any]]:
    if path:
        with open(path, encoding="utf-8") as handle:
            return list(json.load(handle)["commands"])
    from ipxescript.catalog import get_catalog

    commands = []
    for command in get_catalog().commands.values():
        options = [
            {"short": o.short, "long": o.long, "takes_argument": o.takes_argument} for o in command.options
        ]
        commands.append({"name": command.name, "options": options})
    return commands


def option_rules(command: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(command.get("options", [])) + [{"short": "-h", "long": "--help", "takes_argument": False}]
    with_arg = [o for o in options if o["takes_argument"]]
    flags = [o for o in options if not o["takes_argument"]]
    rules: list[dict[str, Any]] = []
    if with_arg:
        longs = "|".join(re.escape(o["long"]) for o in with_arg)
        rules.append(
            {
                # --name=value, or --name followed by a value word (which may not start with `-`)
                "match": rf"{WS_BEFORE}({longs})(?:(=)(\S*)|\s+([^\s#-]\S*))?{WORD_END}",
                "captures": {
                    "1": {"name": "variable.parameter.option.ipxe"},
                    "2": {"name": "punctuation.separator.key-value.ipxe"},
                    "3": {"patterns": [{"include": "#value"}]},
                    "4": {"patterns": [{"include": "#value"}]},
                },
            }
        )
    if with_arg:
        flag_chars = "".join(re.escape(o["short"][1:]) for o in flags)
        arg_chars = "".join(re.escape(o["short"][1:]) for o in with_arg)
        rules.append(
            {
                # -x value, -xvalue, or bundled flags ending in one that takes the rest of the word
                "match": rf"{WS_BEFORE}(-[{flag_chars}]*[{arg_chars}])(?:(\S+)|\s+([^\s#-]\S*))?{WORD_END}",
                "captures": {
                    "1": {"name": "variable.parameter.option.ipxe"},
                    "2": {"patterns": [{"include": "#value"}]},
                    "3": {"patterns": [{"include": "#value"}]},
                },
            }
        )
    longs = "|".join(re.escape(o["long"]) for o in flags)
    rules.append({"match": rf"{WS_BEFORE}(?:{longs}){WORD_END}", "name": "variable.parameter.option.ipxe"})
    flag_chars = "".join(re.escape(o["short"][1:]) for o in flags)
    rules.append(
        {"match": rf"{WS_BEFORE}-[{flag_chars}]+{WORD_END}", "name": "variable.parameter.option.ipxe"}
    )
    rules.append({"match": rf"{WS_BEFORE}-\S*", "name": "invalid.illegal.unknown-option.ipxe"})
    return rules


def options_phase(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Options right after the command name, up to the first word that is not an option."""
    return {
        # `\G`: only right after the command name; it must consume something, or the tokeniser would
        # see a rule pushed and popped without progress and give up on the line
        "begin": r"\G\s+(?=-)",
        # the next word is positional (does not start with `-`), or `--` ends the options, or the line ends
        "end": rf"(?=\s+[^\s-])|{WS_BEFORE}(--){WORD_END}|{LOGICAL_END}",
        "endCaptures": {"1": {"name": "punctuation.separator.end-of-options.ipxe"}},
        "patterns": rules,
    }


def command_rule(name: str, rules: list[dict[str, Any]], arguments: str) -> dict[str, Any]:
    return {
        "begin": rf"{WS_BEFORE}({re.escape(name)}){WORD_END}",
        "beginCaptures": {"1": {"name": "support.function.builtin.ipxe"}},
        "end": COMMAND_END,
        "name": f"meta.command.{name}.ipxe",
        "patterns": [options_phase(rules), {"include": arguments}],
    }


def build(commands: list[dict[str, Any]]) -> dict[str, Any]:
    repository: dict[str, Any] = {}
    command_includes = []
    for command in sorted(commands, key=lambda c: (-len(c["name"]), c["name"])):
        key = "command-" + command["name"]
        arguments = "#goto-arguments" if command["name"] == "goto" else "#arguments"
        repository[key] = command_rule(command["name"], option_rules(command), arguments)
        command_includes.append({"include": "#" + key})
    generic_options = [
        {"match": rf"{WS_BEFORE}--?[^\s=]+(?:(=)(\S*))?", "name": "variable.parameter.option.ipxe"}
    ]
    repository["command-other"] = {
        # a command name that is not in the catalog, or that comes from an expansion (`${cmd} args`)
        "begin": rf"{WS_BEFORE}(?!#|{OPERATOR}{WORD_END})(\S+)",
        "beginCaptures": {"1": {"name": "variable.function.ipxe", "patterns": [{"include": "#expansion"}]}},
        "end": COMMAND_END,
        "name": "meta.command.other.ipxe",
        "patterns": [options_phase(generic_options), {"include": "#arguments"}],
    }
    repository.update(
        {
            "magic": {
                "match": r"\A(#!(?:ipxe|gpxe))(?=\s|$)(.*)$",
                "captures": {
                    "1": {"name": "keyword.control.directive.magic.ipxe"},
                    "2": {"name": "comment.line.number-sign.ipxe"},
                },
                "name": "meta.magic.ipxe",
            },
            "comment": {
                # runs to the end of the logical line: a trailing `\` makes the next line part of it
                "begin": rf"{WS_BEFORE}#",
                "beginCaptures": {"0": {"name": "punctuation.definition.comment.ipxe"}},
                "end": LOGICAL_END,
                "name": "comment.line.number-sign.ipxe",
            },
            "label": {
                "match": r"^\s*(:)(\S*)",
                "captures": {
                    "1": {"name": "punctuation.definition.label.ipxe"},
                    "2": {"name": "entity.name.label.ipxe"},
                },
            },
            "operator": {
                "match": rf"{WS_BEFORE}{OPERATOR}{WORD_END}",
                "name": "keyword.operator.logical.ipxe",
            },
            "continuation": {"match": r"\\$", "name": "constant.character.escape.line-continuation.ipxe"},
            "expansion": {
                # only a `${` whose `}` comes before the word ends is an expansion (`${foo` stays literal)
                "begin": r"(\$\{)(?=\S*\})",
                "beginCaptures": {"1": {"name": "punctuation.definition.variable.begin.ipxe"}},
                "end": r"\}",
                "endCaptures": {"0": {"name": "punctuation.definition.variable.end.ipxe"}},
                "name": "meta.expansion.ipxe",
                "patterns": [
                    {"include": "#expansion"},
                    {
                        "match": r"[^\s/:${}]+(?=(?:\$\{\S*\})?/)",
                        "name": "entity.name.namespace.settings-block.ipxe",
                    },
                    {"match": "/", "name": "punctuation.separator.settings-block.ipxe"},
                    {
                        "match": r"(:)([^\s/:${}]*)",
                        "captures": {
                            "1": {"name": "punctuation.separator.type.ipxe"},
                            "2": {"name": "storage.type.setting.ipxe"},
                        },
                    },
                    {"match": r"[^\s/:${}]+", "name": "variable.other.setting.ipxe"},
                ],
            },
            "url": {
                "begin": rf"{WS_BEFORE}(?=[A-Za-z][A-Za-z_-]*://|data:)",
                "end": r"(?=\s)|$",
                "name": "markup.underline.link.ipxe",
                "patterns": [{"include": "#expansion"}],
            },
            "number": {
                "match": rf"{WS_BEFORE}(?:0[xX][0-9A-Fa-f]+|[0-9]+){WORD_END}",
                "name": "constant.numeric.ipxe",
            },
            "value": {"patterns": [{"include": "#expansion"}, {"include": "#number"}]},
            "arguments": {
                "patterns": [
                    {"include": "#url"},
                    {"include": "#number"},
                    {"include": "#expansion"},
                    {"include": "#continuation"},
                ]
            },
            "goto-arguments": {
                "patterns": [
                    {
                        # a literal label name; a target with `${...}` is computed at run time
                        "match": rf"{WS_BEFORE}(?![#-])(?:[^\s$]|\$(?!\{{))+{WORD_END}",
                        "name": "entity.name.label.reference.ipxe",
                    },
                    {"include": "#arguments"},
                ]
            },
            "commands": {"patterns": [*command_includes, {"include": "#command-other"}]},
        }
    )
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "iPXE script",
        "scopeName": "source.ipxe",
        "comment": "Generated by scripts/build_grammar.py from the iPXE command catalog; do not edit.",
        "patterns": [
            {"include": "#magic"},
            {"include": "#comment"},
            {"include": "#label"},
            {"include": "#operator"},
            {"include": "#continuation"},
            {"include": "#commands"},
        ],
        "repository": repository,
    }


def main(argv: list[str]) -> int:
    grammar = build(load_catalog(argv[1] if len(argv) > 1 else None))
    json.dump(grammar, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
