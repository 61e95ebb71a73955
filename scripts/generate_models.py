#!/usr/bin/env python3
"""Generate livedoc's model catalog from BokehJS's own property definitions.

BokehJS renders only models it knows, with the attributes it knows, and fills every omitted
attribute with its own default. So the catalog is not written by hand: this script runs
`bokehjs_schema/dump.mjs` under Node against the installed `@bokeh/bokehjs` (which reads each
model class's property table: kind, default, read-only flag) and turns that into typed
`livedoc.document.Model` subclasses in `src/livedoc/models/catalog.py`.

    python scripts/generate_models.py            # rewrite the catalog
    python scripts/generate_models.py --check    # fail if the catalog is out of date

Models with behaviour written by hand (data sources, selections, document config) are imported,
not generated; their properties are still checked by the catalog parity test.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "node_modules" / "@bokeh" / "bokehjs" / "build" / "js" / "lib"
SCHEMA_DIR = ROOT / "scripts" / "bokehjs_schema"
TARGET = ROOT / "src" / "livedoc" / "models" / "catalog.py"

# Hand-written models: wire name -> the module that defines the class.
HAND_WRITTEN = {
    "Model": "livedoc.document.model",
    "DocumentConfig": "livedoc.document.config",
    "Notifications": "livedoc.document.config",
    "DataSource": "livedoc.models.sources",
    "ColumnarDataSource": "livedoc.models.sources",
    "ColumnDataSource": "livedoc.models.sources",
    "Selection": "livedoc.models.sources",
    "SelectionPolicy": "livedoc.models.sources",
    "UnionRenderers": "livedoc.models.sources",
    "IntersectRenderers": "livedoc.models.sources",
}

# Behaviour mixed into generated classes (wire name -> mixin class in livedoc.models.behaviour).
BEHAVIOUR = {
    "AbstractButton": "ClickEvents",
    "Dropdown": "MenuEvents",
}

# Where BokehJS types a property generically in a base class (`AbstractSlider<T>.value` is
# `unknown`), the concrete classes narrow it, as Bokeh's Python models do: (class, attribute) ->
# kind. The value and its read-only throttled copy share the kind; the default stays unset.
_NUMBER_PAIR = "k.Tuple(k.Float(), k.Float())"
_DATETIME_PAIR = "k.Tuple(k.Datetime(), k.Datetime())"
NARROWED: dict[tuple[str, str], str] = {
    **{
        (klass, attr): kind
        for attr in ("value", "value_throttled")
        for klass, kind in (
            ("NumericalSlider", "k.Float()"),
            ("DateSlider", "k.Datetime()"),
            ("NumericalRangeSlider", _NUMBER_PAIR),
            ("DateRangeSlider", _DATETIME_PAIR),
            ("DatetimeRangeSlider", _DATETIME_PAIR),
            ("CategoricalSlider", "k.String()"),
        )
    },
    # Date sliders take their bounds as dates too (they travel as milliseconds).
    **{
        (klass, attr): "k.Datetime()"
        for attr in ("start", "end")
        for klass in ("DateSlider", "DateRangeSlider", "DatetimeRangeSlider")
    },
}

# Spec attributes whose plain strings Bokeh reads differently from their spec class: a legend
# item's `label="price"` is the text itself (use `field("column")` for labels from data).
STRINGS_OVERRIDE: dict[tuple[str, str], str] = {("LegendItem", "label"): "value"}

# Kinds that hold a CSS/DOM or callable value livedoc passes through as is.
OPAQUE = {
    "Unknown",
    "Any",
    "AnyRef",
    "Node",
    "Styles",
    "StyleSheet",
    "StyleSheetLike",
    "Func",
    "Function",
    "Arrayable",
    "ArrayLike",
    "NDArray",
    "Mapping",
    "Map",
    "KeyVal",
    "Null",
    "Image",
    "CSSStyles",
    "TypedArray",
    "Ref",
    "Obj",
    "Wrapped",
    "Iterable",
}
FLOATS = {"Float", "Number", "Percent", "Angle", "Alpha", "Size", "Dimension"}
STRINGS = {"Str", "String", "PrefixedStr", "Regex", "FontStyle", "Length"}
RAW_ARGUMENTS = {"Enum", "PrefixedStr", "Regex", "Func"}

# Property classes (vectorized specs and scalars): kind expression, annotation, spec or not.
# How a vectorized spec reads a plain string (see `livedoc.document.kinds.Spec`): "auto" tries
# the inner kind first and falls back to a column name; "field" always names a column (Bokeh's
# StringSpec); "value" never does (fonts, alignments, dashes). `ENUM:Name` is BokehJS's enum of
# that name in core/enums.d.ts.
SPEC_KINDS: dict[str, tuple[str, str]] = {
    "NumberSpec": ("k.Float()", "auto"),
    "IntSpec": ("k.Int()", "auto"),
    "BooleanSpec": ("k.Bool()", "auto"),
    "AngleSpec": ("k.Float()", "auto"),
    "DistanceSpec": ("k.Float()", "auto"),
    "NullDistanceSpec": ("k.Nullable(k.Float())", "auto"),
    "ScreenSizeSpec": ("k.Float()", "auto"),
    "CoordinateSpec": ("_COORDINATE", "auto"),
    "XCoordinateSpec": ("_COORDINATE", "auto"),
    "YCoordinateSpec": ("_COORDINATE", "auto"),
    "XOrYCoordinateSpec": ("_COORDINATE", "auto"),
    "XCoordinateSeqSpec": ("k.AnyKind()", "field"),
    "YCoordinateSeqSpec": ("k.AnyKind()", "field"),
    "XCoordinateSeqSeqSeqSpec": ("k.AnyKind()", "field"),
    "YCoordinateSeqSeqSeqSpec": ("k.AnyKind()", "field"),
    "ColorSpec": ("k.Nullable(k.Color())", "auto"),
    "AlphaSpec": ("k.Float()", "auto"),
    "StringSpec": ("k.String()", "field"),
    "NullStringSpec": ("k.Nullable(k.String())", "field"),
    "FontSpec": ("k.String()", "value"),
    "FontSizeSpec": ("k.String()", "value"),
    "FontStyleSpec": ("ENUM:FontStyle", "value"),
    "TextAlignSpec": ("ENUM:TextAlign", "value"),
    "TextBaselineSpec": ("ENUM:TextBaseline", "value"),
    "TextAnchorSpec": ("k.AnyKind()", "value"),
    "OutlineShapeSpec": ("ENUM:OutlineShapeName", "value"),
    "LineJoinSpec": ("ENUM:LineJoin", "value"),
    "LineCapSpec": ("ENUM:LineCap", "value"),
    "LineDashSpec": ("_DASH", "value"),
    "MarkerSpec": ("k.Nullable(k.Either(ENUM:MarkerType, k.Regex('@.+')))", "auto"),
    "HatchPatternSpec": ("k.Nullable(ENUM:HatchPatternType)", "auto"),
    "NDArraySpec": ("k.AnyKind()", "field"),
}
SCALAR_KINDS: dict[str, tuple[str, str]] = {
    "NumberScalar": ("k.Float()", "float"),
    "ColorScalar": ("k.Nullable(k.Color())", "Any"),
    "NullStringScalar": ("k.Nullable(k.String())", "str | None"),
    "StringScalar": ("k.String()", "str"),
    "LineJoinScalar": ("ENUM:LineJoin", "str"),
    "LineCapScalar": ("ENUM:LineCap", "str"),
    "LineDashScalar": ("_DASH", "Any"),
    "DictScalar": ("k.Dict(k.String(), k.AnyKind())", "dict[str, Any]"),
    "Font": ("k.String()", "str"),
    "FontScalar": ("k.String()", "str"),
    "FontSizeScalar": ("k.String()", "str"),
    "FontStyleScalar": ("ENUM:FontStyle", "str"),
    "TextAlignScalar": ("ENUM:TextAlign", "str"),
    "TextBaselineScalar": ("ENUM:TextBaseline", "str"),
    "AnyScalar": ("k.AnyKind()", "Any"),
    "ArrayScalar": ("k.AnyKind()", "Any"),
}


def bokehjs_enums() -> dict[str, list[str]]:
    """BokehJS's named enums (`export declare const X: ...Kinds.Enum<"a" | "b">`)."""
    text = (LIB / "core" / "enums.d.ts").read_text()
    enums = {}
    for name, members in re.findall(
        r"export declare const (\w+): [^\n]*?Kinds\.Enum<([^>]*)>", text
    ):
        enums[name] = [json.loads(m) for m in re.findall(r'"(?:[^"\\]|\\.)*"', members)]
    return enums


def with_enums(kind: str, enums: dict[str, list[str]]) -> str:
    """A kind expression with its `ENUM:Name` placeholders spelled out."""

    def spell(match: re.Match[str]) -> str:
        return "k.Enum(" + ", ".join(json.dumps(v) for v in enums[match.group(1)]) + ")"

    return re.sub(r"ENUM:(\w+)", spell, kind)


# -- kind strings -------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    args: list[Node]
    raw: str = ""
    fields: list[tuple[str, bool, Node]] | None = None  # Struct: (name, optional, kind)


def _skip_balanced(text: str, i: int) -> int:
    depth = 0
    while i < len(text):
        if text[i] in "({[":
            depth += 1
        elif text[i] in ")}]":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return i


def parse_kind(text: str) -> Node:
    node, end = _parse(text, 0)
    if text[end:].strip():
        raise ValueError(f"trailing text in kind {text!r}")
    return node


def _parse(text: str, i: int) -> tuple[Node, int]:
    while text[i] == " ":
        i += 1
    match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\?").match(text, i)
    if match is None:
        end = _skip_balanced(text, i)
        return Node("?", [], raw=text[i:end]), end
    name, i = match.group(), match.end()
    if i >= len(text) or text[i] != "(":
        return Node(name, []), i
    if name in RAW_ARGUMENTS:
        end = _skip_balanced(text, i + 1)
        return Node(name, [], raw=text[i + 1 : end]), end + 1
    i += 1
    if text[i] == "{":
        fields, i = _parse_fields(text, i + 1)
        return Node(name, [], fields=fields), i + 1  # past ")"
    args: list[Node] = []
    while text[i] != ")":
        arg, i = _parse(text, i)
        args.append(arg)
        while text[i] in ", ":
            i += 1
    return Node(name, args), i + 1


def _parse_fields(text: str, i: int) -> tuple[list[tuple[str, bool, Node]], int]:
    fields = []
    while True:
        while text[i] in ", ":
            i += 1
        if text[i] == "}":
            return fields, i + 1
        match = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\??): ").match(text, i)
        if match is None:
            raise ValueError(f"bad struct in {text!r} at {i}")
        kind, i = _parse(text, match.end())
        fields.append((match.group(1), bool(match.group(2)), kind))


# -- kinds to Python ------------------------------------------------------------------------------


class Translator:
    def __init__(self, known_models: set[str]) -> None:
        self.known = known_models

    def kind(self, node: Node) -> tuple[str, str]:
        """The kind expression and the type annotation for a parsed BokehJS kind."""
        name, args = node.name, node.args
        if name == "Bool":
            return "k.Bool()", "bool"
        if name == "Int":
            return "k.Int()", "int"
        if name in FLOATS:
            return "k.Float()", "float"
        if name in STRINGS:
            return "k.String()", "str"
        if name == "Color":
            return "k.Color()", "Any"
        if name == "Bytes":
            return "k.Bytes()", "bytes"
        if name in ("Datetime", "Date"):
            return "k.Datetime()", "Any"
        if name == "Enum":
            values = [value.strip() for value in node.raw.split(",")] if node.raw else []
            if values and all(re.fullmatch(r"-?\d+", value) for value in values):
                return "k.Int()", "int"  # Enum(0, 1): a dimension
            return "k.Enum(" + ", ".join(map(repr, values)) + ")", "str"
        if name in ("Nullable", "Opt") and args:
            inner, annotation = self.kind(args[0])
            return f"k.Nullable({inner})", _optional(annotation)
        if name in ("NonNegative", "Positive") and args:
            inner, annotation = self.kind(args[0])
            return f"k.{name}({inner})", annotation
        if name in ("List", "NonEmptyList") and args:
            inner, annotation = self.kind(args[0])
            return f"k.List({inner})", f"list[{annotation}]"
        if name == "Set" and args:
            inner, annotation = self.kind(args[0])
            return f"k.Set({inner})", f"set[{annotation}]"
        if name == "Dict" and args:
            inner, annotation = self.kind(args[0])
            return f"k.Dict(k.String(), {inner})", f"dict[str, {annotation}]"
        if name == "Tuple" and args:
            parts = [self.kind(arg) for arg in args]
            # Trailing Opt items may be left out (GridBox children: (child, row, col)).
            required = len(args)
            while required > 0 and args[required - 1].name == "Opt":
                required -= 1
            optional = f", required={required}" if required < len(args) else ""
            return (
                "k.Tuple(" + ", ".join(kind for kind, _ in parts) + optional + ")",
                "tuple[" + ", ".join(annotation for _, annotation in parts) + "]",
            )
        if name in ("Struct", "PartialStruct") and node.fields is not None:
            optional = [field for field, opt, _ in node.fields if opt or name == "PartialStruct"]
            fields = ", ".join(f"{field!r}: {self.kind(kind)[0]}" for field, _, kind in node.fields)
            suffix = f", optional={optional!r}" if optional else ""
            return f"k.Struct.of({{{fields}}}{suffix})", "dict[str, Any]"
        if name == "AnyRef":
            return 'k.Instance("Model")', "Model"
        if name == "Mapping" and len(args) == 2:
            keys, values = self.kind(args[0]), self.kind(args[1])
            return f"k.Dict({keys[0]}, {values[0]})", f"dict[{keys[1]}, {values[1]}]"
        if name in ("Func", "Function"):
            # A JavaScript function: BokehJS code can set one, Python cannot send one.
            return 'k.Never("a JavaScript function, which Python cannot send")', "Any"
        if name == "Or" and args:
            nullable = any(arg.name == "Null" for arg in args)
            # Alternatives Python cannot send (JavaScript functions) are left out.
            rest = [arg for arg in args if arg.name not in ("Null", "Func", "Function")] or [
                arg for arg in args if arg.name != "Null"
            ]
            parts = [self.kind(arg) for arg in rest]
            if len(parts) == 1:
                kind, annotation = parts[0]
            else:
                kind = "k.Either(" + ", ".join(kind for kind, _ in parts) + ")"
                annotation = _union([annotation for _, annotation in parts])
            return (
                (f"k.Nullable({kind})", _optional(annotation)) if nullable else (kind, annotation)
            )
        if name == "Ref" and args:
            model = args[0].name
            if model == "function" and len(args) > 1 and args[1].name == "Date":
                return "k.Date()", "Any"  # a JavaScript Date: an ISO date from Python
            if model not in self.known:
                return "k.AnyKind()", "Any"  # a JavaScript class, not a model
            return f'k.Instance("{model}")', model
        if name in OPAQUE or name == "?":
            return "k.AnyKind()", "Any"
        return "k.AnyKind()", "Any"  # a kind BokehJS validates itself


def _optional(annotation: str) -> str:
    return (
        annotation
        if annotation in ("Any",) or annotation.endswith("| None")
        else f"{annotation} | None"
    )


def _union(annotations: list[str]) -> str:
    if "Any" in annotations:
        return "Any"
    unique: list[str] = []
    for annotation in annotations:
        if annotation not in unique:
            unique.append(annotation)
    return " | ".join(unique)


# -- defaults -----------------------------------------------------------------------------------


class Unrepresentable(Exception):
    pass


def python_literal(value: Any) -> str:
    if isinstance(value, dict):
        if "__float__" in value:
            return f'float("{value["__float__"]}")'
        if "__set__" in value:
            return (
                "{" + ", ".join(python_literal(v) for v in value["__set__"]) + "}"
                if value["__set__"]
                else "set()"
            )
        if "__map__" in value:
            return (
                "{"
                + ", ".join(
                    f"{python_literal(a)}: {python_literal(b)}" for a, b in value["__map__"]
                )
                + "}"
            )
        if "__array__" in value:
            return repr(value["__array__"])
        if "__model__" in value and "." not in value["__model__"]:
            arguments = ", ".join(f"{k}={python_literal(v)}" for k, v in value["attrs"].items())
            return f"{value['__model__']}({arguments})"
        if any(key.startswith("__") for key in value):
            raise Unrepresentable(value)
        return "{" + ", ".join(f"{k!r}: {python_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return repr(value)


def default_argument(value: Any, spec: bool) -> tuple[str, list[str]]:
    """`Property(...)` keyword text for a default, and the model classes it needs first."""
    if isinstance(value, dict) and value.get("__unset__"):
        return "None", []  # BokehJS has no default: the app must set it
    if isinstance(value, dict) and "__model__" in value:
        if value["attrs"]:
            # A configured model (a tool's overlay, a glyph's default mapper): built the same
            # way, so Python can style it (`tool.overlay.fill_color = ...`), as in bokeh.
            try:
                return f"factory=lambda: {python_literal(value)}", []
            except Unrepresentable:
                return "None", []  # left to BokehJS, which builds it when omitted
        model = value["__model__"]
        return f"factory={model}", [model]
    if isinstance(value, dict) and "__opaque__" in value:
        return "None", []
    if spec:
        if isinstance(value, dict) and set(value) >= {"field"}:
            return f"Field({value['field']!r})", []
        if isinstance(value, dict) and "value" in value:
            return f"Value({python_literal(value['value'])})", []
        if value is None or isinstance(value, str | int | float):
            return f"Value({python_literal(value)})", []
        if isinstance(value, list) or value == {}:  # a dash pattern, hatch extras: a constant
            return f"factory=lambda: Value({python_literal(value)})", []
    try:
        literal = python_literal(value)
    except Unrepresentable:
        return "None", []
    if isinstance(value, list):
        if _holds_models(value):  # sub-tickers of a ticker: built the same way
            return f"factory=lambda: {literal}", []
        return ("factory=list", []) if not value else (f"factory=lambda: {literal}", [])
    if isinstance(value, dict) and ("__set__" in value):
        return ("factory=set", []) if not value["__set__"] else (f"factory=lambda: {literal}", [])
    if isinstance(value, dict):
        return ("factory=dict", []) if literal == "{}" else (f"factory=lambda: {literal}", [])
    return literal, []


def _holds_models(value: Any) -> bool:
    if isinstance(value, dict):
        return "__model__" in value or any(_holds_models(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_models(v) for v in value)
    return False


# -- the module -----------------------------------------------------------------------------------


def python_names(schema: dict[str, Any]) -> dict[str, str]:
    """Class names: the wire name's last part; `DOM` in front where two models share it."""
    short = [wire.rsplit(".", 1)[-1] for wire in schema]
    return {
        wire: name if short.count(name) == 1 or "." not in wire else f"DOM{name}"
        for wire, name in zip(schema, short, strict=True)
    }


def own_properties(schema: dict[str, Any], name: str) -> dict[str, Any]:
    model = schema[name]
    parent = schema[model["base"]]["props"] if model["base"] else {}
    return {
        attr: prop
        for attr, prop in model["props"].items()
        # BokehJS never sends internal properties (view state), so they are not part of the model
        if not prop["options"].get("internal") and (attr not in parent or parent[attr] != prop)
    }


def ordered(schema: dict[str, Any], needs: dict[str, set[str]]) -> list[str]:
    result: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            return  # a cycle through defaults: the factory is resolved at call time anyway
        state[name] = 1
        for dependency in sorted(needs[name]):
            if dependency in schema:
                visit(dependency)
        state[name] = 2
        result.append(name)

    for name in sorted(schema):
        visit(name)
    return result


def generate(schema: dict[str, Any], version: str) -> str:
    names_of = python_names(schema)
    translator = Translator({wire.rsplit(".", 1)[-1] for wire in schema})
    enums = bokehjs_enums()
    bodies: dict[str, list[str]] = {}
    needs: dict[str, set[str]] = {}
    for name in schema:
        lines: list[str] = []
        needs[name] = {schema[name]["base"]} if schema[name]["base"] else set()
        for attr, prop in own_properties(schema, name).items():
            kind_text: str = prop["kind"]
            spec = False
            if kind_text.startswith("P:"):
                klass = kind_text[2:]
                if klass == "NullStringSpec" and attr.endswith("hatch_pattern"):
                    klass = "HatchPatternSpec"  # BokehJS types it as a string; Bokeh's enum
                if klass in SPEC_KINDS:
                    inner, strings = SPEC_KINDS[klass]
                    strings = STRINGS_OVERRIDE.get((name.rsplit(".", 1)[-1], attr), strings)
                    inner = with_enums(inner, enums)
                    kind = (
                        f"k.Spec({inner})"
                        if strings == "auto"
                        else f"k.Spec({inner}, strings={strings!r})"
                    )
                    annotation, spec = "Any", True
                else:
                    kind, annotation = SCALAR_KINDS.get(klass, ("k.AnyKind()", "Any"))
                    kind = with_enums(kind, enums)
            else:
                kind, annotation = translator.kind(parse_kind(kind_text))
            default, required = default_argument(prop["default"], spec)
            needs[name].update(required)
            if default == "None" and not annotation.endswith("| None") and annotation != "Any":
                annotation = f"{annotation} | None"
            if schema[name]["base"] and attr in schema[schema[name]["base"]]["props"]:
                annotation = "Any"  # an override: keep the base class's attribute type compatible
            options = ", readonly=True" if prop["options"].get("readonly") else ""
            attr_name = attr if not keyword.iskeyword(attr) else attr + "_"
            lines.append(
                f"    {attr_name}: Property[{annotation}] = Property({kind}, {default}{options})"
            )
        for (klass, attr), kind in NARROWED.items():
            if klass == name.rsplit(".", 1)[-1]:
                readonly = ", readonly=True" if attr.endswith("_throttled") else ""
                lines.append(
                    f"    {attr}: Property[Any] = Property(k.Nullable({kind}), None{readonly})"
                )
        bodies[name] = lines

    out = [
        f'"""BokehJS {version} models, generated by scripts/generate_models.py from BokehJS\'s own',
        "property definitions (names, kinds, defaults, read-only flags). Do not edit: regenerate.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "from livedoc.document import kinds as k",
        "from livedoc.document.model import Model, Property",
        "from livedoc.document.values import Field, Value",
    ]
    imports: dict[str, list[str]] = {}
    for wire, module in HAND_WRITTEN.items():
        if wire != "Model" and wire in schema:
            imports.setdefault(module, []).append(names_of[wire])
    for module, names in sorted(imports.items()):
        out.append(f"from {module} import {', '.join(sorted(names))}")
    behaviours = sorted(set(BEHAVIOUR.values()))
    out.append(f"from livedoc.models.behaviour import {', '.join(behaviours)}")
    out += [
        "",
        "_COORDINATE = k.Either(k.Float(), k.Datetime())",
        "_DASH = k.Either(k.String(), k.List(k.Int()))",
        "",
    ]
    generated = [name for name in ordered(schema, needs) if name not in HAND_WRITTEN]
    names = []
    for name in generated:
        model = schema[name]
        bases = [names_of[model["base"]] if model["base"] else "Model"]
        if name in BEHAVIOUR:
            bases.append(BEHAVIOUR[name])
        keywords = []
        if names_of[name] != name:
            keywords.append(f'name="{name}"')
        if not model["registered"]:
            keywords.append("abstract=True")
        parent = schema[model["base"]]["props"] if model["base"] else {}
        hidden = sorted(
            attr
            for attr, prop in model["props"].items()
            if prop["options"].get("internal")
            and attr in parent
            and not parent[attr]["options"].get("internal")
        )
        if hidden:  # public in the base class, internal (never sent) in this one
            keywords.append(f"hidden={tuple(hidden)!r}")
        header = ", ".join(bases + keywords)
        out += ["", f"class {names_of[name]}({header}):"]
        out += bodies[name] or ["    pass"]
        names.append(names_of[name])
    out += ["", "", "__all__ = [", *[f'    "{name}",' for name in sorted(names)], "]", ""]
    return "\n".join(out)


def dump_schema() -> dict[str, Any]:
    if not LIB.is_dir():
        sys.exit(f"BokehJS is not installed at {LIB}: run `npm ci` first")
    result = subprocess.run(
        ["node", "--import", "./register.mjs", "dump.mjs", str(LIB)],
        cwd=SCHEMA_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if the catalog is out of date")
    parser.add_argument("--schema", type=Path, help="write the dumped schema JSON here too")
    options = parser.parse_args()
    schema = dump_schema()
    if options.schema:
        options.schema.write_text(json.dumps(schema, indent=1))
    version = json.loads((LIB.parent.parent.parent / "package.json").read_text())["version"]
    source = generate(schema, version)
    # Sort imports and __all__, drop unneeded imports, then format.
    for ruff in (["check", "--fix", "--select", "I,F401,RUF022", "--quiet"], ["format"]):
        source = subprocess.run(
            [sys.executable, "-m", "ruff", *ruff, "--stdin-filename", str(TARGET), "-"],
            input=source,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    formatted = source
    if options.check:
        if not TARGET.exists() or TARGET.read_text() != formatted:
            print(
                f"{TARGET.relative_to(ROOT)} is out of date: run scripts/generate_models.py",
                file=sys.stderr,
            )
            return 1
        return 0
    TARGET.write_text(formatted)
    print(
        f"wrote {TARGET.relative_to(ROOT)}: {formatted.count(chr(10) + 'class ')} models",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
