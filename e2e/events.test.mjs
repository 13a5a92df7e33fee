// End-to-end: exposures and events from the built page to a collector, and the results page,
// in Chromium. The collector is the real one (`cohort serve`) or, to make it fail on purpose,
// a scripted stand-in.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { collector, launch, serve, shown, skewClock, watchConsole } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function results(base) {
  const response = await fetch(`${base}/api/results?experiment=button_color_v3`);
  return response.json();
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

/** Users who did a conversion metric's event (or a count metric's total), over the groups. */
const total = (results, metric) =>
  results.metrics.find((m) => m.metric.name === metric).groups.reduce((n, g) => n + g.stats.sum, 0);

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
      return a.total_users === 7 && total(a, "signup") === 4 ? a : null;
    });
    assert.ok(analysis, "7 users exposed, 4 converted (3 ?random signups and one click through)");
    // One click among seven users: capped at the clicks' 99th percentile (0.94 of a click,
    // between the sixth user's 0 and the seventh's 1).
    const clicks = await eventually(async () => {
      const a = await results(server.url);
      const metric = a.metrics.find((m) => m.metric.name === "clicks");
      return metric.metric.cap.bound > 0 ? a : null;
    });
    assert.ok(clicks, "the cta_click counts for its user");
    const bound = clicks.metrics.find((m) => m.metric.name === "clicks").metric.cap.bound;
    assert.ok(Math.abs(bound - 0.94) < 1e-12, `the 99th percentile of six 0s and a 1: ${bound}`);
    assert.ok(Math.abs(total(clicks, "clicks") - bound) < 1e-12);
    // Nothing is left queued in the browser.
    const queued = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("cohort.q.")).length);
    assert.equal(queued, 0);

    // The results page shows the collector's figures.
    await page.goto(`${server.url}/results/`);
    await page.waitForSelector("[data-testid=results-table]");
    assert.match(await page.textContent("[data-testid=results-source]"), /collector/);
    assert.equal(await page.textContent("[data-testid=total-users]"), "7");
    // Every declared metric has its card, each with a forest plot or, while no treatment has
    // a lift over control yet (seven random users may leave a group empty), a note saying so.
    const cards = await page.locator("[data-testid=metric-card]").count();
    assert.equal(cards, analysis.metrics.length);
    const plots = await page.locator("[data-testid=forest]").count();
    const notes = await page.locator("[data-testid=no-lift]").count();
    assert.equal(plots + notes, cards, "a plot or a note per metric");
    assert.ok(await page.isVisible("[data-testid=srm]"));
    await context.close();
  } finally {
    await server.close();
  }
});

const MINUTE = 60_000;
const queued = (page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("cohort.q.")).length);

test("pages with wrong clocks lose nothing: every record stored once, at the right time", async () => {
  const server = await collector();
  try {
    for (const [label, skew] of [
      ["10 minutes fast", 10 * MINUTE],
      ["10 minutes slow", -10 * MINUTE],
      ["2 days fast", 2 * 24 * 60 * MINUTE],
    ]) {
      const context = await browser.newContext();
      await skewClock(context, skew);
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(server.url);
      const { userId } = await shown(page);
      assert.ok(Math.abs((await page.evaluate(() => Date.now())) - Date.now() - skew) < 5000, label);
      await page.click("[data-testid=signup-link]");
      await page.waitForSelector("[data-testid=signup]");
      await page.click("[data-testid=back-link]");
      await page.click("[data-testid=cta]");
      await page.waitForSelector("[data-testid=signup]");
      assert.ok(await eventually(async () => (await queued(page)) === 0), `${label}: delivered`);
      const finished = Date.now();
      const mine = (await server.records()).filter((r) => r.user_id === userId);
      const kinds = mine.map((r) => (r.kind === "exposure" ? "exposure" : r.record.event.name)).sort();
      assert.deepEqual(kinds, ["cta_click", "exposure", "visited_signup", "visited_signup"], label);
      assert.equal(new Set(mine.map((r) => r.id)).size, mine.length, `${label}: each stored once`);
      for (const r of mine) {
        assert.equal(r.excluded, null, `${label}: ${r.note}`);
        assert.ok(started - 1000 <= r.time && r.time <= finished + 1000, `${label}: placed at ${r.time}, within the test`);
        assert.ok(Math.abs(r.client_time - r.time - skew) < 5000, `${label}: the page's time is kept (${r.client_time - r.time} ms off)`);
      }
      await context.close();
    }
    const analysis = await results(server.url);
    assert.equal(analysis.total_users, 3);
    assert.equal(total(analysis, "signup"), 3, "each signup counts: it follows its exposure");
  } finally {
    await server.close();
  }
});

test("one bad record among good ones: the good ones are stored, the bad one dropped and said", async () => {
  const server = await collector();
  try {
    const context = await browser.newContext();
    // Two bad records waiting in the queue before the page starts: an event the collector
    // does not know, and text that is not JSON at all (which spoils its whole batch).
    await context.addInitScript(() => {
      if (sessionStorage.getItem("seeded")) return;
      sessionStorage.setItem("seeded", "1");
      const unknown = { event: { id: "0f8fad5b-d9cb-469f-a165-70867728950e", user_id: "someone",
        name: "bought_a_boat", time: Date.now(), groups: {} } };
      localStorage.setItem("cohort.q.000000000000", JSON.stringify(unknown));
      localStorage.setItem("cohort.q.000000000001", '{"event": {"id": ');
    });
    const page = await context.newPage();
    const lines = watchConsole(page);
    await page.goto(server.url);
    const { userId } = await shown(page);
    await page.click("[data-testid=signup-link]");
    await page.waitForSelector("[data-testid=signup]");
    assert.ok(await eventually(async () => (await queued(page)) === 0), "the queue drains");
    const stored = await server.records();
    const kinds = stored.map((r) => (r.kind === "exposure" ? "exposure" : r.record.event.name)).sort();
    assert.deepEqual(kinds, ["exposure", "visited_signup"], "the good records, and only they");
    assert.ok(stored.every((r) => r.user_id === userId));
    const said = lines.join("\n");
    assert.match(said, /refused record 0 of a batch of 1: unknown event "bought_a_boat"/);
    assert.match(said, /refused a record \(status 400: not a batch/);
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
    assert.equal(await page.textContent("[data-testid=total-users]"), "5");
    // Two of the five signed up: the signup rates (shown to 0.01%), weighted by users, add up
    // to 2.
    const signups = await page.$$eval("[data-metric=signup] tbody tr", (rows) =>
      rows.reduce((n, r) => n + Number(r.children[1].textContent) * parseFloat(r.querySelector("[data-testid=value]").textContent) / 100, 0),
    );
    assert.ok(Math.abs(signups - 2) < 0.01, `${signups} signups`);
    await page.selectOption("[data-testid=metric]", "clicks");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=metric-card]").length === 1);
    const clicks = await page.$$eval("[data-metric=clicks] [data-testid=value]", (cs) => cs.map((c) => Number(c.textContent)));
    assert.ok(clicks.every((c) => c === 0), `no clicks: ${clicks}`);
    await context.close();
  } finally {
    await site.close();
  }
});
