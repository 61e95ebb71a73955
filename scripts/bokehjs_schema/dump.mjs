// Prints, as JSON, every BokehJS model class with its properties: kind, default and options.
// Run by scripts/generate_models.py:  node --import ./register.mjs dump.mjs <bokehjs lib dir>
// The DOM is stubbed: models only touch it when rendering, but a few modules probe it on import.

function stub(name) {
  const f = function () { return stub(`${name}()`); };
  return new Proxy(f, {
    get(_target, key) {
      if (key === Symbol.toPrimitive) return () => "";
      if (key === "then") return undefined; // not a promise
      if (key === "length") return 0;
      return stub(`${name}.${String(key)}`);
    },
    set() { return true; },
    construct() { return stub(`new ${name}`); },
    apply() { return stub(`${name}()`); },
    has() { return true; },
  });
}
globalThis.window = globalThis;
globalThis.document = stub("document");
for (const name of ["HTMLElement", "Element", "Node", "CSSStyleSheet", "DOMParser", "Image",
  "HTMLCanvasElement", "CanvasRenderingContext2D", "ResizeObserver", "MutationObserver",
  "getComputedStyle", "requestAnimationFrame", "matchMedia", "customElements", "ShadowRoot",
  "DocumentFragment", "Path2D", "DOMMatrix", "SVGElement", "HTMLInputElement", "KeyboardEvent",
  "MouseEvent", "Event", "FontFace", "screen"]) {
  if (!(name in globalThis)) globalThis[name] = stub(name);
}
try { globalThis.navigator = stub("navigator"); } catch { /* read-only in newer Node */ }

import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
const lib = pathToFileURL(resolvePath(process.argv[2])).href.replace(/\/?$/, "/");
const base = await import(`${lib}base.js`);
await import(`${lib}document/index.js`);
await import(`${lib}models/main.js`);
await import(`${lib}models/widgets/main.js`);
try {
  await import(`${lib}models/widgets/tables/main.js`);
} catch (error) {
  console.error(`tables skipped: ${error.message}`);
}
const { HasProps } = await import(`${lib}core/has_props.js`);
const resolver = base.default_resolver;

function encode(value) {
  if (value === undefined) return { __unset__: true };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { __float__: "nan" };
    if (!Number.isFinite(value)) return { __float__: value > 0 ? "inf" : "-inf" };
    return value;
  }
  if (typeof value === "symbol") return { __unset__: true }; // p.unset: no default
  if (value instanceof HasProps) return encodeModel(value);
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof Map) return { __map__: [...value.entries()].map(([k, v]) => [encode(k), encode(v)]) };
  if (value instanceof Set) return { __set__: [...value].map(encode) };
  if (ArrayBuffer.isView(value)) return { __array__: [...value] };
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return { __opaque__: proto.constructor?.name ?? "?" };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return { __opaque__: typeof value };
}

// A default model: its type, and the attributes its factory set to other than their defaults.
function encodeModel(model) {
  const fresh = new model.constructor();
  const attrs = {};
  for (const [name, value] of Object.entries(model.attributes)) {
    const encoded = encode(value);
    if (JSON.stringify(encoded) !== JSON.stringify(encode(fresh.attributes[name]))) attrs[name] = encoded;
  }
  return { __model__: model.constructor.__qualified__, attrs };
}

function kindOf(type) {
  const isClass = typeof type === "function" && /^class /.test(Function.prototype.toString.call(type));
  return isClass ? `P:${type.__name__ ?? type.name}` : String(type);
}

const classes = [];
const seen = new Set();
for (const name of resolver.names) {
  for (let cls = resolver.get(name); cls && cls !== HasProps; cls = Object.getPrototypeOf(cls)) {
    if (!seen.has(cls)) { seen.add(cls); classes.push(cls); }
  }
}
const out = {};
for (const cls of classes) {
  const name = cls.__qualified__ ?? cls.__name__;
  const parent = Object.getPrototypeOf(cls);
  const props = {};
  for (const [attr, spec] of Object.entries(cls.prototype._props)) {
    let dflt;
    try {
      dflt = spec.default_value == null ? { __unset__: true } : encode(spec.default_value({}));
    } catch (error) {
      dflt = { __opaque__: `error: ${error}` };
    }
    props[attr] = { kind: kindOf(spec.type), default: dflt, options: spec.options ?? {} };
  }
  out[name] = {
    base: parent === HasProps ? null : (parent.__qualified__ ?? parent.__name__),
    registered: resolver.get(name) === cls,
    props,
  };
}
process.stdout.write(JSON.stringify(out), () => process.exit(0));
