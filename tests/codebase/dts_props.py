"""Property names per BokehJS model, read from BokehJS 3.9.2's own `.d.ts` declarations.

Each model class `X` has `export declare namespace X { type Props = Base.Props & {...} &
Mixins; type Mixins = mixins.LineVector & ... }`; mixins live in `core/property_mixins.d.ts`,
some as `Prefixed<"hover", Line>` (hover_line_color, ...). This module resolves those into the
full set of attribute names of every namespace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_NAMESPACE = re.compile(r"^export declare namespace (\w+) \{$", re.M)
_CLASS = re.compile(r"^export declare (?:abstract )?class (\w+)(?:<[^{]*?>)? extends (\w+)", re.M)
_ALIAS = re.compile(r"^(?:export )?type (\w+) = ", re.M)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_KEY = re.compile(r"^\s*(\w+)\??:", re.M)


def _depth_change(text: str, i: int) -> int:
    """+1 for an opening bracket, -1 for a closing one (the `>` of an arrow `=>` is neither)."""
    char = text[i]
    if char in "{(<[":
        return 1
    if char in "})]" or (char == ">" and text[i - 1] != "="):
        return -1
    return 0


def _expression(text: str, start: int) -> str:
    """The type expression from `start` to the `;` that ends it (outside any brackets)."""
    depth = 0
    for i in range(start, len(text)):
        depth += _depth_change(text, i)
        if text[i] == ";" and depth == 0:
            return text[start:i]
    return text[start:]


def _split_and(expression: str) -> list[str]:
    parts, depth, current = [], 0, []
    for i, char in enumerate(expression):
        depth += _depth_change(expression, i)
        if char == "&" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _literal_keys(literal: str) -> set[str]:
    """Top-level keys of an object type literal `{ a: T; b?: U; }`."""
    body = literal.strip()[1:-1]
    keys, depth, start = set(), 0, 0
    for i, char in enumerate(body):
        depth += _depth_change(body, i)
        if char == ";" and depth == 0:
            match = _KEY.match(body[start:i])
            if match:
                keys.add(match.group(1))
            start = i + 1
    return keys


class DeclaredProps:
    def __init__(self, lib: Path) -> None:
        self.mixins = self._mixins(lib / "core" / "property_mixins.d.ts")
        # namespace name -> (Props expression, Mixins expression, the file's type aliases);
        # a name may be declared in several files
        self.namespaces: dict[str, list[tuple[str, str | None, dict[str, set[str]]]]] = {}
        self.bases: dict[str, str] = {}
        for path in lib.rglob("*.d.ts"):
            text = _COMMENT.sub("", path.read_text())
            self.bases.update(dict(_CLASS.findall(text)))
            aliases = {
                match.group(1): _literal_keys(_expression(text, match.end()))
                for match in _ALIAS.finditer(text)
                if text[match.end()] == "{"
            }
            for match in _NAMESPACE.finditer(text):
                body_start = match.end()
                end = text.find("\n}", body_start)
                body = text[body_start:end]
                props = re.search(r"type Props\b", body)
                if props is None:
                    continue
                equals = props.end()
                if body[equals] == "<":  # generic parameters, whose defaults contain "="
                    depth = 0
                    while True:
                        depth += {"<": 1, ">": -1}.get(body[equals], 0)
                        equals += 1
                        if depth == 0:
                            break
                equals = body.index("=", equals)
                expression = _expression(body, equals + 1).strip()
                mixins_at = body.find("type Mixins = ")
                mixins = (
                    _expression(body, mixins_at + len("type Mixins = ")) if mixins_at >= 0 else None
                )
                self.namespaces.setdefault(match.group(1), []).append((expression, mixins, aliases))
        self._cache: dict[str, set[str]] = {}

    def _mixins(self, path: Path) -> dict[str, set[str]]:
        text = path.read_text()
        result: dict[str, set[str]] = {}
        for match in re.finditer(r"^export type (\w+)(?:<[^=]*>)? = ", text, re.M):
            expression = _expression(text, match.end())
            if expression.startswith("{") and "[key in" not in expression:
                result[match.group(1)] = _literal_keys(expression)
        for match in re.finditer(r'^export type (\w+) = Prefixed<"(\w+)", (\w+)>;', text, re.M):
            name, prefix, base = match.groups()
            result[name] = {f"{prefix}_{key}" for key in result.get(base, set())}
        return result

    def _part(self, part: str, mixins: str | None, aliases: dict[str, set[str]]) -> set[str]:
        part = part.strip()
        if part.startswith("{"):
            return _literal_keys(part)
        if part == "Mixins":
            return set().union(*(self._part(p, None, aliases) for p in _split_and(mixins or "")))
        if part in aliases:
            return aliases[part]
        prefixed = re.fullmatch(r'(?:mixins\.)?Prefixed<"(\w+)", (.+)>', part)
        if prefixed:
            inner = self._part(prefixed.group(2), None, aliases)
            return {f"{prefixed.group(1)}_{key}" for key in inner}
        if part.removeprefix("mixins.") in self.mixins:
            return self.mixins[part.removeprefix("mixins.")]
        base = re.match(r"(\w+)\.Props\b", part)
        if base:
            return self.props(base.group(1))
        return set()

    def props(self, name: str) -> set[str]:
        """Every attribute of the model class `name`, inherited ones included."""
        if name not in self._cache:
            self._cache[name] = set()  # cycles (none expected) end here
            result: set[str] = set()
            for expression, mixins, aliases in self.namespaces.get(name, []):
                for part in _split_and(expression):
                    result |= self._part(part, mixins, aliases)
            if name not in self.namespaces and name in self.bases:
                result = self.props(self.bases[name])  # a class that adds no property
            self._cache[name] = result
        return self._cache[name]
