// End-to-end: the built dist/ served on 127.0.0.1, driven in real (headless) Chromium.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACTS, axeViolations, groupsOf, launch, serve, shown, watchConsole } from "./harness.mjs";

const PALETTE = {
  Blue: "rgb(29, 78, 216)",
  Red: "rgb(185, 28, 28)",
  Green: "rgb(21, 128, 61)",
  Orange: "rgb(194, 65, 12)",
};
const GROUP_COLOR = { Control: "Blue", Red: "Red", Green: "Green", Orange: "Orange" };
const PARITY = { Blue: "odd", Green: "odd", Red: "even", Orange: "even" };
const HASH = "5f".repeat(32);

let browser;
let site;
let echoDelayMs = 0;
let echoBody = JSON.stringify({ ip_hash: HASH });

before(async () => {
  browser = await launch();
  site = await serve({ meta: { "cohort:collector-url": "" } });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * Records every state of the call to action and paragraph that can be seen (the prerendered
 * first screen's, then the app's), from before either script starts.
 */
const RECORD_PAINTS = () => {
  window.__paints = [];
  const visible = (selector) =>
    [...document.querySelectorAll(selector)].find((e) => e.checkVisibility()) ?? null;
  const record = () => {
    const cta = visible("[data-testid=cta]");
    const paragraph = visible("[data-testid=paragraph]");
    if (cta || paragraph) {
      window.__paints.push({
        color: cta?.dataset.color ?? null,
        background: cta?.style.backgroundColor ?? null,
        text: paragraph?.textContent ?? null,
      });
    }
  };
  new MutationObserver(record).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    characterData: true,
  });
  const frame = () => {
    record();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
};

function assertVariant(view) {
  assert.ok(view.color in PALETTE, `colour ${view.color} is one of the four`);
  assert.equal(view.background, PALETTE[view.color]);
  assert.equal(GROUP_COLOR[view.group], view.color, `group ${view.group} has colour ${view.color}`);
  assert.equal(view.parity, PARITY[view.color]);
}

test("the colour is one of the four and stays the same over three reloads", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(site.url);
  const first = await shown(page);
  assertVariant(first);
  assert.equal(first.source, "created");
  for (let i = 0; i < 3; i++) {
    await page.reload();
    const again = await shown(page);
    assert.deepEqual({ ...again, source: "stored" }, { ...first, source: "stored" });
    assert.equal(again.source, "stored");
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("ten ?random loads show at least two groups, each consistent", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const groups = new Set();
  const ids = new Set();
  for (let i = 0; i < 10; i++) {
    await page.goto(`${site.url}/?random`);
    const view = await shown(page);
    assertVariant(view);
    assert.equal(view.source, "random");
    groups.add(view.group);
    ids.add(view.userId);
  }
  assert.ok(groups.size >= 2, `groups seen: ${[...groups]}`);
  assert.equal(ids.size, 10, "every ?random load is a new user");
  const stored = await page.evaluate(() => localStorage.getItem("cohort.user_id"));
  assert.equal(stored, null, "?random stores nothing");
  await context.close();
});

test("the first paint already shows the user's variant", async () => {
  const context = await browser.newContext();
  await context.addInitScript(RECORD_PAINTS);
  const page = await context.newPage();
  for (const path of ["/", "/?random", "/?random", "/"]) {
    await page.goto(site.url + path);
    const view = await shown(page);
    await page.waitForTimeout(100);
    const paints = await page.evaluate(() => window.__paints);
    assert.ok(paints.length > 0);
    for (const paint of paints) {
      assert.deepEqual(
        paint,
        { color: view.color, background: view.background, text: view.paragraph },
        `${path}: every painted state is the final variant`,
      );
    }
  }
  await context.close();
});

/** Holds the app's Wasm back until `release()`: the first paint is all there is until then. */
async function holdTheApp(page) {
  let release;
  const released = new Promise((resolve) => (release = resolve));
  await page.route(/cohort-app-[0-9a-f]+_bg\.wasm$/, async (route) => {
    await released;
    await route.continue();
  });
  return release;
}

/** The pixels where two PNG screenshots differ: how many, and the box around them. */
async function pixelsDiffer(page, before, after) {
  return page.evaluate(
    async ([a, b]) => {
      const decode = async (base64) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const image = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
        const canvas = new OffscreenCanvas(image.width, image.height);
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        return context.getImageData(0, 0, image.width, image.height);
      };
      const [x, y] = [await decode(a), await decode(b)];
      if (x.width !== y.width || x.height !== y.height) return { count: -1 };
      let count = 0;
      const box = { left: Infinity, top: Infinity, right: -1, bottom: -1 };
      for (let i = 0; i < x.data.length; i += 4) {
        if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2]) {
          count++;
          const p = i / 4;
          const [px, py] = [p % x.width, Math.floor(p / x.width)];
          box.left = Math.min(box.left, px);
          box.right = Math.max(box.right, px);
          box.top = Math.min(box.top, py);
          box.bottom = Math.max(box.bottom, py);
        }
      }
      return count ? { count, box } : { count };
    },
    [before.toString("base64"), after.toString("base64")],
  );
}

/** What the prerendered first screen shows, and who it handed over. */
function firstScreen(page) {
  return page.evaluate(() => {
    const screen = document.getElementById("first-paint");
    const cta = screen.querySelector("[data-testid=cta]");
    // Down to the experiment's card (below it the app adds its other cards).
    const box = screen.querySelector("section").getBoundingClientRect();
    return {
      color: cta.dataset.color ?? null,
      background: cta.style.backgroundColor,
      paragraph: screen.querySelector("[data-testid=paragraph]").textContent,
      userId: document.documentElement.dataset.cohortUserId ?? null,
      source: document.documentElement.dataset.cohortIdSource ?? null,
      clip: { x: 0, y: 0, width: document.documentElement.clientWidth, height: Math.ceil(box.bottom) },
    };
  });
}

test("the first paint shows the user's variant before the app's Wasm arrives, and the app takes over without a pixel changing", async () => {
  for (const [path, viewport] of [
    ["/", { width: 1200, height: 900 }],
    ["/?random", { width: 390, height: 844 }],
    ["/?random", { width: 390, height: 844 }],
  ]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchConsole(page);
    const release = await holdTheApp(page);
    await page.goto(site.url + path);
    await page.waitForSelector("#first-paint main", { state: "visible" });
    const first = await firstScreen(page);
    assert.equal(await page.evaluate(() => typeof window.wasmBindings), "undefined", "the app has not run");
    const [group] = await groupsOf([first.userId]);
    assert.equal(first.color, GROUP_COLOR[group], `${path}: the colour of ${first.userId}'s group`);
    assert.equal(first.background, PALETTE[first.color]);
    assert.equal(first.source, path === "/" ? "created" : "random");
    const before = await page.screenshot({ clip: first.clip });

    release();
    const app = await shown(page);
    assert.equal(app.userId, first.userId, `${path}: the app keeps the user the first paint showed`);
    assert.equal(app.source, first.source);
    assert.equal(app.group, group);
    assert.equal(app.color, first.color);
    assert.equal(app.paragraph, first.paragraph);
    const after = await page.screenshot({ clip: first.clip });
    const differ = await pixelsDiffer(page, before, after);
    if (differ.count !== 0) {
      await mkdir(ARTIFACTS, { recursive: true });
      await writeFile(join(ARTIFACTS, "first-paint-before.png"), before);
      await writeFile(join(ARTIFACTS, "first-paint-after.png"), after);
    }
    assert.deepEqual(differ, { count: 0 }, `${path} at ${viewport.width} px: the same pixels before and after the app takes over (e2e/artifacts/first-paint-*.png)`);
    assert.deepEqual(errors.filter((e) => !e.includes("no collector")), []);
    await context.close();
  }
});

test("a click on the first screen's button before the app is there is the app's click once it takes over", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const release = await holdTheApp(page);
  await page.goto(site.url);
  await page.waitForSelector("#first-paint main", { state: "visible" });
  const first = await firstScreen(page);
  await page.click("#first-paint [data-testid=cta]");
  release();
  await page.waitForSelector("[data-testid=signup]");
  assert.equal(new URL(page.url()).pathname, "/signup", "the call to action's work: the signup view");
  const events = await page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("cohort.q."))
      .map((k) => JSON.parse(localStorage.getItem(k)).event)
      .filter(Boolean)
      .map((e) => e.name)
      .sort(),
  );
  assert.deepEqual(events, ["cta_click", "visited_signup"], "the early click is logged once, as the app logs one");
  assert.equal(await page.textContent("[data-testid=user-id]"), first.userId);
  await context.close();
});

/**
 * Records, in the page's own clock, when the first screen's card is revealed (and what had
 * been fetched by then), the first input (press, key or scroll), and when the app's JS is fetched.
 */
const RECORD_FIRST_SCREEN = () => {
  const watch = new MutationObserver(() => {
    const card = document.querySelector("#first-paint main");
    if (card && !card.hidden) {
      window.__revealedAt = performance.now();
      window.__fetchedBefore = performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname);
      watch.disconnect();
    }
  });
  watch.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"] });
  for (const input of ["pointerdown", "keydown", "scroll"]) {
    addEventListener(input, (e) => (window.__inputAt ??= e.timeStamp), true);
  }
  window.__appFetchedAt = () =>
    performance.getEntriesByType("resource").find((r) => /\/cohort-app-[0-9a-f]+\.js$/.test(r.name))?.startTime;
};

test("the page's Largest Contentful Paint is the first screen's card, reported before the app is fetched", async () => {
  for (const viewport of [{ width: 1200, height: 900 }, { width: 390, height: 844 }]) {
    const context = await browser.newContext({ viewport });
    await context.addInitScript(() => {
      window.__lcp = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          window.__lcp.push({ id: e.id, firstScreen: Boolean(e.element?.closest("#first-paint main")), seenAt: performance.now() });
        }
      }).observe({ type: "largest-contentful-paint", buffered: true });
    });
    await context.addInitScript(RECORD_FIRST_SCREEN);
    const page = await context.newPage();
    await page.goto(site.url);
    await shown(page);
    const { lcp, appFetched } = await page.evaluate(() => ({ lcp: window.__lcp, appFetched: window.__appFetchedAt() }));
    const last = lcp.at(-1);
    assert.ok(last?.firstScreen && last.id === "headline", `${viewport.width} px: the last LCP entry is the first screen's headline: ${JSON.stringify(lcp)}`);
    assert.ok(appFetched !== undefined, "the app was fetched");
    assert.ok(last.seenAt <= appFetched, `${viewport.width} px: reported (${last.seenAt.toFixed(1)} ms) before the app is fetched (${appFetched.toFixed(1)} ms)`);
    await context.close();
  }
});

test("before the card is shown the page has fetched only the first-paint module's Wasm", async () => {
  const context = await browser.newContext();
  await context.addInitScript(RECORD_FIRST_SCREEN);
  const page = await context.newPage();
  await page.goto(site.url);
  await page.waitForFunction(() => window.__revealedAt !== undefined);
  const fetched = await page.evaluate(() => window.__fetchedBefore.filter((path) => path !== "/favicon.ico"));
  assert.equal(fetched.length, 1, `one file besides the document: ${fetched}`);
  assert.match(fetched[0], /^\/first-paint-[0-9a-f]+_bg\.wasm$/);
  await context.close();
});

test("where the first screen's paint is never reported, the app is fetched 500 ms after it, or at once on a press, a key or a scroll", async () => {
  for (const input of ["none", "press", "key", "scroll"]) {
    const context = await browser.newContext();
    // A browser that says it reports Largest Contentful Paints and never does.
    await context.addInitScript(() => {
      window.PerformanceObserver = class {
        static supportedEntryTypes = ["largest-contentful-paint"];
        observe() {}
        disconnect() {}
      };
    });
    await context.addInitScript(RECORD_FIRST_SCREEN);
    const page = await context.newPage();
    await page.goto(site.url);
    await page.waitForSelector("#first-paint main", { state: "visible" });
    if (input === "press") await page.click("#first-paint [data-testid=cta]");
    if (input === "key") await page.keyboard.press("Tab");
    if (input === "scroll") await page.evaluate(() => dispatchEvent(new Event("scroll")));
    await page.waitForFunction(() => window.__appFetchedAt() !== undefined);
    const { revealedAt, inputAt, fetchedAt } = await page.evaluate(() => ({
      revealedAt: window.__revealedAt,
      inputAt: window.__inputAt,
      fetchedAt: window.__appFetchedAt(),
    }));
    if (input === "none") {
      assert.ok(fetchedAt - revealedAt >= 450, `without a report the loader waits for it, up to 500 ms (${(fetchedAt - revealedAt).toFixed(0)} ms)`);
    } else {
      assert.ok(inputAt - revealedAt < 450, `${input} before the wait ran out (${(inputAt - revealedAt).toFixed(0)} ms after the reveal)`);
      assert.ok(fetchedAt - inputAt < 100, `after a ${input} the app is fetched at once (${(fetchedAt - inputAt).toFixed(0)} ms later)`);
    }
    if (input === "press") await page.waitForSelector("[data-testid=signup]");
    else await shown(page);
    await context.close();
  }
});

test("without the first-paint module the app alone shows the user's variant", async () => {
  const context = await browser.newContext();
  await context.addInitScript(RECORD_PAINTS);
  const page = await context.newPage();
  const logs = watchConsole(page);
  await page.route(/first-paint-[0-9a-f]+_bg\.wasm$/, (route) => route.fulfill({ status: 404 }));
  await page.goto(site.url);
  const view = await shown(page);
  assertVariant(view);
  assert.equal(view.source, "created");
  const [group] = await groupsOf([view.userId]);
  assert.equal(view.group, group);
  const paints = await page.evaluate(() => window.__paints);
  for (const paint of paints) assert.equal(paint.color, view.color, "no flicker");
  assert.ok(logs.some((line) => line.includes("no first paint")), `the console says why: ${logs.join(" | ")}`);
  await context.close();
});

test("the signup link opens the signup view in place, and back returns", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.url);
  const home = await shown(page);
  await page.evaluate(() => (window.__sameDocument = true));
  await page.click("[data-testid=signup-link]");
  await page.waitForSelector("[data-testid=signup]");
  assert.equal(new URL(page.url()).pathname, "/signup");
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no page load");
  assert.equal(await page.textContent("[data-testid=user-id]"), home.userId);
  await page.goBack();
  await page.waitForSelector("[data-testid=cta]");
  assert.equal(new URL(page.url()).pathname, "/");
  // The call to action leads there too, and so does a direct visit.
  await page.click("[data-testid=cta]");
  await page.waitForSelector("[data-testid=signup]");
  await page.goto(`${site.url}/signup`);
  await page.waitForSelector("[data-testid=signup]");
  assert.equal(await page.textContent("[data-testid=user-id]"), home.userId);
  assert.match(await page.textContent("[data-testid=signup]"), /visited_signup/);
  await context.close();
});

/** The exposures queued in this browser's localStorage (no collector here), as [user, group]. */
const queuedExposures = (page) =>
  page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("cohort.q."))
      .sort()
      .map((k) => JSON.parse(localStorage.getItem(k)))
      .filter((r) => r.exposure)
      .map((r) => [r.exposure.user_id, r.exposure.group]),
  );

test("the next random visitor restyles the page in place, with one new exposure each", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(site.url);
  const first = await shown(page);
  assert.deepEqual(await queuedExposures(page), [[first.userId, first.group]]);
  await page.evaluate(() => (window.__sameDocument = true));
  const users = [first.userId];
  const groups = new Set([first.group]);
  for (let i = 0; i < 8 && (groups.size < 2 || i < 3); i++) {
    const before = users.at(-1);
    await page.click("[data-testid=next-visitor]");
    await page.waitForFunction(
      (id) => document.querySelector("[data-testid=user-id]").textContent !== id,
      before,
    );
    const view = await shown(page);
    assertVariant(view);
    assert.equal(view.source, "random");
    assert.ok(!users.includes(view.userId), "a new user each time");
    users.push(view.userId);
    groups.add(view.group);
    const exposures = await queuedExposures(page);
    assert.equal(exposures.length, users.length, "one exposure per visitor");
    assert.deepEqual(exposures.at(-1), [view.userId, view.group]);
  }
  assert.ok(groups.size >= 2, `groups seen: ${[...groups]}`);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no page load");
  const [rulesGroup] = await groupsOf([users.at(-1)]);
  assert.equal(await page.textContent("[data-testid=group]"), rulesGroup, "the rules' group");
  assert.deepEqual(errors, []);
  await context.close();
});

test("?force shows the forced group at once, labelled, and logs no exposure", async () => {
  const context = await browser.newContext();
  await context.addInitScript(RECORD_PAINTS);
  const page = await context.newPage();
  await page.goto(`${site.url}/?force=button_color_v3:Red`);
  const view = await shown(page);
  assert.equal(view.color, "Red");
  assert.equal(view.background, PALETTE.Red);
  assert.equal(view.group, "Red");
  assert.equal(view.parity, "even");
  assert.ok(await page.isVisible("[data-testid=forced]"));
  assert.match(await page.textContent("[data-testid=forced]"), /Forced: button_color_v3 = Red/);
  const paints = await page.evaluate(() => window.__paints);
  assert.ok(paints.every((p) => p.color === "Red"), "never another colour first");
  await page.waitForTimeout(200);
  assert.deepEqual(await queuedExposures(page), [], "a forced view is not an exposure");
  // Its events carry no group.
  await page.click("[data-testid=signup-link]");
  await page.waitForSelector("[data-testid=signup]");
  const events = await page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("cohort.q."))
      .map((k) => JSON.parse(localStorage.getItem(k)).event),
  );
  assert.equal(events.length, 1);
  assert.equal(events[0].name, "visited_signup");
  assert.deepEqual(events[0].groups ?? {}, {});
  await context.close();
});

test("the force panel forces and releases a group in place", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.url);
  const own = await shown(page);
  assert.equal(await page.isVisible("[data-testid=forced]"), false);
  const other = ["Control", "Red", "Green", "Orange"].find((g) => g !== own.group);
  await page.selectOption("[data-testid=force-button_color_v3]", other);
  await page.waitForSelector("[data-testid=forced]", { state: "visible" });
  const forced = await shown(page);
  assert.equal(forced.group, other);
  assertVariant(forced);
  assert.equal(forced.userId, own.userId);
  // The choice is in the URL (other ?force entries kept), so a reload shows it again.
  const forces = () => new URL(page.url()).searchParams.getAll("force");
  assert.deepEqual(forces(), [`button_color_v3:${other}`]);
  await page.reload();
  await page.waitForSelector("[data-testid=forced]", { state: "visible" });
  assert.equal((await shown(page)).group, other);
  assert.equal(await page.inputValue("[data-testid=force-button_color_v3]"), other);
  await page.selectOption("[data-testid=force-button_color_v3]", "");
  await page.waitForSelector("[data-testid=forced]", { state: "hidden" });
  assert.deepEqual(forces(), []);
  // The same user and group; after the reload the ID is the stored one.
  assert.deepEqual(await shown(page), { ...own, source: "stored" });
  assert.deepEqual(await queuedExposures(page), [[own.userId, own.group]], "only the user's own group");
  await context.close();
});

test("an unknown experiment or group in ?force is ignored, and the console names the choices", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings = watchConsole(page);
  await page.goto(`${site.url}/?force=nope:Red&force=button_color_v3:Purple`);
  const view = await shown(page);
  assertVariant(view);
  const [rulesGroup] = await groupsOf([view.userId]);
  assert.equal(view.group, rulesGroup);
  assert.equal(await page.isVisible("[data-testid=forced]"), false);
  const text = warnings.join("\n");
  assert.match(text, /no experiment "nope" in the rules \(experiments: button_color_v3\)/);
  assert.match(text, /has no group "Purple" \(groups: Control, Red, Green, Orange\)/);
  assert.deepEqual(await queuedExposures(page), [[view.userId, view.group]]);
  await context.close();
});

test("axe finds no violation on the page, a forced view and the signup view", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const path of ["/", "/?force=button_color_v3:Orange", "/signup"]) {
    await page.goto(site.url + path);
    await shown(page);
    assert.deepEqual(await axeViolations(page), [], path);
    assert.equal(await page.locator("h1").count(), 1, `${path}: one h1`);
  }
  await context.close();
});

test("the IP echo gives the ID when it answers in time, and is skipped when it does not", async () => {
  const echo = await serve({
    meta: { "cohort:ip-echo-url": "/api/whoami" },
    routes: {
      "/api/whoami": (req, res) => {
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(echoBody);
        }, echoDelayMs);
      },
    },
  });
  try {
    const context = await browser.newContext();
    await context.addInitScript(RECORD_PAINTS);
    const page = await context.newPage();
    const logs = watchConsole(page);

    echoDelayMs = 20;
    await page.goto(echo.url);
    const viaEcho = await shown(page);
    assert.equal(viaEcho.source, "ip-hash");
    assert.equal(viaEcho.userId, HASH);
    assertVariant(viaEcho);

    for (const [delay, body] of [
      // An echo far slower than the page's deadline (300 ms): not waited for, however slow
      // this machine is today.
      [6000, echoBody],
      [0, "not json"],
      [0, JSON.stringify({ ip_hash: "10.0.0.1" })],
    ]) {
      echoDelayMs = delay;
      echoBody = body;
      const started = Date.now();
      await page.goto(echo.url);
      const view = await shown(page);
      const waited = Date.now() - started;
      assert.notEqual(view.source, "ip-hash", `delay ${delay}, body ${body}`);
      assert.ok(["created", "stored"].includes(view.source));
      assertVariant(view);
      assert.ok(waited < delay - 1000 || delay === 0, `the page did not wait for the echo (${waited} ms)`);
      const paints = await page.evaluate(() => window.__paints);
      for (const paint of paints) assert.equal(paint.color, view.color, "no flicker");
    }
    assert.ok(
      logs.some((line) => line.includes("did not give an ID")),
      `the console says why: ${logs.join(" | ")}`,
    );
    await context.close();
  } finally {
    echoDelayMs = 0;
    echoBody = JSON.stringify({ ip_hash: HASH });
    await echo.close();
  }
});

test("with localStorage disabled the page still shows a variant and says why", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(window, "localStorage", {
      configurable: true,
      get() {
        throw new DOMException("The operation is insecure.", "SecurityError");
      },
    });
  });
  const page = await context.newPage();
  const logs = watchConsole(page);
  await page.goto(site.url);
  const view = await shown(page);
  assertVariant(view);
  assert.equal(view.source, "session");
  assert.ok(logs.some((l) => l.includes("localStorage is unavailable")), logs.join(" | "));
  assert.ok(!logs.some((l) => l.startsWith("pageerror")), logs.join(" | "));
  await context.close();
});

test("every control is labelled and works from the keyboard", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.url);
  await shown(page);
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, button, select, a")]
      .filter((el) => {
        const byFor = el.id && document.querySelector(`label[for="${el.id}"]`);
        const name = el.getAttribute("aria-label") || byFor?.textContent || el.closest("label")?.textContent || el.textContent;
        return !name || !name.trim();
      })
      .map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, []);
  // Tab reaches the call to action, and Enter presses it.
  let focused = "";
  for (let i = 0; i < 10 && focused !== "cta"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement?.dataset.testid ?? "");
  }
  assert.equal(focused, "cta");
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-testid=signup]");
  await page.goBack();
  await page.waitForSelector("[data-testid=cta]");
  // A task is added with the keyboard alone.
  await page.focus("#new-task");
  await page.keyboard.type("Practise with the keyboard");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("[data-testid=tasks]").textContent.includes("Practise with the keyboard"));
  // Space toggles a task.
  await page.focus("[data-testid=tasks] li input[type=checkbox]");
  await page.keyboard.press("Space");
  await page.waitForSelector("[data-testid=tasks] li.done");
  await context.close();
});

test("screenshots at desktop and phone widths", async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [name, viewport] of [
    ["page-desktop", { width: 1200, height: 900 }],
    ["page-phone", { width: 390, height: 844 }],
  ]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${site.url}/?random`);
    await shown(page);
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0, `${name}: no horizontal scrolling`);
    await context.close();
  }
});
