// The release build's first paint fetches the document and the first-paint module's Wasm, nothing
// else: the glue inline in the loader (scripts/trunk/first-paint-inline.mjs), the stylesheet
// inline in the document (scripts/trunk/first-paint).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";
import { glueAsFunctionBody } from "../scripts/trunk/first-paint-inline.mjs";

/** A module shaped as wasm-bindgen's glue after terser: declarations, some exported, and an export list. */
const GLUE = `let w;export function start(){return w.start()}function i(m){w={start:()=>"painted by "+m};return w}
const answer=42;export{x as initSync,i as default};function x(){return answer}`;

test("the glue becomes a function body returning its default export, the others kept as declarations", () => {
  const body = glueAsFunctionBody(GLUE);
  assert.doesNotMatch(body, /\bexport\b/);
  // Strict, as in the loader (a module script).
  const glue = new Function(`"use strict";\n${body}`)();
  assert.deepEqual(Object.keys(glue), ["default"]);
  assert.equal(glue.default("the module").start(), "painted by the module");
});

test("a default export by name or as a named function is what the body returns", () => {
  assert.equal(new Function(glueAsFunctionBody(`function init(){return 1}export default init;`))().default(), 1);
  assert.equal(new Function(glueAsFunctionBody(`export default function init(){return 2}`))().default(), 2);
});

test("a glue the loader cannot hold is refused, naming what and where", () => {
  assert.throws(() => glueAsFunctionBody(`import x from "./y.js";export{x as default}`, "g.js"), /g\.js: cannot inline a module with "import x from/);
  assert.throws(() => glueAsFunctionBody(`export default function(){}`, "g.js"), /g\.js: cannot inline a module with "export default function/);
  assert.throws(() => glueAsFunctionBody(`export default 1 + 1`, "g.js"), /g\.js: cannot inline a module with "export default 1 \+ 1/);
  assert.throws(() => glueAsFunctionBody(`const w = await fetch("x");export{w as default}`, "g.js"), /g\.js: cannot inline it as a function body/);
  assert.throws(() => glueAsFunctionBody(`export * from "./y.js"`, "g.js"), /cannot inline/);
  assert.throws(() => glueAsFunctionBody(`export function start(){}`, "g.js"), /g\.js: no default export/);
  assert.throws(() => glueAsFunctionBody(`function (`, "g.js"), SyntaxError);
});

test("the built page holds its stylesheet and the module's glue, and preloads only the module's Wasm", () => {
  const dist = join(ROOT, "dist");
  const page = readFileSync(join(dist, "index.html"), "utf8");
  const files = readdirSync(dist);
  assert.deepEqual(files.filter((f) => /^first-paint-.*\.js/.test(f)), [], "no glue file beside the page");
  assert.deepEqual(files.filter((f) => f.endsWith(".css")), [], "no stylesheet file beside the page");
  assert.doesNotMatch(page, /import\('\/first-paint-/, "the loader imports no glue");
  assert.doesNotMatch(page, /<link[^>]+rel="(stylesheet|modulepreload)"/, "no stylesheet or module fetched");
  assert.match(page, /<style>[^<]*\.topbar[^<]*<\/style>/, "the stylesheet is in the document");
  const preloads = [...page.matchAll(/<link rel="preload" href="\/([^"]+)"/g)].map((m) => m[1]);
  assert.equal(preloads.length, 1, `one preload: ${preloads}`);
  assert.match(preloads[0], /^first-paint-[0-9a-f]+_bg\.wasm$/);
  assert.ok(files.includes(preloads[0]), "the preloaded Wasm is in dist/");
  // The results page keeps its own stylesheet file: it has no first paint.
  assert.match(readFileSync(join(dist, "results", "index.html"), "utf8"), /<link rel="stylesheet" href="\/results\/main-[0-9a-f]+\.css"/);
});
