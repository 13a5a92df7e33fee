// End-to-end: the results page in Chromium, over real collectors holding experiments'
// records (each user in the group the rules give them). One collector has the course's rules
// (one experiment), behind a stand-in that can delay and number its answers, to show that a
// slow earlier answer never overwrites a newer one; another has the pricing example's rules
// (several experiments), to show that the page lists them all and shows any of them.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACTS, ROOT, axeViolations, collector, groupsOf, launch, serve, uuid } from "./harness.mjs";

const COHORT = join(ROOT, "target", "release", "cohort");
const PRICING_RULES = join(ROOT, "examples", "pricing", "experiments");

let browser;
let backend;
let site;
let pricing;
// The stand-in's /api/results: the delay of each next answer, and (when `numbered`) the
// answers numbered in their `dropped_by_clients`, which the page shows.
let delays = [];
let numbered = false;
let served = 0;
// When set, the stand-in answers as a collector whose database could not compute this metric.
let failing = null;
// When set, the stand-in's /api/results drops every connection, as an unreachable collector.
let unreachable = false;

/** The group name `rules` give each of `users` in `experiment` (`cohort eval`; for a user the
 *  experiment does not allocate, the name of the rule that left them out). */
function groupsIn(rules, experiment, users) {
  const input = users.map((u) => JSON.stringify({ userID: u })).join("\n") + "\n";
  const out = execFileSync(COHORT, ["eval", "--rules", rules], { input });
  return out.toString().split("\n").filter(Boolean).map((l) => JSON.parse(l).configs[experiment]?.group_name);
}

/** Posts `records` to the collector at `url`, 400 a batch. */
async function post(url, records) {
  for (let i = 0; i < records.length; i += 400) {
    const response = await fetch(`${url}/api/events`, {
      method: "POST",
      body: JSON.stringify({ records: records.slice(i, i + 400) }),
    });
    assert.equal(response.status, 200, await response.text());
  }
}

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
    const dimensions = i % 10 === 9 ? {} : { browser: i % 3 === 0 ? "Firefox" : "Chrome", visitor: i % 2 ? "new" : "returning" };
    records.push({ exposure: { id: uuid(), user_id: user, experiment: "button_color_v3", group, rule_id: "r", time: now - 60_000, dimensions } });
    const rate = group === "Red" ? 0.45 : 0.2;
    if ((i * 7919) % 100 < rate * 100) {
      records.push({ event: { id: uuid(), user_id: user, name: "visited_signup", time: now - 30_000, groups: { button_color_v3: group } } });
    }
    for (let k = 0; k < i % 3; k++) {
      records.push({ event: { id: uuid(), user_id: user, name: "cta_click", time: now - 20_000 } });
      // As keen before their exposure (CUPED's covariate), give or take a click.
      if (k > 0 || i % 5 !== 0) {
        records.push({ event: { id: uuid(), user_id: user, name: "cta_click", time: now - 120_000 } });
      }
    }
    // Tasks added and ticked off: a ratio, and the guardrail.
    for (let k = 0; k < 1 + (i % 4); k++) {
      records.push({ event: { id: uuid(), user_id: user, name: "task_added", time: now - 15_000 } });
      if (k % 2 === 0) records.push({ event: { id: uuid(), user_id: user, name: "task_completed", time: now - 10_000 } });
    }
  });
  await post(backend.url, records);
  // A forged exposure, kept out of the results and counted.
  await fetch(`${backend.url}/api/events`, {
    method: "POST",
    body: JSON.stringify({ records: [{ exposure: { id: uuid(), user_id: users[0], experiment: "button_color_v3",
      group: groups[0] === "Red" ? "Green" : "Red", rule_id: "r", time: now } }] }),
  });
  // The site, with the collector's /api/experiments, and its /api/results answered after the
  // next delay in line.
  site = await serve({
    routes: {
      "/api/experiments": async (req, res) => {
        const answer = await fetch(`${backend.url}/api/experiments`);
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(await answer.text());
      },
      "/api/results": async (req, res, url) => {
        if (unreachable) {
          req.socket.destroy();
          return;
        }
        // The page's watch (a conditional GET every second) goes straight through, uncounted.
        const tag = req.headers["if-none-match"];
        if (tag) {
          const answer = await fetch(`${backend.url}/api/results${url.search}`, { headers: { "if-none-match": tag } });
          res.writeHead(answer.status, { "content-type": "application/json", etag: answer.headers.get("etag") ?? "" });
          res.end(answer.status === 304 ? "" : await answer.text());
          return;
        }
        const delay = delays.shift() ?? 0;
        const number = ++served;
        const answer = await fetch(`${backend.url}/api/results${url.search}`);
        const etag = answer.headers.get("etag");
        let body = await answer.text();
        if (numbered && answer.ok) body = JSON.stringify({ ...JSON.parse(body), dropped_by_clients: number });
        if (failing && answer.ok) {
          const results = JSON.parse(body);
          results.metrics = results.metrics.filter((m) => m.metric.name !== failing);
          results.unavailable = [{ metric: failing, reason: "the database could not compute it (ERROR: value out of range: overflow)" }];
          body = JSON.stringify(results);
        }
        setTimeout(() => {
          // A changed answer (numbered, or a metric taken out) gets no tag: the watch then
          // finds it changed at once and loads it again, as it would a collector's.
          const tagged = etag && !numbered && !failing ? { etag } : {};
          res.writeHead(answer.status, { "content-type": "application/json", ...tagged });
          res.end(body);
        }, delay);
      },
    },
  });
  // The pricing example's collector, serving the site itself: 300 users exposed to the
  // second experiment of its rules (those of them it allocates).
  pricing = await collector({ rules: PRICING_RULES });
});
after(async () => {
  await browser?.close();
  await site?.close();
  await backend?.close();
  await pricing?.close();
});

/** The experiments the pricing collector lists (`GET /api/experiments`). */
async function pricingExperiments() {
  const answer = await fetch(`${pricing.url}/api/experiments`);
  assert.equal(answer.status, 200);
  return (await answer.json()).experiments;
}

/** What the experiment picker offers: each option's value, status and exposures. */
function pickerOptions(page) {
  return page.$$eval("[data-testid=experiment] option", (options) =>
    options.filter((o) => o.value).map((o) => ({ name: o.value, status: o.dataset.status, exposures: Number(o.dataset.exposures), text: o.textContent })),
  );
}

test("the rules' first experiment is shown by default: picked, named, every metric, sequential, engines switchable", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/results/`);
  await page.waitForSelector("[data-testid=metric-card]");
  // The picker offers the collector's one experiment, running, with its 400 users.
  assert.equal(await page.textContent("[data-testid=results-title]"), "Results: button_color_v3");
  assert.equal(await page.inputValue("[data-testid=experiment]"), "button_color_v3");
  assert.deepEqual(await pickerOptions(page), [
    { name: "button_color_v3", status: "running", exposures: 400, text: "button_color_v3 (running, 400 users exposed)" },
  ]);
  assert.match(await page.textContent("[data-testid=experiments-source]"), /the collector at \/api/);
  assert.match(await page.textContent("[data-testid=experiment-facts]"), /^Running · groups Control, Red, Green, Orange · 400 users exposed so far/);
  const metrics = await page.$$eval("[data-testid=metric-card]", (cards) => cards.map((c) => c.dataset.metric));
  // The goals, then the guardrail in a section of its own.
  assert.deepEqual(metrics, ["signup", "clicks", "tasks_completed", "completion_rate", "tasks_added"]);
  assert.deepEqual(
    await page.$$eval("[data-testid=guardrails] [data-testid=metric-card]", (cards) => cards.map((c) => c.dataset.metric)),
    ["tasks_added"],
  );
  assert.match(await page.textContent("[data-metric=tasks_added] h2"), /guardrail/);
  // Clicks: CUPED from the clicks before exposure, narrower intervals said per treatment; the
  // cap at the 99th percentile with where it falls now.
  const clicks = "[data-metric=clicks]";
  assert.match(await page.textContent(`${clicks} [data-adjustment=cuped]`), /CUPED: lifts are adjusted by each user's own value over the 14 days before/);
  assert.match(await page.textContent(`${clicks} [data-adjustment=cap]`), /at most the 99th percentile of the users' values: 2\.0000 now/);
  const narrower = await page.$$eval(`${clicks} [data-testid=cuped] li`, (items) => items.map((i) => Number(i.dataset.narrower)));
  assert.equal(narrower.length, 3);
  assert.ok(narrower.every((n) => n > 0.1), `CUPED narrows every interval: ${narrower}`);
  // The ratio, described as one.
  assert.match(await page.textContent("[data-metric=completion_rate] .hint"), /A ratio: the group's total of tasks_completed over its total of tasks_added/);
  assert.equal(await page.textContent("[data-testid=total-users]"), "400");
  assert.ok(await page.isChecked("[data-testid=engine-sequential]"), "sequential is the default");
  assert.match(await page.textContent("[data-testid=engine-note]"), /however often you look/);
  const signup = "[data-metric=signup]";
  const pValue = () => page.textContent(`${signup} tr[data-group=Red] td:nth-of-type(4) .figure`);
  const sequentialP = await pValue();
  // Each comparison has a verdict sentence and a planning line.
  const verdicts = await page.$$eval(`${signup} [data-testid=verdicts] li`, (items) => items.map((i) => i.textContent));
  // A sentence per treatment, or one for all of them when none has enough data yet.
  assert.ok(verdicts.length === 3 || (verdicts.length === 1 && /for any group/.test(verdicts[0])), verdicts.join("\n"));
  assert.ok(verdicts.every((v) => /^(Red|Green|Orange) /.test(v) || /^(Not enough data yet|No difference|No result yet)/.test(v)), verdicts.join("\n"));
  // At a glance, above the cards: the primary metric's verdicts.
  assert.equal(await page.getAttribute("[data-testid=glance]", "data-glance-metric"), "signup");
  assert.deepEqual(await page.$$eval("[data-testid=glance] li", (items) => items.map((i) => i.textContent)), verdicts);
  assert.match(await page.textContent(`${signup} [data-testid=planning]`), /can detect a lift of ±[\d.]+% now \(80% power\)/);
  // Fixed horizon: smaller p-values for the same data, and the warning about peeking.
  await page.check("[data-testid=engine-fixed]");
  await page.waitForFunction(() => /look once/.test(document.querySelector("[data-testid=engine-note]").textContent));
  assert.ok(Number(await pValue()) < Number(sequentialP), `fixed ${await pValue()} < sequential ${sequentialP}`);
  // Bayesian: a chance to win instead of a p-value.
  await page.check("[data-testid=engine-bayesian]");
  await page.waitForSelector(`${signup} th:has-text("Chance to win")`);
  assert.match(await pValue(), /^\d+\.\d%$/);
  // By browser: a row per value (and the users who sent none), each with its sample-ratio
  // check, adding up to everyone; the lifts on the primary metric.
  await page.selectOption("[data-testid=breakdown]", "browser");
  await page.waitForSelector("[data-testid=breakdown-card]");
  const slices = await page.$$eval("[data-testid=slice]", (rows) => rows.map((r) => [r.dataset.value, Number(r.dataset.users)]));
  assert.deepEqual(slices.map(([v]) => v).sort(), ["(not given)", "Chrome", "Firefox"]);
  assert.equal(slices.reduce((n, [, users]) => n + users, 0), 400);
  assert.equal(slices[0][0], "Chrome", "the most users first");
  assert.match(await page.textContent("[data-testid=breakdown-card] .hint"), /lift over control on signup/);
  assert.match(await page.textContent("[data-testid=slice][data-value=Chrome] td:nth-of-type(2)"), /^(ok|mismatch) \(p = /);
  // The same breakdown as `cohort results --dimension browser --json` gives.
  const cli = JSON.parse(execFileSync(COHORT, ["results", "--db", backend.db, "--rules", join(ROOT, "experiments"),
    "--experiment", "button_color_v3", "--dimension", "browser", "--json"]).toString());
  assert.deepEqual(cli.slices.map((s) => [s.value, s.results.total_users]), slices);
  await page.selectOption("[data-testid=breakdown]", "");
  await page.waitForFunction(() => !document.querySelector("[data-testid=breakdown-card]"));
  // One metric at a time.
  await page.selectOption("[data-testid=metric]", "clicks");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=metric-card]").length === 1);
  assert.equal(await page.getAttribute("[data-testid=metric-card]", "data-metric"), "clicks");
  // The forged exposure is counted apart.
  assert.match(await page.textContent("[data-testid=excluded]"), /Kept out of these results: 1 exposure/);
  await page.close();
});

test("each metric's lift over time is charted, point for point as cohort results --json gives it", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/results/`);
  await page.waitForSelector("[data-testid=over-time]");
  const charted = await page.$$eval("[data-testid=over-time]", (charts) => charts.map((chart) => ({
    metric: chart.dataset.metric,
    series: [...chart.querySelectorAll(".over-time-series")].map((g) => ({
      group: g.dataset.group,
      points: [...g.querySelectorAll(".over-time-point")].map((p) =>
        [p.dataset.date, Number(p.dataset.estimate), Number(p.dataset.lower), Number(p.dataset.upper)]),
    })),
  })));
  const json = JSON.parse(execFileSync(COHORT, ["results", "--db", backend.db, "--rules", join(ROOT, "experiments"),
    "--experiment", "button_color_v3", "--json"]).toString());
  assert.ok(json.over_time.length >= 1, "the CLI gives the days");
  const expected = json.metrics.map((m) => {
    const groups = [];
    for (const day of json.over_time) {
      for (const { group, lift } of day.metrics.find((d) => d.metric === m.metric.name).lifts) {
        let series = groups.find((s) => s.group === group);
        if (!series) groups.push((series = { group, points: [] }));
        if (lift.error === null || lift.error === undefined) series.points.push([day.date, lift.estimate, lift.ci[0], lift.ci[1]]);
      }
    }
    return { metric: m.metric.name, series: groups.filter((s) => s.points.length > 0) };
  }).filter((m) => m.series.length > 0);
  assert.deepEqual(charted, expected);
  // The course's records: signup has a lift for every treatment, on the day they were sent (UTC).
  const signup = charted.find((c) => c.metric === "signup");
  assert.deepEqual(signup.series.map((s) => s.group), ["Red", "Green", "Orange"]);
  const recent = [Date.now() - 86_400_000, Date.now()].map((t) => new Date(t).toISOString().slice(0, 10));
  assert.ok(recent.includes(signup.series[0].points.at(-1)[0]), signup.series[0].points.at(-1)[0]);
  // The chart says its figures in words.
  assert.match(await page.getAttribute("[data-metric=signup] [data-testid=over-time] svg", "aria-label"),
    /^Relative lift of signup against control over time, with sequential 95% intervals: Red: /);
  await page.close();
});

test("refreshing past a slow answer ends on the newest answer, and an older one never replaces it", async () => {
  const page = await browser.newPage();
  numbered = true;
  served = 0;
  delays = [0, 2000, 0]; // the first load, then a slow refresh and a quick one
  const shownAnswer = () => page.evaluate(() => document.querySelector("[data-testid=dropped]")?.textContent.match(/^\d+/)?.[0] ?? null);
  try {
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=metric-card]");
    assert.equal(await shownAnswer(), "1");
    await page.click("[data-testid=refresh]"); // slow
    await page.click("[data-testid=refresh]"); // quick
    // While an answer is awaited the page says so, and keeps the results it has.
    assert.equal(await page.getAttribute("[data-testid=results-body]", "aria-busy"), "true");
    assert.equal(await page.textContent("[data-testid=updating]"), "Updating…");
    assert.ok(await page.isVisible("[data-testid=metric-card]"));
    await page.waitForFunction(() => document.querySelector("[data-testid=dropped]")?.textContent.startsWith("3 "));
    // The slow answer has had time to arrive: the newest answer is still the one shown.
    await page.waitForTimeout(2500);
    assert.equal(served, 3);
    assert.equal(await shownAnswer(), "3");
    assert.equal(await page.getAttribute("[data-testid=results-body]", "aria-busy"), "false");
  } finally {
    numbered = false;
    await page.close();
  }
});

test("a metric the collector could not compute is named with why, and the other metrics are shown", async () => {
  const page = await browser.newPage();
  failing = "clicks";
  try {
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=metric-card]");
    assert.equal(
      await page.textContent("[data-testid=unavailable]"),
      "Metric clicks is not shown: the database could not compute it (ERROR: value out of range: overflow).",
    );
    const metrics = await page.$$eval("[data-testid=metric-card]", (cards) => cards.map((c) => c.dataset.metric));
    assert.deepEqual(metrics, ["signup", "tasks_completed", "completion_rate", "tasks_added"]);
    // The next answer has every metric: the notice goes.
    failing = null;
    await page.click("[data-testid=refresh]");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=metric-card]").length === 5);
    assert.equal(await page.$("[data-testid=unavailable]"), null);
  } finally {
    failing = null;
    await page.close();
  }
});

test("?experiment= shows another experiment of the collector's rules: its name, its place in the picker, its figures", async () => {
  const experiments = await pricingExperiments();
  assert.ok(experiments.length >= 2, "the pricing rules have several experiments");
  const other = experiments[1];
  const users = Array.from({ length: 300 }, (_, i) => `pricing-user-${i}`);
  const groups = groupsIn(PRICING_RULES, other.name, users);
  const now = Date.now();
  const records = users
    .map((user, i) => ({ user, group: groups[i] }))
    .filter(({ group }) => other.groups.includes(group))
    .map(({ user, group }) => ({ exposure: { id: uuid(), user_id: user, experiment: other.name, group, rule_id: "r", time: now - 60_000 } }));
  assert.ok(records.length > 50, `${records.length} users allocated to ${other.name}`);
  await post(pricing.url, records);

  const page = await browser.newPage();
  await page.goto(`${pricing.url}/results/?experiment=${other.name}`);
  await page.waitForSelector("[data-testid=metric-card]");
  assert.equal(await page.textContent("[data-testid=results-title]"), `Results: ${other.name}`);
  assert.equal(await page.inputValue("[data-testid=experiment]"), other.name);
  // Every experiment of the rules is offered, in their order, with its status and exposures.
  const offered = await pickerOptions(page);
  assert.deepEqual(
    offered.map(({ name, status, exposures }) => ({ name, status, exposures })),
    experiments.map((e) => ({ name: e.name, status: e.status, exposures: e.name === other.name ? records.length : e.exposures })),
  );
  // Its figures: the users exposed, and a card per metric its rules judge it by.
  assert.equal(await page.textContent("[data-testid=total-users]"), String(records.length));
  const metrics = await page.$$eval("[data-testid=metric-card]", (cards) => cards.map((c) => c.dataset.metric));
  assert.deepEqual(metrics, other.metrics);
  assert.match(await page.textContent("[data-testid=results-source]"), /collector/);
  await page.close();
});

test("picking another experiment loads its results and puts it in the address, which a reload keeps", async () => {
  const [first, second] = await pricingExperiments();
  const page = await browser.newPage();
  await page.goto(`${pricing.url}/results/`);
  await page.waitForSelector("[data-testid=srm]");
  assert.equal(await page.textContent("[data-testid=results-title]"), `Results: ${first.name}`);
  assert.equal(await page.textContent("[data-testid=total-users]"), String(first.exposures));
  await page.selectOption("[data-testid=experiment]", second.name);
  await page.waitForFunction((name) => document.querySelector("[data-testid=results-title]").textContent === `Results: ${name}`, second.name);
  assert.equal(new URL(page.url()).searchParams.get("experiment"), second.name);
  // Its results replace the first's: its users, and a card per metric it is judged by.
  await page.waitForFunction(
    ({ users, metrics }) =>
      document.querySelector("[data-testid=total-users]")?.textContent === users &&
      [...document.querySelectorAll("[data-testid=metric-card]")].map((c) => c.dataset.metric).join() === metrics,
    { users: String(second.exposures), metrics: second.metrics.join() },
  );
  assert.match(await page.textContent("[data-testid=experiment-facts]"), new RegExp(`groups ${second.groups.join(", ")} · `));
  await page.reload();
  await page.waitForSelector("[data-testid=srm]");
  assert.equal(await page.textContent("[data-testid=results-title]"), `Results: ${second.name}`);
  assert.equal(await page.inputValue("[data-testid=experiment]"), second.name);
  await page.close();
});

test("an unknown ?experiment= shows a notice naming the experiments there are, and no results", async () => {
  const experiments = await pricingExperiments();
  const page = await browser.newPage();
  await page.goto(`${pricing.url}/results/?experiment=no_such_experiment`);
  const notice = await page.textContent("[data-testid=unknown-experiment]");
  assert.match(notice, /no experiment “no_such_experiment”/);
  for (const e of experiments) assert.ok(notice.includes(e.name), `${e.name} in: ${notice}`);
  assert.equal(await page.locator("[data-testid=metric-card]").count(), 0);
  // The picker asks for a choice rather than pretending one was made.
  assert.equal(await page.inputValue("[data-testid=experiment]"), "");
  await page.close();
});

test("new records show on the open page within 2 s without a reload; an unreachable collector is said, its figures kept and marked", async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=metric-card]");
    await page.waitForFunction(() => /^Live: checked at /.test(document.querySelector("[data-testid=live]")?.textContent ?? ""));
    const before = Number((await page.textContent("[data-testid=total-users]")).replace(/,/g, ""));
    const users = Array.from({ length: 5 }, (_, i) => `live-user-${i}`);
    const groups = await groupsOf(users);
    const now = Date.now();
    await post(backend.url, users.map((user, i) => ({ exposure: { id: uuid(), user_id: user, experiment: "button_color_v3", group: groups[i], rule_id: "r", time: now } })));
    const sent = Date.now();
    await page.waitForFunction(
      (want) => document.querySelector("[data-testid=total-users]")?.textContent.replace(/,/g, "") === String(want),
      before + 5,
      { timeout: 2000 },
    );
    console.log(`# the open page showed the new users ${Date.now() - sent} ms after they were stored`);
    // The collector stops answering: said within seconds, the figures kept and marked.
    unreachable = true;
    await page.waitForFunction(() => /not answering/.test(document.querySelector("[data-testid=live]")?.textContent ?? ""), null, { timeout: 5000 });
    assert.match(await page.textContent("[data-testid=live]"), /The figures below are as of \d\d:\d\d:\d\d, not current/);
    assert.match(await page.getAttribute("[data-testid=results-body]", "class"), /\bstale\b/);
    assert.equal(await page.textContent("[data-testid=total-users]"), String(before + 5));
    // Back: current again.
    unreachable = false;
    await page.waitForFunction(() => /^Live: checked at /.test(document.querySelector("[data-testid=live]")?.textContent ?? ""), null, { timeout: 5000 });
    assert.doesNotMatch((await page.getAttribute("[data-testid=results-body]", "class")) ?? "", /\bstale\b/);
  } finally {
    unreachable = false;
    await page.close();
  }
});

test("the page fits and reads at desktop and phone widths, with no accessibility violation", async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [width, height] of [[1280, 900], [1100, 900], [390, 844]]) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${site.url}/results/`);
    await page.waitForSelector("[data-testid=metric-card]");
    // With the breakdown open too.
    await page.selectOption("[data-testid=breakdown]", "visitor");
    await page.waitForSelector("[data-testid=breakdown-card]");
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
