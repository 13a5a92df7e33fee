// End-to-end: the second example app (examples/pricing/, built by scripts/build into
// examples/pricing/dist/) in Chromium, against the real collector run with the app's own
// rules and serving the app, so that the page, its API and the results page are one origin.
// What the page shows is checked against `cohort assign` / `cohort eval` on the same rules,
// and what the collector stored against `cohort export`.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ROOT, axeViolations, collector, launch, watchConsole } from "./harness.mjs";

const RULES = join(ROOT, "examples", "pricing", "experiments");
const SITE = join(ROOT, "examples", "pricing", "dist");
const COHORT = join(ROOT, "target", "release", "cohort");
const EXPERIMENTS = ["plan_layout", "price_anchor", "cta_copy"];
const LAYER = ["plan_layout", "price_anchor"];
const GATE = "annual_billing";
const PLANS = { starter: { name: "Starter", monthly: 9 }, team: { name: "Team", monthly: 29 }, business: { name: "Business", monthly: 79 } };

/** Twelve fixed visitors (canonical UUIDs, as the kit keeps them), so every run assigns the same. */
const VISITORS = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, "0")}`);

/** `cohort assign --json` for `user` in `experiment` (`force`: the forced group's): {group, params}. */
function assign(experiment, user, force) {
  const args = ["assign", "--rules", RULES, "--experiment", experiment, "--user", user, "--json"];
  if (force) args.push("--force", force);
  return JSON.parse(execFileSync(COHORT, args).toString());
}

/** Whether the gate passes `user` (`cohort eval`: `assign` is for experiments). */
function gatePasses(user) {
  const out = execFileSync(COHORT, ["eval", "--rules", RULES], { input: `${JSON.stringify({ userID: user })}\n` });
  const passed = JSON.parse(out.toString()).gates[GATE];
  assert.equal(typeof passed, "boolean", `cohort eval gives ${GATE}'s value`);
  return passed;
}

/** What the rules give `user`: each experiment's `cohort assign` answer and the gate's value. */
function rulesGive(user) {
  return { ...Object.fromEntries(EXPERIMENTS.map((e) => [e, assign(e, user)])), gate: gatePasses(user) };
}

/** The group of `experiment` other than `group` (each has two), to force a visible change. */
function otherGroup(experiment, group) {
  const groups = { plan_layout: ["Control", "Cards"], price_anchor: ["Control", "Anchored"], cta_copy: ["Control", "Urgent"] }[experiment];
  return groups.find((g) => g !== group);
}

/** The first visitor the rules put in `experiment`. */
function firstIn(experiment, where = () => true) {
  const user = VISITORS.find((u) => assign(experiment, u).group !== null && where(u));
  assert.ok(user, `one of the fixed visitors is in ${experiment}`);
  return user;
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The collector with the example's rules, serving the example's site. */
const pricingCollector = () => collector({ rules: RULES, dist: SITE });

/** A browser of `user`'s own: their ID is stored before the first load, as a returning visitor's is. */
async function visitor(user) {
  const context = await browser.newContext();
  await context.addInitScript((id) => {
    if (!localStorage.getItem("cohort.user_id")) localStorage.setItem("cohort.user_id", JSON.stringify(id));
  }, user);
  const page = await context.newPage();
  return { context, page, console: watchConsole(page) };
}

/** Waits until the app has mounted and returns what it shows. */
async function shown(page) {
  await page.waitForSelector("[data-testid=user-id]");
  return page.evaluate(
    ([experiments, plans]) => {
      const el = (id) => document.querySelector(`[data-testid="${id}"]`);
      const text = (id) => el(id)?.textContent.trim() ?? null;
      return {
        userId: text("user-id"),
        groups: Object.fromEntries(experiments.map((e) => [e, text(`group-${e}`)])),
        forced: experiments.filter((e) => el(`forced-${e}`)),
        forcedStatus: { on: el("forced").dataset.on, text: text("forced") },
        gate: text("gate-annual_billing"),
        yearlyToggle: el("billing-yearly") !== null,
        layout: el("plans").dataset.layout,
        highlighted: plans.filter((p) => el(`plan-${p}`).dataset.highlighted === "true"),
        prices: Object.fromEntries(plans.map((p) => [p, text(`price-${p}`)])),
        listPrices: Object.fromEntries(plans.map((p) => [p, text(`list-price-${p}`)])),
        cta: plans.map((p) => text(`choose-${p}`)),
      };
    },
    [EXPERIMENTS, Object.keys(PLANS)],
  );
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

/**
 * The records the collector stored for `user` (`cohort export`). `cohort export` on the
 * collector's live database sometimes fails with "database is locked" (its schema check starts
 * a deferred transaction, then writes, while the collector commits): such a run is retried.
 */
async function storedFor(server, user) {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await server.records()).filter((r) => r.user_id === user);
    } catch (err) {
      if (attempt === 20 || !/database is locked/.test(String(err.stderr ?? err.message))) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Waits until the collector stored an event `name` of `user`, and returns every record of the user. */
async function afterEvent(server, user, name) {
  const records = await eventually(async () => {
    const mine = await storedFor(server, user);
    return mine.some((r) => r.kind === "event" && r.name === name) ? mine : null;
  });
  assert.ok(records, `the collector stored ${user}'s ${name}`);
  return records;
}

/** Stored exposures of `records`, counted by experiment (the gate's among them). */
function exposureCounts(records) {
  const counts = {};
  for (const r of records.filter((r) => r.kind === "exposure")) counts[r.experiment] = (counts[r.experiment] ?? 0) + 1;
  return counts;
}

/** "$36" for 36, "$36.25" for 36.25, as the page writes prices. */
const dollars = (n) => (Number.isInteger(n) ? `$${n}` : `$${n.toFixed(2)}`);

/** What a page with `user`'s assignment `given` (each experiment's params) must show. */
function assertShowsParams(seen, given, label) {
  const layout = given.plan_layout.params.Layout;
  const anchor = given.price_anchor.params;
  const cta = given.cta_copy.params["CTA Text"];
  assert.equal(seen.layout, layout, `${label}: plan_layout's Layout`);
  assert.deepEqual(seen.highlighted, [anchor.Highlight.toLowerCase()], `${label}: price_anchor's Highlight`);
  for (const [id, plan] of Object.entries(PLANS)) {
    assert.equal(seen.prices[id], dollars(plan.monthly), `${label}: ${plan.name}'s monthly price`);
    const list = anchor["Show List Price"] ? `List price ${dollars(Math.round(plan.monthly * anchor["List Markup"]))}` : null;
    assert.equal(seen.listPrices[id], list, `${label}: ${plan.name}'s list price (Show List Price, List Markup)`);
  }
  assert.deepEqual(seen.cta, [cta, cta, cta], `${label}: cta_copy's CTA Text on every plan's button`);
}

test("each of 12 visitors sees the groups, parameters and gate value `cohort assign` gives their ID, in exactly one of the layer's experiments, and both layer experiments get visitors", async () => {
  const server = await pricingCollector();
  try {
    const inLayer = { plan_layout: 0, price_anchor: 0 };
    const gateValues = new Set();
    for (const user of VISITORS) {
      const given = rulesGive(user);
      const { context, page, console } = await visitor(user);
      await page.goto(server.url);
      const seen = await shown(page);
      assert.equal(seen.userId, user, "the page shows the stored user ID");
      for (const e of EXPERIMENTS) {
        assert.equal(seen.groups[e], given[e].group ?? "none", `${user} in ${e}: the page agrees with cohort assign`);
      }
      assert.equal(seen.gate, String(given.gate), `${user}: ${GATE} as cohort eval has it`);
      assert.equal(seen.yearlyToggle, given.gate, `${user}: the yearly billing switch only where the gate passes`);
      assertShowsParams(seen, given, user);
      assert.deepEqual(seen.forced, [], "nothing is forced");
      // The layer gives each of its users one experiment: the other one shows "none".
      const groupsInLayer = LAYER.filter((e) => seen.groups[e] !== "none");
      assert.equal(groupsInLayer.length, 1, `${user} is in exactly one of ${LAYER.join(", ")} (${JSON.stringify(seen.groups)})`);
      inLayer[groupsInLayer[0]] += 1;
      gateValues.add(seen.gate);
      assert.deepEqual(console, [], `${user}: no console warning (every parameter read is in the rules)`);
      await context.close();
    }
    assert.ok(inLayer.plan_layout > 0 && inLayer.price_anchor > 0, `both layer experiments get visitors: ${JSON.stringify(inLayer)}`);
    assert.deepEqual([...gateValues].sort(), ["false", "true"], "the 50% rollout passes some visitors and not others");
  } finally {
    await server.close();
  }
});

test("each experiment's exposure is stored once per visitor (none for the layer's other experiment), and reloads store no second one", async () => {
  const server = await pricingCollector();
  try {
    const users = VISITORS.slice(0, 6);
    const exposedTo = Object.fromEntries(EXPERIMENTS.map((e) => [e, 0]));
    for (const user of users) {
      const given = rulesGive(user);
      const { context, page } = await visitor(user);
      for (let load = 0; load < 3; load++) {
        await page.goto(server.url);
        await shown(page);
      }
      // An event after the reloads: the queue is sent in order, so once it is stored, any
      // exposure a reload logged would be stored too.
      await page.click("[data-testid=choose-starter]");
      const records = await afterEvent(server, user, "started_checkout");
      const expected = { [GATE]: 1 };
      for (const e of EXPERIMENTS) {
        if (given[e].group === null) continue;
        expected[e] = 1;
        exposedTo[e] += 1;
      }
      assert.deepEqual(exposureCounts(records), expected, `${user}: one exposure per experiment they are in, over three loads`);
      for (const r of records.filter((r) => r.kind === "exposure")) {
        const group = r.experiment === GATE ? String(given.gate) : given[r.experiment].group;
        assert.equal(r.group, group, `${user}'s stored ${r.experiment} exposure names their group`);
        assert.equal(r.excluded, null, "the collector's own evaluation agrees: not excluded");
      }
      await context.close();
    }
    assert.ok(exposedTo.plan_layout > 0 && exposedTo.price_anchor > 0, "both layer experiments have exposed visitors here");
    // The collector's listing counts the same exposed users.
    const listing = await (await fetch(`${server.url}/api/experiments`)).json();
    for (const e of EXPERIMENTS) {
      assert.equal(listing.experiments.find((x) => x.name === e).exposures, exposedTo[e], `GET /api/experiments: ${e}'s exposed users`);
    }
  } finally {
    await server.close();
  }
});

test("?force=plan_layout:X&force=cta_copy:Y shows both forced groups' parameters, labels each, leaves price_anchor assigned, and stores no exposure nor event group for them", async () => {
  const server = await pricingCollector();
  try {
    const user = firstIn("plan_layout");
    const given = rulesGive(user);
    const layout = otherGroup("plan_layout", given.plan_layout.group);
    const copy = otherGroup("cta_copy", given.cta_copy.group);
    const { context, page } = await visitor(user);
    await page.goto(`${server.url}/?force=plan_layout:${layout}&force=cta_copy:${copy}`);
    const seen = await shown(page);
    assert.deepEqual(
      seen.groups,
      { plan_layout: layout, price_anchor: "none", cta_copy: copy },
      "the forced groups, and price_anchor as assigned (none: the layer gave plan_layout)",
    );
    assert.deepEqual(seen.forced, ["plan_layout", "cta_copy"], "each forced experiment is labelled forced");
    assert.equal(seen.forcedStatus.on, "true");
    assert.match(seen.forcedStatus.text, new RegExp(`plan_layout = ${layout}`));
    assert.match(seen.forcedStatus.text, new RegExp(`cta_copy = ${copy}`));
    assertShowsParams(
      seen,
      { plan_layout: assign("plan_layout", user, layout), price_anchor: given.price_anchor, cta_copy: assign("cta_copy", user, copy) },
      "forced",
    );
    await page.click("[data-testid=choose-team]");
    await page.click("[data-testid=buy]");
    const records = await afterEvent(server, user, "purchase");
    assert.deepEqual(exposureCounts(records), { [GATE]: 1 }, "only the gate's exposure: none for the forced experiments");
    for (const r of records.filter((r) => r.kind === "event")) {
      assert.deepEqual(r.record.event.groups, {}, `${r.name} carries no group of a forced experiment`);
    }
    await context.close();
  } finally {
    await server.close();
  }
});

test("the ForcePanel forces plan_layout and cta_copy independently, in place and in the URL, and the forced groups are never stored as exposures", async () => {
  const server = await pricingCollector();
  try {
    const user = firstIn("plan_layout");
    const given = rulesGive(user);
    const assigned = { plan_layout: given.plan_layout.group, price_anchor: "none", cta_copy: given.cta_copy.group };
    const layout = otherGroup("plan_layout", assigned.plan_layout);
    const copy = otherGroup("cta_copy", assigned.cta_copy);
    const { context, page } = await visitor(user);
    await page.goto(server.url);
    assert.deepEqual((await shown(page)).groups, assigned, "as assigned before forcing");
    const force = (e) => new URL(page.url()).searchParams.getAll("force").filter((f) => f.startsWith(`${e}:`));

    await page.selectOption("[data-testid=force-plan_layout]", layout);
    let seen = await shown(page);
    assert.deepEqual(seen.groups, { ...assigned, plan_layout: layout }, "plan_layout forced, cta_copy untouched");
    assert.deepEqual(seen.forced, ["plan_layout"], "only plan_layout is labelled forced");
    assert.equal(seen.layout, assign("plan_layout", user, layout).params.Layout, "the forced group's Layout is shown");
    assert.deepEqual([force("plan_layout"), force("cta_copy")], [[`plan_layout:${layout}`], []]);

    await page.selectOption("[data-testid=force-cta_copy]", copy);
    seen = await shown(page);
    assert.deepEqual(seen.groups, { ...assigned, plan_layout: layout, cta_copy: copy }, "both forced");
    assert.deepEqual(seen.forced, ["plan_layout", "cta_copy"], "each labelled forced");
    assert.equal(seen.cta[0], assign("cta_copy", user, copy).params["CTA Text"], "the forced group's CTA Text is shown");
    assert.deepEqual([force("plan_layout"), force("cta_copy")], [[`plan_layout:${layout}`], [`cta_copy:${copy}`]]);

    // Back to the assigned group for one leaves the other forced.
    await page.selectOption("[data-testid=force-plan_layout]", "");
    seen = await shown(page);
    assert.deepEqual(seen.groups, { ...assigned, cta_copy: copy }, "plan_layout as assigned again, cta_copy still forced");
    assert.deepEqual(seen.forced, ["cta_copy"]);
    assert.deepEqual([force("plan_layout"), force("cta_copy")], [[], [`cta_copy:${copy}`]]);

    // A reload shows the same, from the URL.
    await page.reload();
    seen = await shown(page);
    assert.deepEqual(seen.groups, { ...assigned, cta_copy: copy }, "the reload keeps the URL's forcing");
    assert.deepEqual(seen.forced, ["cta_copy"]);

    await page.click("[data-testid=choose-business]");
    const records = await afterEvent(server, user, "started_checkout");
    const exposures = records.filter((r) => r.kind === "exposure" && r.experiment !== GATE);
    assert.deepEqual(
      exposures.map((r) => [r.experiment, r.group]).sort(),
      [["cta_copy", assigned.cta_copy], ["plan_layout", assigned.plan_layout]],
      "one exposure each, to the assigned groups only (from the load before forcing)",
    );
    const event = records.find((r) => r.kind === "event").record.event;
    assert.deepEqual(event.groups, { plan_layout: assigned.plan_layout }, "the event carries plan_layout's group, none for forced cta_copy");
    await context.close();
  } finally {
    await server.close();
  }
});

test("a yearly purchase carries the groups of both experiments the visitor was exposed to, and its value is price_anchor's and cta_copy's revenue", async () => {
  const server = await pricingCollector();
  try {
    const user = firstIn("price_anchor", gatePasses);
    const given = rulesGive(user);
    const groups = { cta_copy: given.cta_copy.group, price_anchor: given.price_anchor.group };
    const { context, page } = await visitor(user);
    await page.goto(server.url);
    await shown(page);
    await page.check("[data-testid=billing-yearly]");
    assert.equal(await page.textContent("[data-testid=price-team]"), "$290", "a year costs ten months");
    await page.click("[data-testid=choose-team]");
    await page.click("[data-testid=buy]");
    assert.equal(await page.textContent("[data-testid=purchased]"), "Thank you! You bought Team for $290 per year.");
    const records = await afterEvent(server, user, "purchase");
    const purchase = records.find((r) => r.kind === "event" && r.name === "purchase");
    assert.equal(purchase.value, 290, "the purchase carries the price paid");
    assert.deepEqual(purchase.record.event.groups, groups, "the purchase names the visitor's group in both exposed experiments");
    assert.equal(purchase.excluded, null, "the collector agrees with the groups it names");
    const checkout = records.find((r) => r.kind === "event" && r.name === "started_checkout");
    assert.deepEqual(checkout.record.event.groups, groups, "so does the started checkout");
    for (const experiment of ["price_anchor", "cta_copy"]) {
      const analysis = await eventually(async () => {
        const a = await (await fetch(`${server.url}/api/results?experiment=${experiment}`)).json();
        return a.total_users === 1 ? a : null;
      });
      assert.ok(analysis, `${experiment}: one exposed user`);
      const sum = (name) => analysis.metrics.find((m) => m.metric.name === name).groups.find((g) => g.group === groups[experiment]).stats.sum;
      assert.equal(sum("revenue"), 290, `${experiment}: revenue sums the purchase's value in the visitor's group`);
      assert.equal(sum("checkout"), 1, `${experiment}: the visitor converted to checkout`);
    }
    await context.close();
  } finally {
    await server.close();
  }
});

test("/results/?experiment=price_anchor, served by the same collector, shows price_anchor with its groups and exposed user", async () => {
  const server = await pricingCollector();
  try {
    const user = firstIn("price_anchor");
    const { context, page } = await visitor(user);
    await page.goto(server.url);
    await shown(page);
    assert.ok(
      await eventually(async () => (await storedFor(server, user)).some((r) => r.experiment === "price_anchor")),
      "the exposure is stored",
    );
    await page.goto(`${server.url}/results/?experiment=price_anchor`);
    await page.waitForSelector("[data-testid=experiment-facts]");
    assert.match(await page.textContent("[data-testid=results-title]"), /price_anchor/);
    assert.equal(await page.inputValue("[data-testid=experiment]"), "price_anchor", "the picker shows price_anchor");
    assert.match(await page.textContent("[data-testid=experiment-facts]"), /groups Control, Anchored · 1 users exposed/);
    await context.close();
  } finally {
    await server.close();
  }
});

test("the pricing page has no axe-core violations in the list and the cards layouts, with the yearly switch, list prices, a forced group and an open checkout", async () => {
  const server = await pricingCollector();
  try {
    const user = VISITORS.find(gatePasses);
    for (const force of ["force=plan_layout:Control", "force=plan_layout:Cards&force=price_anchor:Anchored"]) {
      const { context, page } = await visitor(user);
      await page.goto(`${server.url}/?${force}`);
      await shown(page);
      await page.click("[data-testid=choose-team]");
      await page.waitForSelector("[data-testid=buy]");
      assert.deepEqual(await axeViolations(page), [], force);
      await context.close();
    }
  } finally {
    await server.close();
  }
});
