#!/usr/bin/env python3
"""Count ipxelint's findings per rule on a corpus of real scripts, and measure precision against a
judgement file.

    python tools/precision.py CORPUS [--judgements FILE] [--write-unjudged FILE] [--markdown]

CORPUS holds one folder per repository (``<owner>+<repo>/...``, paths kept as in the repository).
Each folder is linted the way a user lints a checkout: ``ipxelint --format json FOLDER`` (in-process,
through the real command line), so the boot-tree, config discovery and templates all apply.

The judgement file is a TSV, one finding per row: ``path`` (relative to CORPUS), ``line``, ``code``,
``verdict`` (``true``, ``false`` or ``debatable``) and an optional note. A finding is matched by
(path, line, code). Findings with no row are counted as unjudged (``--write-unjudged`` lists them in
the same format with an empty verdict, ready to fill in). Keep the judgement file next to the corpus,
outside the repository: it quotes other people's files by path.
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

Key = tuple[str, int, str]
VERDICTS = ("true", "false", "debatable")


def lint_folder(folder: Path, extra: list[str]) -> list[dict[str, object]]:
    result = CliRunner().invoke(lint_command, ["--format", "json", "--fail-on", "never", *extra, str(folder)])
    text = result.stdout
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < 0:
        print(f"{folder.name}: no JSON output (exit {result.exit_code})", file=sys.stderr)
        return []
    found: list[dict[str, object]] = json.loads(text[start : end + 1])
    return found


def findings(corpus: Path, extra: list[str]) -> list[dict[str, object]]:
    out = []
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        for finding in lint_folder(folder, extra):
            finding["path"] = str(Path(str(finding["path"])).resolve().relative_to(corpus.resolve()))
            out.append(finding)
    return out


def read_judgements(path: Path) -> dict[Key, str]:
    out: dict[Key, str] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 4 or row[0] == "path" or row[3] not in VERDICTS:
                continue
            out[(row[0], int(row[1]), row[2])] = row[3]
    return out


def key(finding: dict[str, object]) -> Key:
    return (str(finding["path"]), int(str(finding["line"])), str(finding["code"]))


def table(found: list[dict[str, object]], judged: dict[Key, str]) -> list[dict[str, object]]:
    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for finding in found:
        counts = rows[(str(finding["code"]), str(finding["severity"]))]
        counts["count"] += 1
        counts[judged.get(key(finding), "unjudged")] += 1
    out = []
    for (code, severity), counts in sorted(rows.items()):
        out.append(
            {"code": code, "severity": severity, **{k: counts[k] for k in ("count", *VERDICTS, "unjudged")}}
        )
    return out


def precision(rows: list[dict[str, object]], severity: str) -> str:
    picked = [r for r in rows if r["severity"] == severity]
    true = sum(int(str(r["true"])) for r in picked)
    false = sum(int(str(r["false"])) for r in picked)
    debatable = sum(int(str(r["debatable"])) for r in picked)
    judged = true + false + debatable
    if not judged:
        return f"{severity}: nothing judged"
    return (
        f"{severity}: {true}/{judged} true ({100 * true / judged:.1f}%), {false} false, {debatable} debatable, "
        f"{sum(int(str(r['unjudged'])) for r in picked)} unjudged"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--judgements", type=Path)
    parser.add_argument("--write-unjudged", type=Path)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--all", action="store_true", help="include infos (default: errors and warnings)")
    parser.add_argument("lint_args", nargs="*", help="extra ipxelint options, after --")
    args = parser.parse_args()
    found = findings(args.corpus, args.lint_args)
    if not args.all:
        found = [f for f in found if f["severity"] != "info"]
    judged = read_judgements(args.judgements) if args.judgements else {}
    rows = table(found, judged)
    if args.write_unjudged:
        with args.write_unjudged.open("w", encoding="utf-8") as f:
            f.write("path\tline\tcode\tverdict\tnote\tseverity\tmessage\n")
            for finding in found:
                if key(finding) not in judged:
                    message = str(finding["message"]).replace("\t", " ")
                    f.write(
                        f"{finding['path']}\t{finding['line']}\t{finding['code']}\t\t\t{finding['severity']}\t{message}\n"
                    )
    columns = ("code", "severity", "count", *VERDICTS, "unjudged")
    if args.markdown:
        print("| rule | severity | count | true | false | debatable | unjudged |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| " + " | ".join(str(r[c]) for c in columns) + " |")
    else:
        for r in rows:
            print("\t".join(str(r[c]) for c in columns))
    for severity in ("error", "warning"):
        print(precision(rows, severity))
    return 0


if __name__ == "__main__":
    sys.exit(main())
