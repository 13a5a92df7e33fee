// The release build's short names between the Wasm and its glue (scripts/trunk/short-names.mjs):
// the rewriting of wasm-bindgen's glue, and the built pages carrying no hashed name.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";
import { renameInGlue, parseMap } from "../scripts/trunk/short-names.mjs";

/** wasm-bindgen's glue for the `web` target, cut down to what the rewriting touches. */
const GLUE = `function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_warn_42702744b2284b6f: function(arg0, arg1) {
            console.warn(arg0, arg1);
        },
        __wbg_now_2c95c9de01293173: function() {
            const ret = Date.now();
            return ret;
        },
    };
    return {
        __proto__: null,
        "./page_bg.js": import0,
    };
}
function passStringToWasm0(arg) {
    const ptr = wasm.__wbindgen_malloc(arg.length, 1) >>> 0;
    return wasm.__wbindgen_malloc_more ?? ptr;
}
function start() {
    wasm.__wbindgen_start();
    return wasm.memory.buffer;
}
`;

const MAP = parseMap(`{
 "imports": [
  ["./page_bg.js", "__wbg_warn_42702744b2284b6f", "$"],
  ["./page_bg.js", "__wbg_now_2c95c9de01293173", "a"]
 ],
"exports": [
  ["memory", "b"],
  ["__wbindgen_malloc", "$b"],
  ["__wbindgen_malloc_more", "e"],
  ["__wbindgen_start", "c"],
  ["main", "d"]
 ]
}`);

test("imports, exports and the module are renamed wherever the glue names them, and nothing else", () => {
  const js = renameInGlue(GLUE, MAP, "a");
  assert.match(js, /^\s+\$: function\(arg0, arg1\) \{\n\s+console\.warn/m);
  assert.match(js, /^\s+a: function\(\) \{\n\s+const ret = Date\.now/m);
  assert.match(js, /^\s+"a": import0,$/m);
  assert.match(js, /wasm\.\$b\(arg\.length, 1\)/);
  // A longer name that begins with an export's is that other export.
  assert.match(js, /wasm\.e \?\? ptr/);
  assert.match(js, /wasm\.c\(\);/);
  assert.match(js, /wasm\.b\.buffer/);
  assert.doesNotMatch(js, /_42702744b2284b6f|_2c95c9de01293173|"\.\/page_bg\.js"/);
  // Everything else is as it was.
  assert.equal(
    js.replace(/\s+/g, " ").length,
    GLUE.replace(/\s+/g, " ").length -
      ("__wbg_warn_42702744b2284b6f".length - 1) -
      ("__wbg_now_2c95c9de01293173".length - 1) -
      ("./page_bg.js".length - 1) -
      ("__wbindgen_malloc".length - 2) -
      ("__wbindgen_malloc_more".length - 1) -
      ("__wbindgen_start".length - 1) -
      ("memory".length - 1),
  );
});

test("a new name that is another export's old name is not renamed twice", () => {
  const glue = `function __wbg_get_imports() {
    const import0 = {
        __wbg_now_2c95c9de01293173: function() {
            return Date.now();
        },
    };
    return {
        "./page_bg.js": import0,
    };
}
function f() {
    return wasm.memory.buffer + wasm.a();
}
`;
  const map = {
    imports: [["./page_bg.js", "__wbg_now_2c95c9de01293173", "q"]],
    exports: [["memory", "a"], ["a", "x"]],
  };
  const js = renameInGlue(glue, map, "a");
  assert.match(js, /return wasm\.a\.buffer \+ wasm\.x\(\);/);
  assert.match(js, /^\s+q: function\(\) \{/m);
});

test("a glue reading an export the Wasm does not have is refused by name", () => {
  const map = { ...MAP, exports: MAP.exports.filter(([name]) => name !== "__wbindgen_malloc_more") };
  assert.throws(() => renameInGlue(GLUE, map, "a"), /reads an export "__wbindgen_malloc_more" the Wasm does not have/);
});

test("a glue without one of the Wasm's imports, or with two modules, is refused by name", () => {
  const missing = {
    ...MAP,
    imports: [...MAP.imports, ["./page_bg.js", "__wbg_fetch_0000000000000000", "e"]],
  };
  assert.throws(() => renameInGlue(GLUE, missing, "a"), /the glue has no import "__wbg_fetch_0000000000000000"/);
  const twoModules = { ...MAP, imports: [...MAP.imports, ["./snippet.js", "helper", "f"]] };
  assert.throws(() => renameInGlue(GLUE, twoModules, "a"), /imports from 2 modules/);
  assert.throws(() => parseMap("wasm-opt: nothing"), /printed no map/);
});

for (const [dir, modules] of [["dist", 2], ["dist/results", 1], ["examples/pricing/dist", 1]]) {
  test(`${dir}: each Wasm (the app's, and the first paint's) imports only short names from one module, and its glue provides them, naming no hashed import`, () => {
    const files = readdirSync(join(ROOT, dir));
    const wasms = files.filter((f) => f.endsWith("_bg.wasm"));
    assert.equal(wasms.length, modules, `the release build in ${dir}: ${wasms.join(", ")}`);
    for (const wasm of wasms) {
      // The first paint's glue is inline in the page's loader (first-paint-inline.mjs).
      const js = wasm.startsWith("first-paint-") ? "index.html" : files.find((f) => f.endsWith(".js") && wasm === `${f.slice(0, -3)}_bg.wasm`);
      assert.ok(js, `${wasm}'s glue in ${dir}`);
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(join(ROOT, dir, wasm))));
      assert.ok(imports.length > 5, wasm);
      assert.deepEqual([...new Set(imports.map((i) => i.module))], ["a"], wasm);
      assert.ok(imports.every((i) => i.name.length <= 3), imports.map((i) => i.name).join(" "));
      let glue = readFileSync(join(ROOT, dir, js), "utf8");
      if (js === "index.html") {
        // The glue alone: from where the loader's function for it begins to what it returns.
        const from = glue.indexOf("Promise.resolve().then(() => {");
        const to = glue.indexOf("return { default:", from);
        assert.ok(from >= 0 && to > from, `the first paint's glue inline in ${dir}/index.html`);
        glue = glue.slice(from, to);
      }
      assert.doesNotMatch(glue, /__wbg_[A-Za-z_]+_[0-9a-f]{16}/);
      for (const { name } of imports) {
        const key = name.replace(/\$/g, "\\$");
        assert.match(glue, new RegExp(`[{,]${key}:function\\(`), `${js} provides ${wasm}'s import "${name}"`);
      }
    }
  });
}
