// Lets Node load BokehJS's compiled ES modules, whose imports omit the ".js" extension.
import { register } from "node:module";
register("./resolve_hooks.mjs", import.meta.url);
