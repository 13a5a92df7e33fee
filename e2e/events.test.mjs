// End-to-end: exposures and events from the built page to a collector, and the results page,
// in Chromium. The collector is the real one (`cohort serve`) or, to make it fail on purpose,
// a scripted stand-in.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { collector, launch, serve, shown } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function results(base, event = "visited_signup") {
  const response = await fetch(`${base}/api/results?experiment=button_color_v3&event=${event}`);
  return (await response.json()).analysis;
}

/** Polls `check` until it returns a truthy value or time runs out. */
async function eventually(check, ms = 8000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sum = (analysis, field) => analysis.groups.reduce((n, g) => n + g[field], 0);

test("exposures and conversions reach the collector, one exposure per user", async () => {
  const server = await collector();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    // One returning user, three loads: one exposure.
    for (let i = 0; i < 3; i++) {
      await page.goto(server.url);
      await shown(page);
    }
    // Six users with ?random; the even ones sign up.
    for (let i = 0; i < 6; i++) {
      await page.goto(`${server.url}/?random`);
      await shown(page);
      if (i % 2 === 0) {
        await page.click("[data-testid=signup-link]");
        await page.waitForSelector("[data-testid=signup]");
      }
    }
    await page.goto(server.url);
    await shown(page);
    await page.click("[data-testid=cta]");
    const analysis = await eventually(async () => {
      const a = await results(server.url);
      return a.total_exposed === 7 && sum(a, "converted") === 4 ? a : null;
    });
    assert.ok(analysis, "7 users exposed, 4 converted (3 ?random signups and one click through)");
    const clicks = await eventually(async () => {
      const a = await results(server.url, "cta_click");
      return sum(a, "converted") === 1 ? a : null;
    });
    assert.ok(clicks, "the cta_click counts for its user");
    // Nothing is left queued in the browser.
    const queued = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("cohort.q.")).length);
    assert.equal(queued, 0);

    // The results page shows the collector's figures.
    await page.goto(`${server.url}/results/`);
    await page.waitForSelector("[data-testid=results-table]");
    assert.match(await page.textContent("[data-testid=results-source]"), /collector/);
    const shownExposed = await page.$$eval("[data-testid=exposed]", (cells) =>
      cells.reduce((n, c) => n + Number(c.textContent), 0),
    );
    assert.equal(shownExposed, 7);
    assert.ok(await page.isVisible("[data-testid=results-chart]"));
    assert.ok(await page.isVisible("[data-testid=srm]"));
    await context.close();
  } finally {
    await server.close();
  }
});

test("records wait in localStorage through a reload while the collector fails, then arrive once", async () => {
  let failing = true;
  const received = [];
  const site = await serve({
    routes: {
      "/api/events": (req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          if (failing) {
            res.writeHead(503).end();
            return;
          }
          const batch = JSON.parse(body);
          received.push(...batch.records);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ stored: batch.records.length, duplicates: 0 }));
        });
      },
    },
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(site.url);
    await shown(page);
    await page.click("[data-testid=cta]");
    await page.waitForSelector("[data-testid=signup]");
    await page.click("[data-testid=back-link]");
    await page.waitForSelector("[data-testid=cta]");
    const queuedKeys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("cohort.q.")).length);
    assert.equal(await queuedKeys(), 3, "exposure, cta_click and visited_signup are queued");
    await page.reload();
    await shown(page);
    assert.equal(await queuedKeys(), 3, "the queue survives the reload");
    failing = false;
    await page.reload(); // sends what is queued at start
    await shown(page);
    assert.ok(await eventually(async () => (await queuedKeys()) === 0), "delivered and removed");
    // The beacon sent as the page unloads may deliver a record the next fetch sends again:
    // records carry IDs, and the collector stores each ID once.
    const byId = new Map(received.map((r) => [(r.exposure ?? r.event).id, r]));
    assert.equal(byId.size, 3, `three distinct records (${received.length} deliveries)`);
    const kinds = [...byId.values()].map((r) => (r.exposure ? "exposure" : r.event.name)).sort();
    assert.deepEqual(kinds, ["cta_click", "exposure", "visited_signup"]);
    await context.close();
  } finally {
    await site.close();
  }
});

test("without a collector the results page reads this browser's log", async () => {
  const site = await serve({ meta: { "cohort:collector-url": "" } });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (let i = 0; i < 5; i++) {
      await page.goto(`${site.url}/?random`);
      await shown(page);
      if (i < 2) {
        await page.click("[data-testid=signup-link]");
        await page.waitForSelector("[data-testid=signup]");
      }
    }
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=results-table]");
    assert.match(await page.textContent("[data-testid=results-source]"), /this browser's log \(\d+ records\)/);
    const cells = (id) =>
      page.$$eval(`[data-testid=${id}]`, (cs) => cs.reduce((n, c) => n + Number(c.textContent), 0));
    assert.equal(await cells("exposed"), 5);
    assert.equal(await cells("converted"), 2);
    await page.selectOption("[data-testid=metric]", "cta_click");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("[data-testid=converted]")].every((c) => c.textContent === "0"),
    );
    await context.close();
  } finally {
    await site.close();
  }
});
