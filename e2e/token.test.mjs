// The results page with a collector that guards its results with a token
// (`cohort serve --results-token`): it asks for the token, says when one is wrong, shows the
// collector's results with the right one, keeps it for the tab (a reload does not ask again),
// and a new browsing session is asked again.

import { test } from "node:test";
import assert from "node:assert/strict";
import { collector, launch, watchConsole } from "./harness.mjs";

const TOKEN = "e2e-results-token";

test("the results page asks for the collector's token, refuses a wrong one, and keeps the right one for the tab", async () => {
  const server = await collector({ args: ["--results-token", TOKEN] });
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const lines = watchConsole(page);
    await page.goto(`${server.url}/results/`);
    await page.waitForSelector("[data-testid=token-form]");
    assert.match(await page.textContent("main"), /results need its token/);
    assert.match(await page.textContent("[data-testid=experiments-source]"), /this page's rules/);

    await page.fill("[data-testid=token]", "not-the-token");
    await page.click("[data-testid=token-form] button[type=submit]");
    await page.waitForFunction(() => document.querySelector("main").textContent.includes("not this collector's"));
    assert.ok(await page.isVisible("[data-testid=token-form]"));

    await page.fill("[data-testid=token]", TOKEN);
    await page.click("[data-testid=token-form] button[type=submit]");
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=experiments-source]")?.textContent.includes("the collector at"),
    );
    assert.equal(await page.$("[data-testid=token-form]"), null, "no form once the token is right");
    assert.equal(await page.textContent("[data-testid=results-title]"), "Results: button_color_v3");

    await page.reload();
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=experiments-source]")?.textContent.includes("the collector at"),
    );
    assert.equal(await page.$("[data-testid=token-form]"), null, "the tab kept the token");
    assert.ok(!lines.some((l) => l.includes(TOKEN)), "the token is never written to the console");

    const other = await (await browser.newContext()).newPage();
    await other.goto(`${server.url}/results/`);
    await other.waitForSelector("[data-testid=token-form]");
  } finally {
    await browser.close();
    await server.close();
  }
});
