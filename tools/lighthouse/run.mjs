// Lighthouse 12 (mobile preset: simulated slow 4G and a 4x slower CPU) on the built page and
// on the same page saved as static HTML, both served here gzip-compressed as a CDN would, and
// on the page as `cohort serve --dist` serves it (target/release/cohort), alternating runs in
// one session. Prints the scores, the Largest Contentful Paint of each
// and their ratio (medians), and where the page's time goes. Reports; never fails on a
// figure. Run by scripts/lighthouse after a release build. Besides the full report it writes
// target/lighthouse/summary.json and figures.md (the medians as a Markdown table, which
// scripts/lighthouse puts into docs/benchmarks.md).
//
//   node tools/lighthouse/run.mjs [runs]     (default 5 runs of each)

import { createServer } from "node:http";
import { readFile, stat, mkdir, writeFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { LanternLargestContentfulPaint } from "lighthouse/core/computed/metrics/lantern-largest-contentful-paint.js";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, collector } from "../../e2e/harness.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIST = join(ROOT, "dist");
const OUT = join(ROOT, "target", "lighthouse");
const RUNS = Number(process.argv[2] ?? 5);
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = ["--headless=new", ...CHROMIUM_FLAGS];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".ico": "image/x-icon",
  ".txt": "text/plain",
};

/** Serves dist/ (and the snapshot at /static.html), gzip-compressed, with the SPA fallback. */
async function serve(snapshot) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    let body;
    let type;
    if (url.pathname === "/static.html" && snapshot.html) {
      body = Buffer.from(snapshot.html);
      type = TYPES[".html"];
    } else {
      let path = normalize(join(DIST, decodeURIComponent(url.pathname)));
      if (!path.startsWith(DIST)) return void res.writeHead(403).end();
      try {
        if ((await stat(path)).isDirectory()) path = join(path, "index.html");
        await stat(path);
      } catch {
        path = join(DIST, "index.html");
      }
      body = await readFile(path);
      // No collector here: the page keeps its events in localStorage.
      if (path.endsWith("index.html")) {
        body = Buffer.from(
          body.toString().replace(/<meta name="?cohort:collector-url"?[^>]*>/, '<meta name="cohort:collector-url" content="">'),
        );
      }
      type = TYPES[extname(path)] ?? "application/octet-stream";
    }
    res.writeHead(200, {
      "content-type": type,
      "content-encoding": "gzip",
      "cache-control": "no-cache",
    });
    res.end(gzipSync(body, { level: 9 }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** The page as the browser drew it, with its scripts and preloads taken out. */
async function snapshotOf(url) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS.slice(1) });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector("[data-testid=cta]");
    // The app's page, once it has taken over from the prerendered first screen.
    await page.waitForFunction(() => !document.getElementById("first-paint"));
    return await page.evaluate(() => {
      const root = document.documentElement.cloneNode(true);
      root.querySelectorAll("script, link[rel=modulepreload], link[rel=preload]").forEach((e) => e.remove());
      return "<!doctype html>" + root.outerHTML;
    });
  } finally {
    await browser.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Where a run's Largest Contentful Paint goes, as Lighthouse simulates it: the nodes of Lantern's
 * LCP graph (the requests and main-thread tasks before the observed LCP) with their simulated
 * start and end. The metric is the latest end (half optimistic, half pessimistic graph; this is
 * the pessimistic one, which holds the other).
 */
async function lcpGraph(result, origin) {
  const a = result.artifacts;
  const settings = result.lhr.configSettings;
  const data = {
    trace: a.Trace, devtoolsLog: a.DevtoolsLog, gatherContext: a.GatherContext, settings,
    URL: a.URL, SourceMaps: a.SourceMaps, simulator: null,
  };
  const lcp = await LanternLargestContentfulPaint.request(data, { computedCache: new Map(), settings });
  return [...lcp.pessimisticEstimate.nodeTimings]
    .map(([node, t]) => ({
      what: node.type === "network"
        ? `${node.request.url.replace(origin, "")} (${node.request.transferSize.toLocaleString("en")} B, ${node.request.priority} priority)`
        : `main thread: ${[...new Set(node.childEvents.map((e) => e.name))].slice(0, 3).join(", ")}`,
      start_ms: Math.round(t.startTime),
      end_ms: Math.round(t.endTime),
    }))
    .sort((x, y) => x.start_ms - y.start_ms || x.end_ms - y.end_ms);
}

/** The medians as Markdown, for docs/benchmarks.md. */
function figures(summary, version) {
  const ms = (x) => `${Math.round(x).toLocaleString("en")} ms`;
  const span = (xs, unit = "") => {
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return lo === hi ? "" : ` (runs: ${lo.toLocaleString("en")}-${hi.toLocaleString("en")}${unit})`;
  };
  const score = (x) => Math.round(x * 10) / 10;
  const row = (name, s) =>
    `| ${name} | ${score(s.performance)}${span(s.performance_runs)} | ${score(s.accessibility)} | ${ms(s.fcp_ms)} | ` +
    `${ms(s.lcp_ms)}${span(s.lcp_runs_ms, " ms")} | ${ms(s.tbt_ms)} |`;
  return [
    `Lighthouse ${version}'s mobile preset (simulated slow 4G and a 4x slower CPU) on \`dist/\` served ` +
      `gzip-compressed as a CDN would, against the same page saved as static HTML, alternating in one run; ` +
      `medians of ${summary.page.lcp_runs_ms.length} runs each.`,
    "",
    "| | performance | accessibility | FCP | LCP | TBT |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    row("the page", summary.page),
    row("static snapshot", summary.static),
    row("the page from `cohort serve --dist`", summary.collector),
    "",
    `LCP ratio (page / static): **${summary.lcp_ratio.toFixed(2)}**; from \`cohort serve --dist\` ` +
      `(its build-time brotli files, its headers and Content-Security-Policy): ` +
      `**${summary.collector_lcp_ratio.toFixed(2)}**.`,
    "",
    ...["page", "static"].flatMap((name) => [
      `Where the ${name === "page" ? "page's" : "static snapshot's"} LCP goes (its last run as Lantern simulates it: ` +
        `the requests and main-thread tasks before the LCP, 150 ms round trips, 1.6 Mbit/s):`,
      "",
      "| simulated | |",
      "| ---: | --- |",
      ...summary.lcp_graph[name].map((n) => `| ${n.start_ms}-${n.end_ms} ms | ${n.what} |`),
      "",
    ]),
  ].join("\n");
}

async function main() {
  await stat(join(DIST, "index.html")).catch(() => {
    throw new Error("no dist/: run a release build first (scripts/build)");
  });
  const snapshot = { html: null };
  const site = await serve(snapshot);
  // The same dist/ as the project's own server hosts it (with a collector for its events).
  const served = await collector();
  const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: FLAGS });
  try {
    snapshot.html = await snapshotOf(`${site.url}/`);
    const runs = { page: [], static: [], collector: [] };
    const graphs = {};
    for (let i = 0; i < RUNS; i++) {
      for (const [name, url] of [
        ["page", `${site.url}/`],
        ["static", `${site.url}/static.html`],
        ["collector", `${served.url}/`],
      ]) {
        const result = await lighthouse(url, {
          port: chrome.port,
          output: "json",
          logLevel: "error",
          onlyCategories: ["performance", "accessibility"],
        });
        runs[name].push(result.lhr);
        if (i === RUNS - 1) {
          // Lantern's graph comes from Lighthouse's internals: if they move, the figures stay.
          graphs[name] = await lcpGraph(result, name === "collector" ? served.url : site.url).catch((e) => [
            { what: `(Lantern's graph unavailable: ${e.message})`, start_ms: 0, end_ms: 0 },
          ]);
        }
      }
    }
    const summary = {};
    for (const [name, lhrs] of Object.entries(runs)) {
      summary[name] = {
        performance: median(lhrs.map((l) => l.categories.performance.score * 100)),
        accessibility: median(lhrs.map((l) => l.categories.accessibility.score * 100)),
        lcp_ms: median(lhrs.map((l) => l.audits["largest-contentful-paint"].numericValue)),
        fcp_ms: median(lhrs.map((l) => l.audits["first-contentful-paint"].numericValue)),
        tbt_ms: median(lhrs.map((l) => l.audits["total-blocking-time"].numericValue)),
        lcp_runs_ms: lhrs.map((l) => Math.round(l.audits["largest-contentful-paint"].numericValue)),
        performance_runs: lhrs.map((l) => Math.round(l.categories.performance.score * 100)),
      };
    }
    summary.lcp_ratio = summary.page.lcp_ms / summary.static.lcp_ms;
    summary.collector_lcp_ratio = summary.collector.lcp_ms / summary.static.lcp_ms;
    const last = runs.page.at(-1);
    const requests = last.audits["network-requests"].details.items.map((r) => ({
      url: r.url.replace(site.url, ""),
      type: r.resourceType,
      transfer_bytes: r.transferSize,
      start_ms: Math.round(r.networkRequestTime),
      end_ms: Math.round(r.networkEndTime),
    }));
    const bootup = last.audits["bootup-time"].details?.items ?? [];
    const phases = last.audits["largest-contentful-paint-element"].details?.items?.[1]?.items ?? [];
    summary.where = { requests, bootup, lcp_phases: phases };
    summary.lcp_graph = graphs;
    await mkdir(OUT, { recursive: true });
    await writeFile(join(OUT, "summary.json"), JSON.stringify(summary, null, 2));
    await writeFile(join(OUT, "page.json"), JSON.stringify(last, null, 1));
    await writeFile(join(OUT, "figures.md"), figures(summary, last.lighthouseVersion));

    const row = (name, s) =>
      `${name.padEnd(9)} ${String(s.performance).padStart(10)} ${String(s.accessibility).padStart(13)} ` +
      `${Math.round(s.fcp_ms).toString().padStart(8)} ${Math.round(s.lcp_ms).toString().padStart(8)} ${Math.round(s.tbt_ms).toString().padStart(8)}`;
    console.log(`Lighthouse ${last.lighthouseVersion}, mobile preset, medians of ${RUNS} runs each`);
    console.log(`${"".padEnd(9)} performance accessibility  FCP (ms)  LCP (ms)  TBT (ms)`);
    console.log(row("page", summary.page));
    console.log(row("static", summary.static));
    console.log(row("collector", summary.collector));
    console.log(`LCP ratio (page / static): ${summary.lcp_ratio.toFixed(2)}; from cohort serve --dist: ${summary.collector_lcp_ratio.toFixed(2)}`);
    for (const name of ["page", "static", "collector"]) {
      const s = summary[name];
      console.log(`  ${name} runs: LCP ${s.lcp_runs_ms.join(", ")} ms; performance ${s.performance_runs.join(", ")}`);
    }
    for (const name of ["page", "static", "collector"]) {
      console.log(`where the ${name}'s LCP goes (last run, Lantern's simulated LCP graph):`);
      for (const n of graphs[name]) console.log(`  ${String(n.start_ms).padStart(5)}-${String(n.end_ms).padStart(5)} ms  ${n.what}`);
    }
    console.log("the page's requests (last run, observed on this machine, unthrottled):");
    for (const r of requests) {
      console.log(`  ${r.type.padEnd(10)} ${String(r.transfer_bytes).padStart(7)} B  ${String(r.start_ms).padStart(5)}-${String(r.end_ms).padStart(5)} ms  ${r.url}`);
    }
    for (const p of phases) console.log(`  LCP phase ${p.phase}: ${Math.round(p.timing)} ms`);
    for (const b of bootup) {
      console.log(`  CPU ${b.url.replace(site.url, "")}: ${Math.round(b.total)} ms (script ${Math.round(b.scripting)} ms)`);
    }
    console.log(`(full report: ${join("target", "lighthouse", "page.json")})`);
  } finally {
    await chrome.kill();
    site.close();
    await served.close();
  }
}

await main();
