// The collector's security headers in Chromium: the course page, its signup view, the results
// page and the example app, served by `cohort serve --dist`, run under its
// Content-Security-Policy with no violation reported, and answer with the headers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, collector, launch, watchConsole } from "./harness.mjs";

/** Every Content-Security-Policy violation the page reports, from its first script on. */
async function recordViolations(context) {
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__violations.push(`${e.violatedDirective}: ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
}

async function visit(context, url, ready) {
  const page = await context.newPage();
  const lines = watchConsole(page);
  const response = await page.goto(url);
  await page.waitForSelector(ready);
  const violations = await page.evaluate(() => window.__violations);
  const csp = lines.filter((l) => /Content Security Policy/i.test(l));
  await page.close();
  return { headers: response.headers(), violations, csp };
}

for (const [name, options, pages] of [
  [
    "the course page, its signup view and the results page",
    {},
    [
      ["/", "[data-testid=cta]"],
      ["/signup", "[data-testid=signup]"],
      ["/?force=button_color_v3:Red", "[data-testid=cta][data-color=Red]"],
      ["/results/", "[data-testid=results-title]"],
    ],
  ],
  [
    "the example pricing app",
    { rules: join(ROOT, "examples", "pricing", "experiments"), dist: join(ROOT, "examples", "pricing", "dist") },
    [["/", "[data-testid=plans]"]],
  ],
]) {
  test(`${name} run under the collector's Content-Security-Policy with no violation`, async () => {
    const server = await collector(options);
    const browser = await launch();
    try {
      const context = await browser.newContext();
      await recordViolations(context);
      for (const [path, ready] of pages) {
        const { headers, violations, csp } = await visit(context, `${server.url}${path}`, ready);
        assert.match(headers["content-security-policy"] ?? "", /script-src 'self' 'wasm-unsafe-eval' 'sha256-/, path);
        assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
        assert.equal(headers["content-type"], "text/html; charset=utf-8", path);
        assert.equal(headers["x-content-type-options"], "nosniff", path);
        assert.equal(headers["referrer-policy"], "same-origin", path);
        assert.deepEqual(violations, [], `${path}: ${violations.join("; ")}`);
        assert.deepEqual(csp, [], path);
      }
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

test("a script the site did not write is refused by the policy, and reported", async () => {
  const server = await collector();
  const browser = await launch();
  try {
    const context = await browser.newContext();
    await recordViolations(context);
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector("[data-testid=cta]");
    const ran = await page.evaluate(async () => {
      window.__injected = false;
      const script = document.createElement("script");
      script.textContent = "window.__injected = true";
      document.head.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return window.__injected;
    });
    assert.equal(ran, false, "an inline script not in the policy does not run");
    const violations = await page.evaluate(() => window.__violations);
    assert.ok(violations.some((v) => v.startsWith("script-src")), violations.join("; "));
  } finally {
    await browser.close();
    await server.close();
  }
});
