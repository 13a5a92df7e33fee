// End-to-end: the results page in Chromium, against a stand-in collector whose answers the
// test controls: a slow answer never overwrites a newer one, the table fits at desktop and
// phone widths, and records kept out of the results are counted on the page.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACTS, launch, serve } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A results answer (the collector's shape) with `exposed` users in each of four groups. */
function answer(event, exposed, excluded = []) {
  const groups = ["Control", "Red", "Green", "Orange"].map((group, i) => {
    const converted = Math.round(exposed * (0.3 + i * 0.05));
    const rate = converted / exposed;
    return {
      group,
      weight: 0.25,
      exposed,
      converted,
      rate,
      rate_ci: [rate - 0.123456, rate + 0.123456],
      vs_control: i === 0 ? null : {
        absolute_lift: -0.161903, absolute_ci: [-0.591456, 0.267654], relative_lift: -0.377823,
        relative_ci: [-0.8, 0.9], z: -1.23, p_value: 0.447123,
      },
    };
  });
  return {
    analysis: { experiment: "button_color_v3", event, control: "Control", total_exposed: 4 * exposed,
                groups, sample_ratio: { test: { statistic: 4.4, degrees_of_freedom: 3, p_value: 0.221 }, mismatch: false } },
    dropped_by_clients: 0,
    excluded,
  };
}

/** A site whose /api/results answers `event` after `delays[event]` ms. */
function standIn(delays, excluded = []) {
  return serve({
    routes: {
      "/api/results": (req, res, url) => {
        const event = url.searchParams.get("event");
        const exposed = event === "cta_click" ? 2222 : 1111;
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(answer(event, exposed, excluded)));
        }, delays[event] ?? 0);
      },
    },
  });
}

const heading = (page) => page.textContent("#table-title");

test("a slow answer to an earlier choice never overwrites the newer one", async () => {
  const site = await standIn({ visited_signup: 1500, cta_click: 0 });
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=metric]");
    // The first answer (visited_signup) is still on its way: switch to cta_click.
    await page.selectOption("[data-testid=metric]", "cta_click");
    await page.waitForSelector("[data-testid=results-table]");
    assert.match(await heading(page), /cta_click, 8888 users exposed/);
    await page.waitForTimeout(2000); // the slow answer arrives, and must be ignored
    assert.match(await heading(page), /cta_click, 8888 users exposed/);
    // Switching back shows the slow event's own answer.
    await page.selectOption("[data-testid=metric]", "visited_signup");
    await page.waitForFunction(() => /visited_signup, 4444 users/.test(document.querySelector("#table-title")?.textContent ?? ""));
    await page.close();
  } finally {
    await site.close();
  }
});

test("the table fits at desktop and phone widths, and excluded records are counted", async () => {
  const excluded = [
    { kind: "exposure", reason: "its group is not the one the rules give its user", count: 2 },
    { kind: "event", reason: "its group is not the one the rules give its user", count: 1 },
  ];
  const site = await standIn({}, excluded);
  await mkdir(ARTIFACTS, { recursive: true });
  try {
    for (const [width, height] of [[1280, 900], [1100, 900], [390, 844]]) {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(`${site.url}/results/`);
      await page.waitForSelector("[data-testid=results-table]");
      const overflow = await page.evaluate(() => {
        const table = document.querySelector("[data-testid=results-table]");
        const card = table.closest(".card");
        const cells = [...table.querySelectorAll("th, td")];
        const outside = cells.filter((c) => c.getBoundingClientRect().right > card.getBoundingClientRect().right - 1);
        return { page: document.documentElement.scrollWidth - window.innerWidth, cells: outside.map((c) => c.textContent) };
      });
      assert.equal(overflow.page, 0, `${width} px: the page scrolls sideways`);
      assert.deepEqual(overflow.cells, [], `${width} px: cells outside the card`);
      // Every figure is on the page, labelled, at every width.
      const red = await page.textContent("tr[data-group=Red]");
      assert.match(red, /-16\.19% \(-37\.78%\)/);
      assert.match(red, /0\.4471/);
      assert.equal(
        await page.textContent("[data-testid=excluded]"),
        "Kept out of these results: 2 exposures (its group is not the one the rules give its user); " +
          "1 event (its group is not the one the rules give its user). Forged, or sent by a page built from other rules.",
      );
      await page.screenshot({ path: join(ARTIFACTS, `results-${width}.png`), fullPage: true });
      await page.close();
    }
  } finally {
    await site.close();
  }
});
