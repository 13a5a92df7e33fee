// Shared by the end-to-end tests: a static server for the built dist/ (with the single-page
// fallback a CDN would be configured with) and headless Chromium driven by playwright-core.

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DIST = join(ROOT, "dist");
export const ARTIFACTS = join(ROOT, "e2e", "artifacts");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".png": "image/png",
};

/**
 * Serves dist/ on 127.0.0.1. `options.meta` rewrites `<meta name=... content="">` tags of
 * index.html (a deployment's settings); `options.routes` maps paths to handlers for API stubs.
 */
export async function serve(options = {}) {
  const routes = options.routes ?? {};
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const route = routes[url.pathname];
    if (route) return route(req, res, url);
    let path = normalize(join(DIST, decodeURIComponent(url.pathname)));
    if (!path.startsWith(DIST)) return void res.writeHead(403).end();
    let isFile = false;
    try {
      const found = await stat(path);
      if (found.isDirectory()) path = join(path, "index.html");
      isFile = (await stat(path)).isFile();
    } catch {}
    if (!isFile) path = join(DIST, "index.html");
    let body = await readFile(path);
    if (path.endsWith("index.html") && options.meta) {
      let html = body.toString();
      for (const [name, content] of Object.entries(options.meta)) {
        html = html.replace(
          new RegExp(`<meta name="${name}" content="[^"]*"\\s*/?>`),
          `<meta name="${name}" content="${content}">`,
        );
      }
      body = Buffer.from(html);
    }
    res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

/**
 * Starts the collector (`cohort serve`, built by scripts/test) on a free port with a fresh
 * database, serving dist/ too. `options.rules` and `options.dist` name another rules directory
 * and site (the example app's); `options.args` are more arguments for `cohort serve`. Records
 * from headless Chromium count like a person's unless `options.bots` is `"set apart"`.
 */
export async function collector(options = {}) {
  const { spawn } = await import("node:child_process");
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "cohort-e2e-"));
  const child = spawn(
    join(ROOT, "target", "release", "cohort"),
    ["serve", "--listen", "127.0.0.1:0", "--db", join(dir, "e2e.db"), "--dist", options.dist ?? DIST,
     "--rules", options.rules ?? join(ROOT, "experiments"), "--rate-limit", "1000", "--read-rate-limit", "1000",
     // Headless Chromium says so in its User-Agent: keep its records unless a test asks.
     ...(options.bots === "set apart" ? [] : ["--keep-bots"]), ...(options.args ?? [])],
    { env: { ...process.env, COHORT_SECRET: "e2e-secret-of-some-length" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout.once("data", (chunk) => {
      const match = /listening on (\S+)/.exec(chunk.toString());
      match ? resolve(match[1]) : reject(new Error(`unexpected: ${chunk}`));
    });
  });
  const db = join(dir, "e2e.db");
  return {
    url,
    db,
    /** Every stored record (`cohort export`): the record, its time on the collector's clock
     *  and on the page's, and why it is excluded from results, if it is. */
    records: () => exportRecords(db),
    /** Stops the collector and removes its database folder. */
    close: async () => {
      await new Promise((r) => { child.once("exit", r); child.kill("SIGTERM"); });
      const { rmSync } = await import("node:fs");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `cohort export --db DB`, parsed. */
export async function exportRecords(db) {
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(join(ROOT, "target", "release", "cohort"), ["export", "--db", db]);
  return out.toString().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** An init script that sets the page's clock `skew` milliseconds off (Date and Date.now). */
export function skewClock(context, skew) {
  return context.addInitScript((skew) => {
    const RealDate = Date;
    const now = () => RealDate.now() + skew;
    class SkewedDate extends RealDate {
      constructor(...args) {
        super(...(args.length ? args : [now()]));
      }
      static now() {
        return now();
      }
    }
    globalThis.Date = SkewedDate;
  }, skew);
}

/** Chromium's flags for tests: as root, no GPU, no background network traffic. */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Headless Chromium, as root, with no background network traffic. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_FLAGS,
  });
}

/** The page's console warnings and errors, and any uncaught exception, collected. */
export function watchConsole(page) {
  const lines = [];
  page.on("console", (msg) => {
    if (msg.type() === "warning" || msg.type() === "error") lines.push(msg.text());
  });
  page.on("pageerror", (err) => lines.push(`pageerror: ${err.message}`));
  return lines;
}

/** Waits until the app has mounted and returns what it shows. */
export async function shown(page) {
  // The app's, not the prerendered first screen's (which the app removes when it takes over).
  await page.waitForSelector("[data-testid=cta], [data-testid=signup]");
  await page.waitForFunction(() => !document.getElementById("first-paint"));
  return page.evaluate(() => {
    const text = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent ?? null;
    const cta = document.querySelector("[data-testid=cta]");
    return {
      color: cta?.dataset.color ?? null,
      background: cta ? getComputedStyle(cta).backgroundColor : null,
      paragraph: text("paragraph"),
      group: text("group"),
      userId: text("user-id"),
      source: document.querySelector("[data-testid=id-source]")?.dataset.source ?? null,
      parity: document.querySelector("[data-testid=tasks]")?.dataset.parity ?? null,
    };
  });
}

/** The accessibility violations axe-core finds on the page (WCAG 2.1 A and AA, and best practices). */
export async function axeViolations(page) {
  // Evaluated, not added as a <script>: the collector's Content-Security-Policy allows no
  // inline script but the page's own loader.
  const { readFileSync } = await import("node:fs");
  await page.evaluate(readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8"));
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }),
  );
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** The groups the repository's rules give `users` in `experiment` (`cohort eval`). */
export async function groupsOf(users, experiment = "button_color_v3") {
  const { execFileSync } = await import("node:child_process");
  const input = users.map((u) => JSON.stringify({ userID: u })).join("\n") + "\n";
  const out = execFileSync(
    join(ROOT, "target", "release", "cohort"),
    ["eval", "--rules", join(ROOT, "experiments")],
    { input },
  );
  return out.toString().split("\n").filter(Boolean).map((l) => JSON.parse(l).configs[experiment].group_name);
}

/** A random v4 UUID, for record IDs. */
export function uuid() {
  return crypto.randomUUID();
}
