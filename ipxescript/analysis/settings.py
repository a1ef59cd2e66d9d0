"""Which settings a script writes and reads (src/hci/commands/nvo_cmd.c and friends)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ipxescript.syntax.tree import Literal, Reference, Word

if TYPE_CHECKING:
    from ipxescript.analysis.model import ScriptModel

# command -> index of the positional that names a setting it stores into
WRITES_POSITIONAL = {
    "set": 0,
    "read": 0,
    "choose": 0,
    "inc": 0,
    "imgset": 0,
    "nslookup": 0,
    "pciscan": 0,
    "usbscan": 0,
}
TAG = re.compile(r"^[0-9]+(\.[0-9]+)*$|^0x[0-9a-fA-F]+$")


def split_name(text: str) -> tuple[str | None, str]:
    """``[block/]name[:type]`` -> (block, name)."""
    block, slash, rest = text.partition("/")
    if not slash:
        return None, text.split(":", 1)[0]
    return block, rest.split(":", 1)[0]


@dataclass
class Access:
    name: str
    block: str | None
    start: int
    end: int
    command: str


@dataclass
class SettingsModel:
    writes: list[Access] = field(default_factory=list)
    reads: list[Access] = field(default_factory=list)
    write_patterns: list[re.Pattern[str]] = field(default_factory=list)
    read_patterns: list[re.Pattern[str]] = field(default_factory=list)

    @cached_property
    def written_names(self) -> set[str]:
        return {w.name for w in self.writes}

    @cached_property
    def read_names(self) -> set[str]:
        return {r.name for r in self.reads}

    def is_written(self, name: str) -> bool:
        return name in self.written_names or any(p.fullmatch(name) for p in self.write_patterns)

    def is_read(self, name: str) -> bool:
        return name in self.read_names or any(p.fullmatch(name) for p in self.read_patterns)


def _word_pattern(word: Word) -> re.Pattern[str]:
    regex = "".join(re.escape(p.value) if isinstance(p, Literal) else ".*" for p in word.parts)
    name = regex.rsplit("/", 1)[-1].split(":", 1)[0]
    return re.compile(name or ".*")


def build_settings(ctx: ScriptModel) -> SettingsModel:
    """What a script writes and reads (``ScriptModel.settings`` caches it)."""
    model = SettingsModel()
    form_names: set[str | None] = set()
    for _line, bound in ctx.commands_named("form"):
        opt = bound.option("name")
        form_names.add(opt.value if opt else None)
    for _line, bound in ctx.commands:
        name = bound.name or ""
        # every reference in every word is a read
        for word in bound.command.words:
            if "${" not in word.text:
                continue  # no reference in it (most words)
            for ref in word.references():
                if ref.is_static:
                    model.reads.append(Access(ref.setting, ref.block, ref.start, ref.end, name))
                elif ref.parts:
                    model.read_patterns.append(_inner_pattern(ref))
        index = WRITES_POSITIONAL.get(name)
        targets: list[Word] = []
        if index is not None and len(bound.positionals) > index:
            targets.append(bound.positionals[index])
        digest = bound.option("set")
        if digest is not None and digest.value_word is not None:
            targets.append(digest.value_word)
        if name == "item" and bound.positionals and not bound.has("gap"):
            ui = bound.option("form") or bound.option("menu")
            if ui is not None and ui.value in form_names or (ui is None and None in form_names):
                targets.append(bound.positionals[0])
        if name == "login":
            model.writes.append(Access("username", None, bound.command.start, bound.command.end, name))
            model.writes.append(Access("password", None, bound.command.start, bound.command.end, name))
        for word in targets:
            if word.is_literal:
                block, setting = split_name(word.text)
                model.writes.append(Access(setting, block, word.start, word.end, name))
            else:
                model.write_patterns.append(_word_pattern(word))
        if name in ("show", "inc", "clear") and bound.positionals and bound.positionals[0].is_literal:
            block, setting = split_name(bound.positionals[0].text)
            if name != "clear":
                word = bound.positionals[0]
                model.reads.append(Access(setting, block, word.start, word.end, name))
    return model


def _inner_pattern(ref: Reference) -> re.Pattern[str]:
    regex = "".join(re.escape(p.value) if isinstance(p, Literal) else ".*" for p in ref.parts)
    name = regex.rsplit("/", 1)[-1].split(":", 1)[0]
    return re.compile(name or ".*")


def settings(model: ScriptModel) -> SettingsModel:
    return model.settings


def is_predefined(ctx: ScriptModel, name: str) -> bool:
    return name in ctx.catalog.setting_names or bool(TAG.match(name))
