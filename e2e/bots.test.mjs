// Records a headless browser sends are a bot's: the collector stores them apart and leaves them
// out of results (as Statsig and GrowthBook filter bots), unless it keeps bots.

import { test } from "node:test";
import assert from "node:assert/strict";
import { collector, launch, shown } from "./harness.mjs";

async function storedFor(server, userId) {
  for (let i = 0; i < 80; i++) {
    const mine = (await server.records()).filter((r) => r.user_id === userId);
    if (mine.length >= 2) return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await server.records()).filter((r) => r.user_id === userId);
}

for (const [bots, excluded, users] of [
  ["set apart", "bot", 0],
  ["kept", null, 1],
]) {
  test(`headless Chromium's exposure and signup are stored, and ${bots === "kept" ? "counted when bots are kept" : "set apart from results as a bot's"}`, async () => {
    const server = await collector({ bots });
    const browser = await launch();
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      const { userId } = await shown(page);
      assert.match(await page.evaluate(() => navigator.userAgent), /HeadlessChrome/);
      await page.click("[data-testid=signup-link]");
      await page.waitForSelector("[data-testid=signup]");
      const mine = await storedFor(server, userId);
      assert.deepEqual(mine.map((r) => r.kind).sort(), ["event", "exposure"]);
      for (const r of mine) assert.equal(r.excluded, excluded, r.note);
      const results = await (await fetch(`${server.url}/api/results?experiment=button_color_v3`)).json();
      assert.equal(results.total_users, users);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}
