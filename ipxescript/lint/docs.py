"""Rule documentation: ``--explain CODE`` and ``docs/rules.md``, both built from the rule docstrings."""

from __future__ import annotations

from ipxescript.lint.registry import EXAMPLE_MARKERS, FAMILIES, Rule, all_rules, example_block


def _body(rule: Rule) -> str:
    """The docstring after its title, with ``Failing::``/``Passing::`` blocks as fenced code."""
    lines = rule.doc.splitlines()[1:]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() in EXAMPLE_MARKERS:
            out.append("Failing example:" if line.strip() == "Failing::" else "Passing example:")
            out.append("")
            out.append("```ipxe")
            block, i = example_block(lines, i + 1)
            out.extend(block)
            out.append("```")
            out.append("")
            continue
        out.append(line)
        i += 1
    return "\n".join(out).strip()


def explain(rule: Rule) -> str:
    origin = (
        "detected by the language core (ipxescript.analysis)" if rule.core else f"rule module {rule.module}"
    )
    return (
        f"{rule.code} ({rule.name}): {rule.title}\n"
        f"Default severity: {rule.severity.value}; {origin}.\n\n{_body(rule)}\n"
    )


def rules_markdown() -> str:
    rules = all_rules()
    out = [
        "# ipxelint rules",
        "",
        "<!-- Generated from the rule docstrings by `python -m ipxescript.lint.docs`; "
        "a test keeps this file current. Do not edit by hand. -->",
        "",
        "Every rule has a stable code, a default severity (change it with `[tool.ipxelint.severity]`) and",
        "examples. `ipxelint --explain CODE` prints the same text.",
        "",
        "| code | name | severity | what |",
        "| --- | --- | --- | --- |",
    ]
    for r in rules:
        out.append(
            f"| [{r.code}](#{r.code.lower()}) | {r.name} | {r.severity.value} | {r.title.replace('|', '/')} |"
        )
    family = None
    for r in rules:
        if r.family != family:
            family = r.family
            out += ["", f"## {family}"]
        out += ["", f"### {r.code}", "", f"**{r.name}** ({r.severity.value}): {r.title}", ""]
        if r.core:
            out += ["*Detected by the language core (`ipxescript.analysis`).*", ""]
        out.append(_body(r))
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    target.write_text(rules_markdown(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()

__all__ = ["FAMILIES", "explain", "rules_markdown"]
