// End-to-end: the results page in Chromium, over a real collector holding an experiment's
// records (each user in the group the rules give them). A stand-in in front of it can delay
// an answer, to show that a slow earlier answer never overwrites a newer one.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACTS, axeViolations, collector, groupsOf, launch, serve, uuid } from "./harness.mjs";

let browser;
let backend;
let site;
let delays = [];

before(async () => {
  browser = await launch();
  backend = await collector();
  // 400 users: Red converts more often than the others; everyone clicks now and then.
  const users = Array.from({ length: 400 }, (_, i) => `results-user-${i}`);
  const groups = await groupsOf(users);
  const now = Date.now();
  const records = [];
  users.forEach((user, i) => {
    const group = groups[i];
    records.push({ exposure: { id: uuid(), user_id: user, experiment: "button_color_v3", group, rule_id: "r", time: now - 60_000 } });
    const rate = group === "Red" ? 0.45 : 0.2;
    if ((i * 7919) % 100 < rate * 100) {
      records.push({ event: { id: uuid(), user_id: user, name: "visited_signup", time: now - 30_000, groups: { button_color_v3: group } } });
    }
    for (let k = 0; k < i % 3; k++) {
      records.push({ event: { id: uuid(), user_id: user, name: "cta_click", time: now - 20_000 } });
    }
  });
  for (let i = 0; i < records.length; i += 400) {
    const response = await fetch(`${backend.url}/api/events`, {
      method: "POST",
      body: JSON.stringify({ records: records.slice(i, i + 400) }),
    });
    assert.equal(response.status, 200, await response.text());
  }
  // A forged exposure, kept out of the results and counted.
  await fetch(`${backend.url}/api/events`, {
    method: "POST",
    body: JSON.stringify({ records: [{ exposure: { id: uuid(), user_id: users[0], experiment: "button_color_v3",
      group: groups[0] === "Red" ? "Green" : "Red", rule_id: "r", time: now } }] }),
  });
  // The site, with /api/results answered by the collector after the next delay in line.
  site = await serve({
    routes: {
      "/api/results": async (req, res, url) => {
        const delay = delays.shift() ?? 0;
        const answer = await fetch(`${backend.url}/api/results${url.search}`);
        const body = await answer.text();
        setTimeout(() => {
          res.writeHead(answer.status, { "content-type": "application/json" });
          res.end(body);
        }, delay);
      },
    },
  });
});
after(async () => {
  await browser?.close();
  await site?.close();
  await backend?.close();
});

test("every metric is shown, sequential by default, and the engines can be switched", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/results/`);
  await page.waitForSelector("[data-testid=metric-card]");
  const metrics = await page.$$eval("[data-testid=metric-card]", (cards) => cards.map((c) => c.dataset.metric));
  assert.deepEqual(metrics, ["signup", "clicks", "tasks_completed", "tasks_added"]);
  assert.equal(await page.textContent("[data-testid=total-users]"), "400");
  assert.ok(await page.isChecked("[data-testid=engine-sequential]"), "sequential is the default");
  assert.match(await page.textContent("[data-testid=engine-note]"), /however often you look/);
  const signup = "[data-metric=signup]";
  const pValue = () => page.textContent(`${signup} tr[data-group=Red] td:nth-of-type(4) .figure`);
  const sequentialP = await pValue();
  // Each comparison has a verdict sentence and a planning line.
  const verdicts = await page.$$eval(`${signup} [data-testid=verdicts] li`, (items) => items.map((i) => i.textContent));
  assert.equal(verdicts.length, 3);
  assert.ok(verdicts.every((v) => /^(Red|Green|Orange) /.test(v) || /^(Not enough data yet|No difference|No result yet)/.test(v)), verdicts.join("\n"));
  assert.match(await page.textContent(`${signup} [data-testid=planning]`), /can detect a lift of ±[\d.]+% now \(80% power\)/);
  // Fixed horizon: smaller p-values for the same data, and the warning about peeking.
  await page.check("[data-testid=engine-fixed]");
  await page.waitForFunction(() => /look once/.test(document.querySelector("[data-testid=engine-note]").textContent));
  assert.ok(Number(await pValue()) < Number(sequentialP), `fixed ${await pValue()} < sequential ${sequentialP}`);
  // Bayesian: a chance to win instead of a p-value.
  await page.check("[data-testid=engine-bayesian]");
  await page.waitForSelector(`${signup} th:has-text("Chance to win")`);
  assert.match(await pValue(), /^\d+\.\d%$/);
  // One metric at a time.
  await page.selectOption("[data-testid=metric]", "clicks");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=metric-card]").length === 1);
  assert.equal(await page.getAttribute("[data-testid=metric-card]", "data-metric"), "clicks");
  // The forged exposure is counted apart.
  assert.match(await page.textContent("[data-testid=excluded]"), /Kept out of these results: 1 exposure/);
  await page.close();
});

test("a slow answer to an earlier request never overwrites a newer one", async () => {
  const page = await browser.newPage();
  delays = [0, 2000, 0]; // the first load, then a slow refresh and a quick one
  await page.goto(`${site.url}/results/`);
  await page.waitForSelector("[data-testid=metric-card]");
  await page.click("[data-testid=refresh]"); // slow
  await page.click("[data-testid=refresh]"); // quick
  await page.waitForSelector("[data-testid=metric-card]");
  // Mark what is shown; the slow answer, arriving later, must not replace it.
  await page.evaluate(() => (document.querySelector("[data-testid=metric-card]").dataset.mark = "newest"));
  await page.waitForTimeout(2500);
  assert.equal(await page.getAttribute("[data-testid=metric-card]", "data-mark"), "newest");
  await page.close();
});

test("the page fits and reads at desktop and phone widths, with no accessibility violation", async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [width, height] of [[1280, 900], [1100, 900], [390, 844]]) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=metric-card]");
    const layout = await page.evaluate(() => {
      const cells = [...document.querySelectorAll("main th, main td, .forest-row > *")];
      const outside = cells.filter((c) => {
        const card = c.closest(".card").getBoundingClientRect();
        const box = c.getBoundingClientRect();
        return box.right > card.right + 0.5 || box.left < card.left - 0.5;
      });
      const smallest = Math.min(
        ...[...document.querySelectorAll(".forest-label, .forest-value, .forest-axis span")]
          .filter((e) => e.textContent.trim())
          .map((e) => parseFloat(getComputedStyle(e).fontSize)),
      );
      return {
        sideways: document.documentElement.scrollWidth - window.innerWidth,
        outside: outside.map((c) => c.textContent.trim()),
        smallest,
      };
    });
    assert.equal(layout.sideways, 0, `${width} px: the page scrolls sideways`);
    assert.deepEqual(layout.outside, [], `${width} px: cells outside their card`);
    assert.ok(layout.smallest >= 12, `${width} px: chart text at ${layout.smallest} px`);
    assert.deepEqual(await axeViolations(page), [], `${width} px`);
    await page.screenshot({ path: join(ARTIFACTS, `results-${width}.png`), fullPage: true });
    await page.close();
  }
});
