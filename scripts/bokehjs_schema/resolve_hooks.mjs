// Resolves extensionless and directory imports the way BokehJS's bundler does.
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
// The tables module's template engine and grid are CommonJS packages whose named exports Node
// can't import; the schema dump never renders a table, so stubs stand in for them.
const STUB_CLASS = "class Stub {}";
const STUBS = {
  "underscore.template": "export const _ = { template: () => () => '' };",
  "@bokeh/slickgrid": `export const Data = { Aggregators: { Avg: ${STUB_CLASS}, Min: ${STUB_CLASS}, Max: ${STUB_CLASS}, Sum: ${STUB_CLASS} } }; export const Grid = ${STUB_CLASS}; export const Group = ${STUB_CLASS};`,
  "@bokeh/slickgrid/plugins/slick.cellexternalcopymanager": `export const CellExternalCopyManager = ${STUB_CLASS};`,
  "@bokeh/slickgrid/plugins/slick.checkboxselectcolumn": `export const CheckboxSelectColumn = ${STUB_CLASS};`,
  "@bokeh/slickgrid/plugins/slick.rowselectionmodel": `export const RowSelectionModel = ${STUB_CLASS};`,
};

export async function resolve(specifier, context, next) {
  if (specifier in STUBS) {
    return { url: `data:text/javascript,${encodeURIComponent(STUBS[specifier])}`, shortCircuit: true };
  }
  if ((specifier.startsWith(".") || specifier.startsWith("/")) && context.parentURL) {
    const url = new URL(specifier, context.parentURL);
    const p = fileURLToPath(url);
    if (!existsSync(p) || statSync(p).isDirectory()) {
      if (existsSync(p + ".js")) return next(url.href + ".js", context);
      if (existsSync(p + "/index.js")) return next(url.href + "/index.js", context);
    }
  }
  try { return await next(specifier, context); }
  catch (e) {
    try { return await next(specifier + ".js", context); } catch (e2) {}
    try { return await next(specifier + "/index.js", context); } catch (e3) {}
    throw e;
  }
}
