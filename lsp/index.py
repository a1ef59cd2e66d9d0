"""What the editor features need to know about one script: labels, gotos, menus, items, choices,
settings set, URLs. Built from the core's syntax tree and option binding; it reports nothing itself.

The link between ``choose`` and ``goto`` follows the common iPXE idiom::

    menu Boot                          # a menu (the unnamed one here)
    item linux Boot Linux              # item id "linux"
    choose --default linux target && goto ${target}

``goto ${target}`` jumps to the label named like the chosen item id, so the item ids of a menu whose
choice feeds a ``goto ${setting}`` refer to labels: they are definitions' references, and a label
rename renames them too (and ``choose --default`` values naming those items).

Labels, menus, items, choices and option bindings come from the one script model
(``ipxescript.analysis.model.ScriptModel``); this module adapts them to what the editor features ask.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ipxescript.analysis.binding import BoundCommand, bind
from ipxescript.analysis.menus import dispatch_gotos, setting_base
from ipxescript.analysis.model import ScriptModel
from ipxescript.catalog import get_catalog
from ipxescript.syntax.tree import Command, Label, Literal, LogicalLine, Reference, Script, Word

IMAGE_FAMILIES = ("imgexec", "imgselect", "imgfetch", "imgargs")
URL_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


@dataclass(eq=False)
class LabelDef:
    name: str
    label: Label
    line: LogicalLine

    @property
    def name_start(self) -> int:
        return self.label.start + 1  # after ":"

    @property
    def name_end(self) -> int:
        return self.label.start + 1 + len(self.name)


@dataclass(eq=False)
class MenuDef:
    name: str | None  # None: the unnamed default menu
    title: str
    command: Command
    line: LogicalLine
    items: list[ItemDef] = field(default_factory=list)
    chooses: list[ChooseUse] = field(default_factory=list)

    @property
    def feeds_goto(self) -> bool:
        """A choice from this menu is jumped to with ``goto ${setting}``."""
        return any(choose.dynamic_gotos for choose in self.chooses)


@dataclass(eq=False)
class ItemDef:
    word: Word | None  # the item id word; None for gaps and separators
    text: str
    command: Command
    line: LogicalLine
    menu: MenuDef | None

    @property
    def name(self) -> str | None:
        return self.word.text if self.word is not None else None


@dataclass(eq=False)
class ChooseUse:
    setting: str | None  # the setting the choice is stored in (name without block and type)
    command: Command
    menu: MenuDef | None
    default: Word | None  # the --default value word
    dynamic_gotos: list[Word] = field(default_factory=list)  # `goto ${setting}` words fed by it


@dataclass(eq=False)
class LabelRef:
    """A word that names a label: a literal goto target, an item id or a ``choose --default`` value."""

    word: Word
    kind: str  # goto | item | default


@dataclass
class ScriptIndex:
    script: Script
    label_defs: list[LabelDef] = field(default_factory=list)
    gotos: list[Word] = field(default_factory=list)  # literal goto targets
    dynamic_gotos: list[Word] = field(default_factory=list)  # goto words holding ${...}
    menus: list[MenuDef] = field(default_factory=list)
    items: list[ItemDef] = field(default_factory=list)
    chooses: list[ChooseUse] = field(default_factory=list)
    set_names: dict[str, list[Word]] = field(default_factory=dict)
    bound: dict[int, BoundCommand] = field(default_factory=dict)  # id(command) -> binding

    # -- lookups ------------------------------------------------------------------------------

    def label(self, name: str) -> LabelDef | None:
        """The label ``goto name`` reaches: the first one from the top of the file."""
        return next((d for d in self.label_defs if d.name == name), None)

    def label_at(self, offset: int) -> LabelDef | None:
        return next((d for d in self.label_defs if d.label.start <= offset <= d.name_end), None)

    def label_refs(self) -> list[LabelRef]:
        refs = [LabelRef(word, "goto") for word in self.gotos]
        for menu in self.menus:
            if not menu.feeds_goto:
                continue
            refs.extend(LabelRef(item.word, "item") for item in menu.items if item.word is not None)
            refs.extend(LabelRef(c.default, "default") for c in menu.chooses if c.default is not None)
        return refs

    def ref_at(self, offset: int) -> LabelRef | None:
        return next((r for r in self.label_refs() if r.word.start <= offset <= r.word.end), None)

    def refs_to(self, name: str) -> list[LabelRef]:
        return [r for r in self.label_refs() if r.word.text == name]

    def item_at(self, offset: int) -> ItemDef | None:
        return next((i for i in self.items if i.word and i.word.start <= offset <= i.word.end), None)

    def dynamic_goto_at(self, offset: int) -> Word | None:
        return next((w for w in self.dynamic_gotos if w.start <= offset <= w.end), None)

    def targets_of_dynamic_goto(self, word: Word) -> list[ItemDef]:
        """The items whose ids a ``goto ${setting}`` can jump to."""
        out: list[ItemDef] = []
        for choose in self.chooses:
            if word in choose.dynamic_gotos and choose.menu is not None:
                out.extend(i for i in choose.menu.items if i.word is not None)
        return out

    def binding(self, command: Command) -> BoundCommand:
        found = self.bound.get(id(command))
        if found is None:
            found = bind(command, get_catalog().commands.get(command.name or ""))
        return found

    def section_of(self, line_index: int) -> LabelDef | None:
        """The label whose section holds a logical line (the last label at or above it)."""
        starts = [d.line.index for d in self.label_defs]
        i = bisect.bisect_right(starts, line_index) - 1
        return self.label_defs[i] if i >= 0 else None


def build_index(model: ScriptModel) -> ScriptIndex:
    """Index a script from its model (ipxescript.analysis.model)."""
    script = model.script
    index = ScriptIndex(script)
    lines: dict[int, LogicalLine] = {}
    for line, bound in model.commands:
        index.bound[id(bound.command)] = bound
        lines[id(bound.command)] = line
        if bound.name == "goto" and bound.positionals:
            target = bound.positionals[0]
            (index.gotos if target.is_literal else index.dynamic_gotos).append(target)
        if bound.name in ("set", "read", "inc", "clear", "choose") and bound.positionals:
            word = bound.positionals[0]
            if word.is_literal:
                index.set_names.setdefault(setting_base(word.text), []).append(word)
    index.label_defs = [LabelDef(label.name, label, line) for label, line in model.label_list]
    menus = model.menus
    for menu in menus.menus:
        command = menu.bound.command
        menu_def = MenuDef(
            menu.name, " ".join(w.text for w in menu.bound.positionals), command, lines[id(command)]
        )
        index.menus.append(menu_def)
        for item in menu.items:
            item_def = _item_def(item.bound, lines[id(item.bound.command)], menu_def)
            menu_def.items.append(item_def)
    index.items = sorted((i for m in index.menus for i in m.items), key=lambda i: i.command.start)
    by_command = {id(m.command): m for m in index.menus}
    for choice in menus.choices:
        bound = choice.bound
        chosen = by_command.get(id(choice.menu.bound.command)) if choice.menu is not None else None
        default = bound.option("default")
        choose = ChooseUse(choice.setting, bound.command, chosen, default.value_word if default else None)
        index.chooses.append(choose)
        if chosen is not None:
            chosen.chooses.append(choose)
    dispatch = dispatch_gotos(model)
    for choose in index.chooses:
        if choose.setting is not None:
            choose.dynamic_gotos.extend(dispatch.get(choose.setting, ()))
    return index


def _item_def(bound: BoundCommand, line: LogicalLine, menu: MenuDef | None) -> ItemDef:
    gap = bound.has("gap")
    words = bound.positionals
    id_word = words[0] if words and not gap and words[0].is_literal else None
    text_words = words if gap else words[1:]
    return ItemDef(id_word, " ".join(w.text for w in text_words), bound.command, line, menu)


def word_at(line: LogicalLine, offset: int) -> Word | None:
    """The word the cursor is in or just after (``echo|`` is in ``echo``)."""
    for word in line.words:
        if word.start <= offset <= word.end:
            return word
    return None


def reference_at(word: Word, offset: int) -> Reference | None:
    """The innermost ``${...}`` holding the offset."""
    found = None
    parts: list[Literal | Reference] = list(word.parts)
    while parts:
        part = parts.pop()
        if isinstance(part, Reference) and part.start <= offset < part.end:
            found = part
            parts = list(part.parts)
    return found


def line_at(script: Script, offset: int) -> LogicalLine | None:
    return script.line_at(offset)


def command_of(line: LogicalLine, word: Word) -> Command | None:
    for command in line.commands:
        if any(w is word for w in command.words):
            return command
    return None
