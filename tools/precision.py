#!/usr/bin/env python3
"""Count ipxelint's findings per rule on a corpus of real scripts, and measure precision against a
judgement file.

    python tools/precision.py CORPUS [--judgements FILE] [--write-unjudged FILE] [--markdown]
                              [--scope tree|file|both] [-- IPXELINT-OPTIONS]

CORPUS holds one folder per repository (``<owner>+<repo>/...``, paths kept as in the repository).
Each repository is linted the two ways a user lints a checkout, in-process through the real command
line (config discovery and templates apply):

* ``tree``: ``ipxelint --format json FOLDER``, the folder as one boot tree;
* ``file``: ``ipxelint --format json FILE`` for each script the folder lint finds, one at a time (what
  the pre-commit hook does with a changed file): no parent script is known.

The judgement file is a TSV, one finding per row: ``path`` (relative to CORPUS), ``line``, ``code``,
``verdict``, an optional ``note`` and an optional ``scope`` (``tree``, the default, or ``file``).
Verdicts: ``true`` (iPXE does what the message says and the author did not mean it), ``false`` (the
message is wrong, or the script does what its author meant), ``noise`` (right about iPXE, but not
worth its severity; ``debatable`` in older files means the same). A finding is matched by (path,
line, code, scope); a per-file finding with no row of its own takes the verdict of the tree finding
it repeats (same place, severity and message), or of a true tree finding at the same place (the same
defect, worded for a script alone). Unmatched findings are unjudged (``--write-unjudged``
lists them, same format, verdict empty, with severity and message after the scope). Keep the
judgement file next to the corpus, outside the repository: it quotes other people's files by path.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from click.testing import CliRunner

from ipxescript.lint.cli import lint_command
from ipxescript.lint.discover import discover

Key = tuple[str, int, str, str]  # path, line, code, scope
Finding = dict[str, object]
VERDICTS = ("true", "false", "noise")
ALIASES = {"debatable": "noise"}


def run_lint(target: Path, extra: list[str]) -> list[Finding]:
    result = CliRunner().invoke(lint_command, ["--format", "json", "--fail-on", "never", *extra, str(target)])
    text = result.stdout
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < 0:
        print(f"{target}: no JSON output (exit {result.exit_code})", file=sys.stderr)
        return []
    found: list[Finding] = json.loads(text[start : end + 1])
    return found


def findings(corpus: Path, extra: list[str], scopes: tuple[str, ...]) -> list[Finding]:
    out = []
    root = corpus.resolve()
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for scope in scopes:
            targets = [folder] if scope == "tree" else [Path(p) for p, _error in discover([str(folder)])]
            for target in targets:
                for finding in run_lint(target, extra):
                    finding["path"] = str(Path(str(finding["path"])).resolve().relative_to(root))
                    finding["scope"] = scope
                    out.append(finding)
    return out


def read_judgements(path: Path) -> dict[Key, str]:
    out: dict[Key, str] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 4 or row[0] == "path":
                continue
            verdict = ALIASES.get(row[3], row[3])
            if verdict not in VERDICTS:
                continue
            scope = row[5] if len(row) > 5 and row[5] else "tree"
            out[(row[0], int(row[1]), row[2], scope)] = verdict
    return out


def key(finding: Finding) -> Key:
    return (str(finding["path"]), int(str(finding["line"])), str(finding["code"]), str(finding["scope"]))


def verdicts(found: list[Finding], judged: dict[Key, str]) -> list[str | None]:
    """Each finding's verdict: its own row, else (per file) the tree finding's it repeats."""
    shown = {(key(f)[:3], f["severity"], f["message"]) for f in found if f["scope"] == "tree"}
    out: list[str | None] = []
    for finding in found:
        verdict = judged.get(key(finding))
        if verdict is None and finding["scope"] == "file":
            tree_verdict = judged.get((*key(finding)[:3], "tree"))
            # the same finding, or (worded for a script alone) the same defect: a true tree finding
            if (key(finding)[:3], finding["severity"], finding["message"]) in shown or tree_verdict == "true":
                verdict = tree_verdict
        out.append(verdict)
    return out


def table(found: list[Finding], verdict_of: list[str | None]) -> list[dict[str, object]]:
    rows: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    for finding, verdict in zip(found, verdict_of, strict=True):
        counts = rows[(str(finding["scope"]), str(finding["code"]), str(finding["severity"]))]
        counts["count"] += 1
        counts[verdict or "unjudged"] += 1
    out = []
    for (scope, code, severity), counts in sorted(rows.items(), key=lambda kv: (kv[0][0] != "tree", kv[0])):
        judged = sum(counts[v] for v in VERDICTS)
        share = f"{100 * counts['true'] / judged:.1f}%" if judged else "-"
        out.append(
            {
                "scope": scope,
                "code": code,
                "severity": severity,
                **{k: counts[k] for k in ("count", *VERDICTS, "unjudged")},
                "precision": share,
            }
        )
    return out


def summary(rows: list[dict[str, object]], scope: str, severity: str) -> str:
    picked = [r for r in rows if r["severity"] == severity and r["scope"] == scope]
    counts = {v: sum(int(str(r[v])) for r in picked) for v in (*VERDICTS, "unjudged")}
    judged = sum(counts[v] for v in VERDICTS)
    if not judged:
        return f"{scope} {severity}: nothing judged"
    return (
        f"{scope} {severity}: {counts['true']}/{judged} true ({100 * counts['true'] / judged:.1f}%), "
        f"{counts['false']} false, {counts['noise']} noise, {counts['unjudged']} unjudged"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--judgements", type=Path)
    parser.add_argument("--write-unjudged", type=Path)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--all", action="store_true", help="include infos (default: errors and warnings)")
    parser.add_argument("--scope", choices=("tree", "file", "both"), default="both")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.lint_args = argv[cut + 1 :]  # extra ipxelint options, after --
    scopes = ("tree", "file") if args.scope == "both" else (args.scope,)
    found = findings(args.corpus, args.lint_args, scopes)
    if not args.all:
        found = [f for f in found if f["severity"] != "info"]
    judged = read_judgements(args.judgements) if args.judgements else {}
    verdict_of = verdicts(found, judged)
    rows = table(found, verdict_of)
    if args.write_unjudged:
        with args.write_unjudged.open("w", encoding="utf-8") as f:
            f.write("path\tline\tcode\tverdict\tnote\tscope\tseverity\tmessage\n")
            for finding, verdict in zip(found, verdict_of, strict=True):
                if verdict is None:
                    message = str(finding["message"]).replace("\t", " ")
                    path, line, code, scope = key(finding)
                    f.write(f"{path}\t{line}\t{code}\t\t\t{scope}\t{finding['severity']}\t{message}\n")
    columns = ("scope", "code", "severity", "count", *VERDICTS, "unjudged", "precision")
    if args.markdown:
        print("| lint | rule | severity | findings | true | false | noise | unjudged | precision |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| " + " | ".join(str(r[c]) for c in columns) + " |")
    else:
        for r in rows:
            print("\t".join(str(r[c]) for c in columns))
    for scope in scopes:
        for severity in ("error", "warning"):
            print(summary(rows, scope, severity))
    return 0


if __name__ == "__main__":
    sys.exit(main())
