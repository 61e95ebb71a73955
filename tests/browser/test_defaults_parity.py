"""Defaults parity in the real browser: every catalog model is instantiated by BokehJS 3.9.2 in
Chromium, and each attribute's default there equals livedoc's default, as both encode it.

Default models (a tool's overlay, a ticker's sub-tickers, a glyph's color mapper) are built
the same way on both sides and compared by type; only a plot's title is left to BokehJS, which
turns the default "" into a Title model when it initializes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livedoc.document.model import MODEL_REGISTRY, Model
from livedoc.document.serializer import Serializer

if TYPE_CHECKING:
    from collections.abc import Callable

    from .conftest import Tab

STATIC = Path(__file__).resolve().parents[2] / "src" / "livedoc" / "static" / "js"
BUNDLES = ["bokeh", "bokeh-gl", "bokeh-widgets", "bokeh-tables", "bokeh-mathjax", "bokeh-api"]
UNSET = "<unset>"
PLOTS = ("Plot", "Figure", "GMapPlot", "GMap")

# Runs in the page: each model's attributes as BokehJS's own serializer encodes them.
DEFAULTS = """(names) => {
    const {Serializer} = Bokeh.require("core/serialization");
    const result = {};
    for (const name of names) {
        const cls = Bokeh.Models.get(name);
        if (cls === undefined) { result[name] = null; continue; }
        let model;
        try {
            model = new cls();
        } catch (error) {  // a model whose initialization needs a required attribute
            result[name] = {"<cannot instantiate>": String(error).slice(0, 200)};
            continue;
        }
        const attrs = {};
        for (const prop of model) {
            if (prop.internal) continue;
            try {
                const value = prop.is_unset ? undefined : prop.get_value();
                attrs[prop.attr] = value === undefined ? "<unset>"
                    : new Serializer({include_defaults: true}).encode(value);
            } catch (error) {
                attrs[prop.attr] = "<error: " + error + ">";
            }
        }
        for (const [attr, spec] of Object.entries(cls.prototype._props)) {
            if (!(attr in attrs)) {
                attrs[attr] = "<alias>";  // a PropertyAlias (toggleable -> visible)
            } else if (spec.default_value != null) {
                try { spec.default_value({}); } catch (error) {
                    attrs[attr] = ["<computed>", attrs[attr]];  // from other attributes
                }
            }
        }
        result[name] = attrs;
    }
    return JSON.stringify(result);
}"""


def normalize(value: Any) -> Any:
    """One canonical form for both sides' encodings (maps, sets, numbers, models by name)."""
    if isinstance(value, dict):
        kind = value.get("type")
        if kind == "map":
            entries = value.get("entries", [])
            if all(isinstance(key, str) for key, _ in entries):
                return {key: normalize(item) for key, item in entries}
            return {"map": sorted((json.dumps(normalize(k)), normalize(v)) for k, v in entries)}
        if kind == "set":
            return {"set": sorted(json.dumps(normalize(item)) for item in value.get("entries", []))}
        if kind == "number":
            return {"number": str(value.get("value"))}
        if kind == "object" and "name" in value:
            return {"model": value["name"]}
        if kind in ("value", "field", "expr"):
            return {k: normalize(v) for k, v in value.items() if v is not None}
        return {key: normalize(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    return value


def holds_models(value: Any) -> bool:
    if isinstance(value, dict):
        return "model" in value or any(holds_models(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_models(item) for item in value)
    return False


def livedoc_defaults(cls: type[Model]) -> dict[str, Any]:
    model = cls()
    serializer = Serializer()
    result = {}
    for attr in cls.properties():
        value = model.get(attr)
        result[attr] = UNSET if value is None else normalize(serializer.encode(value))
    return result


def test_every_default_matches_bokehjs(
    chromium: Any, new_tab: Callable[[], Tab], tmp_path: Path
) -> None:
    page_file = tmp_path / "bokehjs.html"
    scripts = "".join(
        f'<script src="{(STATIC / f"{b}.min.js").as_uri()}"></script>' for b in BUNDLES
    )
    page_file.write_text(f"<!doctype html><html><head>{scripts}</head><body></body></html>")
    tab = new_tab()
    tab.page.goto(page_file.as_uri())
    models = {
        name: cls
        for name, cls in MODEL_REGISTRY.items()
        if issubclass(cls, Model)
        and not cls.__abstract__
        and cls.__module__.startswith("livedoc.")  # not the test suites' own models
        and not name.startswith("livedoc")
    }
    browser = json.loads(tab.page.evaluate(DEFAULTS, sorted(models)))
    unknown = [name for name, attrs in browser.items() if attrs is None]
    assert not unknown, f"BokehJS does not know {unknown}"

    needy = sorted(name for name, attrs in browser.items() if "<cannot instantiate>" in attrs)
    # Data sources that fetch on creation, and a texture that loads its URL: BokehJS cannot
    # build them without their required attribute, so they have no defaults to compare.
    assert set(needy) <= {
        "AjaxDataSource",
        "GeoJSONDataSource",
        "ImageURLTexture",
        "ServerSentDataSource",
        "WebDataSource",
    }, needy
    mismatches: list[str] = []
    built_by_bokehjs: list[str] = []
    compared = 0
    for name, cls in sorted(models.items()):
        if name in needy:
            continue
        ours = livedoc_defaults(cls)
        theirs = {attr: normalize(value) for attr, value in browser[name].items()}
        for attr, value in ours.items():
            compared += 1
            expected = theirs.get(attr, "<not a BokehJS property>")
            if value == expected or (value == UNSET and expected in (UNSET, "<alias>")):
                continue
            if isinstance(expected, list) and expected[:1] == ["<computed>"]:
                if value == UNSET:
                    continue  # BokehJS computes it from other attributes (ToolProxy.active)
                expected = expected[1]
            # BokehJS keeps scalar visuals (a line's color) as value specs; on the wire they
            # are plain values, as bokeh sends them.
            scalar = isinstance(expected, dict) and expected.get("type") == "value"
            if scalar and value == expected.get("value", UNSET):
                continue
            if holds_models(expected) and value in (UNSET, [], ""):
                built_by_bokehjs.append(f"{name}.{attr}")
                continue
            if value == UNSET and expected is None:
                continue  # livedoc's None is BokehJS's null
            if cls.properties()[attr].readonly and value == UNSET:
                continue  # computed by BokehJS (a factor range's start and end)
            mismatches.append(f"{name}.{attr}: livedoc {value!r} != BokehJS {expected!r}")
    assert compared > 8000
    assert not mismatches, f"{len(mismatches)} defaults differ:\n" + "\n".join(mismatches[:40])
    # Models that BokehJS builds as defaults: a small, known set.
    # A plot's title: BokehJS turns the default "" into a Title model when it initializes.
    assert set(built_by_bokehjs) <= {f"{plot}.title" for plot in PLOTS}, built_by_bokehjs
