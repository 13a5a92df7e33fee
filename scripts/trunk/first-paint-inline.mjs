// Puts the first-paint module's JavaScript glue into the page's loader, after minify-js has
// shortened and minified it: the first paint then fetches the document and the module's Wasm,
// nothing else (one request and one connection fewer before the user's variant is on screen).
//
//   node scripts/trunk/first-paint-inline.mjs     (Trunk's post-build hook; TRUNK_STAGING_DIR)
//
// scripts/trunk/first-paint has the loader import the glue (`import('/first-paint-<hash>.js')`);
// that import becomes a function holding the glue, called at the same place, so that a glue
// which throws still costs only the first paint. The glue is wasm-bindgen's ES module (minified
// in release builds, as it is in development ones): it is parsed (acorn), its `export` keywords
// and export lists are taken out and its default export (the init function) is returned.
// Anything else a module could do at its top level that a function body cannot (an `import`,
// `export default <expression>`, `export *`, a top-level `await`) fails the build, naming it.

import { readFileSync, readdirSync, realpathSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "acorn";

/**
 * The glue as the body of a function returning `{ default: <init> }`: its export keywords and
 * export lists removed. Throws, saying what and where, on what a function body cannot hold.
 */
export function glueAsFunctionBody(glue, name = "glue") {
  const ast = parse(glue, { ecmaVersion: "latest", sourceType: "module" });
  let body = "";
  let at = 0;
  let init = null;
  for (const node of ast.body) {
    if (node.type === "ExportNamedDeclaration" && node.declaration) {
      // `export function f() {}` / `export const x = ...`: the declaration stays.
      body += glue.slice(at, node.start);
      at = node.declaration.start;
    } else if (node.type === "ExportDefaultDeclaration" && node.declaration.type === "Identifier") {
      // `export default init;`: goes; `init` is what is returned.
      init = node.declaration.name;
      body += glue.slice(at, node.start);
      at = node.end;
    } else if (node.type === "ExportDefaultDeclaration" && node.declaration.id) {
      // `export default function init() {}`: the declaration stays and is returned.
      init = node.declaration.id.name;
      body += glue.slice(at, node.start);
      at = node.declaration.start;
    } else if (node.type === "ExportNamedDeclaration" && !node.source) {
      // `export { a as default, b as initSync };`: goes; its default is what is returned.
      for (const spec of node.specifiers) {
        if ((spec.exported.name ?? spec.exported.value) === "default") init = spec.local.name;
      }
      body += glue.slice(at, node.start);
      at = node.end;
    } else if (/^(Import|Export)/.test(node.type)) {
      throw new Error(`${name}: cannot inline a module with "${glue.slice(node.start, Math.min(node.end, node.start + 40))}" (offset ${node.start})`);
    }
  }
  body += glue.slice(at);
  if (!init) throw new Error(`${name}: no default export (the init function) to call`);
  const inlined = `${body}\nreturn { default: ${init} };`;
  // What a module's top level allows and a function body in the loader (a module script, not
  // async) does not, such as `await`: the loader would not parse, and the app not load either.
  try {
    parse(`(() => {\n${inlined}\n})`, { ecmaVersion: "latest", sourceType: "module" });
  } catch (e) {
    throw new Error(`${name}: cannot inline it as a function body: ${e.message}`);
  }
  return inlined;
}

function main() {
  const staging = process.env.TRUNK_STAGING_DIR;
  if (!staging) throw new Error("first-paint-inline: TRUNK_STAGING_DIR is not set (run by Trunk's post-build hook)");
  const html = join(staging, "index.html");
  let page = readFileSync(html, "utf8");
  const glues = readdirSync(staging).filter((f) => /^first-paint-[0-9a-f]+\.js$/.test(f));
  if (glues.length === 0) return; // a page without a first paint
  if (glues.length > 1) throw new Error(`first-paint-inline: ${glues.length} first-paint glues in ${staging}`);
  const file = glues[0];
  const statement = `import('/${file}')`;
  const found = page.split(statement).length - 1;
  if (found !== 1) throw new Error(`first-paint-inline: ${html} imports ${file} ${found} times; once was expected`);
  const glue = readFileSync(join(staging, file), "utf8");
  const body = glueAsFunctionBody(glue, file);
  if (/<\/script/i.test(body)) throw new Error(`first-paint-inline: ${file} says "</script", which would end the loader early`);
  page = page.replace(statement, () => `Promise.resolve().then(() => {\n${body}\n})`);
  writeFileSync(html, page);
  unlinkSync(join(staging, file));
  const left = readdirSync(staging).filter((f) => f.startsWith(file));
  if (left.length) throw new Error(`first-paint-inline: ${left.join(", ")} left in ${staging}`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
