// Shortens the names the page's Wasm and its JavaScript glue call each other by.
//
// wasm-bindgen names every import after what it binds plus a 16-digit hash
// (`__wbg_getRandomValues_07f3179f2d015362`), and the name is written twice: in the Wasm's
// import section and as a key of the glue's import object. The hashes do not compress: on the
// course page they were about 3 KB of its gzip size. binaryen's
// `--minify-imports-and-exports-and-modules` pass renames every import, export and module to a
// name of one or two characters and prints the map; this module applies the same map to the
// glue (as emscripten does for its own glue), and refuses to write a glue that still names
// anything the Wasm no longer has.
//
//   node scripts/trunk/short-names.mjs PAGE_bg.wasm PAGE.js
//
// rewrites both files in place. The glue must be wasm-bindgen's unminified output for the
// `web` target: imports are the keys of the object `__wbg_get_imports` returns, under the
// module `"./<name>_bg.js"`, and exports are read as `wasm.<name>`.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Wasm features the page is built with (Rust's defaults for wasm32-unknown-unknown). */
export const FEATURES = [
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
];

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Applies binaryen's renaming to wasm-bindgen's glue: `map` is what the pass prints
 * (`imports`: [module, name, short], `exports`: [name, short]) and `module` the one module the
 * Wasm imports from afterwards (the pass merges them). Throws, naming it, when a name is not
 * where the glue should have it, or is still read afterwards.
 */
export function renameInGlue(glue, map, module) {
  let js = glue;
  const modules = new Set(map.imports.map(([m]) => m));
  if (modules.size !== 1)
    throw new Error(`short-names: the glue imports from ${modules.size} modules; one was expected`);
  // One pass each, looking every name up in the map: a new name may be another's old one.
  const imports = new Map(map.imports.map(([, base, short]) => [base, short]));
  const renamed = new Set();
  js = js.replace(/^(\s+)([A-Za-z0-9_$]+)(:\s*function\b)/gm, (line, indent, name, rest) => {
    if (!imports.has(name) || renamed.has(name)) return line;
    renamed.add(name);
    return `${indent}${imports.get(name)}${rest}`;
  });
  for (const [base] of imports) {
    if (!renamed.has(base)) throw new Error(`short-names: the glue has no import "${base}"`);
  }
  const exports = new Map(map.exports);
  const before = js;
  js = js.replace(/\bwasm\.([A-Za-z0-9_$]+)/g, (read, name) => (exports.has(name) ? `wasm.${exports.get(name)}` : read));
  const [old] = modules;
  const key = new RegExp(`(^\\s+)"${escape(old)}"(:)`, "m");
  if (!key.test(js)) throw new Error(`short-names: the glue has no module "${old}"`);
  js = js.replace(key, (_, indent, colon) => `${indent}${JSON.stringify(module)}${colon}`);
  // Every export the glue reads is now one of the Wasm's new names.
  const shorts = new Set(exports.values());
  for (const [, name] of before.matchAll(/\bwasm\.([A-Za-z0-9_$]+)/g)) {
    if (!exports.has(name)) throw new Error(`short-names: the glue reads an export "${name}" the Wasm does not have`);
  }
  for (const [, name] of js.matchAll(/\bwasm\.([A-Za-z0-9_$]+)/g)) {
    if (!shorts.has(name)) throw new Error(`short-names: the export "${name}" is still read by its old name`);
  }
  return js;
}

/** Reads the map binaryen's pass prints (JSON, after any other output). */
export function parseMap(text) {
  const start = text.indexOf("{");
  if (start < 0) throw new Error("short-names: wasm-opt printed no map");
  const parsed = JSON.parse(text.slice(start));
  return { imports: parsed.imports ?? [], exports: parsed.exports ?? [] };
}

/** The one module a Wasm imports from (binaryen's pass leaves one). */
export function importModule(bytes) {
  const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => i.module));
  if (modules.size !== 1) throw new Error(`short-names: the Wasm imports from ${modules.size} modules`);
  return [...modules][0];
}

function main([wasm, glue]) {
  if (!wasm || !glue) {
    console.error("usage: short-names.mjs PAGE_bg.wasm PAGE.js");
    process.exit(2);
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
  const run = spawnSync(
    wasmOpt,
    [...FEATURES, "--minify-imports-and-exports-and-modules", wasm, "-o", wasm],
    { encoding: "utf8" },
  );
  if (run.status !== 0) {
    console.error(`short-names: wasm-opt failed:\n${run.stderr}`);
    process.exit(1);
  }
  const module = importModule(readFileSync(wasm));
  const js = renameInGlue(readFileSync(glue, "utf8"), parseMap(run.stdout), module);
  writeFileSync(glue, js);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
