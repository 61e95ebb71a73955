// Resolves extensionless and directory imports the way BokehJS's bundler does.
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
// The tables module's template engine is a CommonJS package Node can't import by name; the
// schema dump never renders a template, so a stub stands in.
const TEMPLATE_STUB = "data:text/javascript,export const _ = { template: () => () => '' };";

export async function resolve(specifier, context, next) {
  if (specifier === "underscore.template") return { url: TEMPLATE_STUB, shortCircuit: true };
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
