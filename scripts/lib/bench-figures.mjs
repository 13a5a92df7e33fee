#!/usr/bin/env node
// Turns the figure lines scripts/bench printed (and kept in target/bench-figures.txt) into the
// tables of docs/benchmarks.md, through write-figures.mjs. scripts/bench calls it after each
// part has passed its gates:
//
//   node scripts/lib/bench-figures.mjs bench LINES      the engine (native and Wasm), the engine's
//                                                       share of the page, the collector's ingestion
//   node scripts/lib/bench-figures.mjs scale LINES [--scale]
//                                                       results at scale: section bench-scale, or
//                                                       bench-scale-large for `scripts/bench --scale`
//
// Each pattern below reads one line as scripts/bench prints it; a line no pattern reads is
// listed under the table as it is, so a changed message shows up rather than vanishing.

import { readFileSync } from "node:fs";
import { commas, writeSection } from "./write-figures.mjs";

const n = (x) => commas(x);

/** [pattern, (match) => table row] for the "bench" section, in the order they are printed. */
const BENCH = [
  [/^sha256 of salt\.user_id\s+([\d.]+) ns\s+([\d,]+)\/s/, (m) =>
    ["SHA-256 of one `salt.user_id` (73 bytes), native", `${m[1]} ns (${m[2]}/s)`, ""]],
  [/^button_color_v3\s+([\d.]+) ns\s+([\d,]+)\/s/, (m) =>
    ["`button_color_v3` evaluation, native", `${m[1]} ns (${m[2]}/s)`, ""]],
  [/^spec file, one user\s+([\d.]+) us\s+([\d,]+)\/s/, (m) =>
    ["the course's reference spec file (2 gates, 4 experiments, a layer), one user, native", `${m[1]} us (${m[2]}/s)`, ""]],
  [/^ratio: an evaluation takes ([\d.]+) ns, SHA-256 of its input ([\d.]+) ns: ([\d.]+) hashes \(at most ([\d.]+)\)/, (m) =>
    ["native evaluation in SHA-256 hashes of its input (alternating rounds)", `**${m[3]} x** (${m[1]} ns against ${m[2]} ns)`, `at most ${m[4]}`]],
  [/^wasm: (\d+) button_color_v3 evaluations\/s, (\d+) SHA-256\/s: an evaluation costs ([\d.]+) hashes \(at most ([\d.]+)\)/, (m) => [
    ["`button_color_v3` evaluation, Wasm in headless Chrome", `${n(m[1])}/s (SHA-256: ${n(m[2])}/s)`, ""],
    ["Wasm evaluation in SHA-256 hashes of its input", `**${m[3]} x**`, `at most ${m[4]}`],
  ]],
  [/^page Wasm (\d+) B gzip, without the engine (\d+) B: the engine adds (-?\d+) B \(budget (\d+)\)/, (m) =>
    ["the engine's share of the page's Wasm", `**${n(m[3])} B gzip** (the page's Wasm ${n(m[1])} B, without the engine ${n(m[2])} B)`, `at most ${n(m[4])} B`]],
  [/^collector \((.+?)\): (\d+) records in (\d+) batches of (\d+) from (\d+) clients in ([\d.]+) s: (\d+) records\/s, batch latency p50 ([\d.]+) ms, p99 ([\d.]+) ms; the median of (\d+) runs, (\d+) to (\d+) records\/s/, (m) =>
    [`collector ingestion, ${m[5]} clients, ${m[4]}-record batches, loopback: ${m[1]}`,
     `${n(m[7])} records/s (${n(m[2])} records in ${m[6]} s; the median of ${m[10]} runs, ${n(m[11])} to ${n(m[12])}), batch p50 ${m[8]} ms, p99 ${m[9]} ms`, ""]],
];

const SCALE = [
  [/^scale \((.+?)\): (\d+) users and (\d+) events loaded at (\d+) records\/s; results answer p50 ([\d.]+) ms, p99 ([\d.]+) ms; cohort results in ([\d.]+) s, peak resident memory ([\d.]+) MB; recomputed in ([\d.]+) s, ([\d.]+) MB/, (m) =>
    [m[1], `${n(m[2])}, ${n(m[3])}`, `${n(m[4])} records/s`, `${m[5]} ms / ${m[6]} ms`, `${m[7]} s, ${m[8]} MB`, `${m[9]} s, ${m[10]} MB`]],
];

/** Rows of the lines the patterns read, and the lines none read. */
function read(lines, patterns) {
  const rows = [];
  const unread = [];
  for (const line of lines) {
    const hit = patterns.map(([re, row]) => [line.match(re), row]).find(([m]) => m);
    if (!hit) {
      unread.push(line);
      continue;
    }
    const row = hit[1](hit[0]);
    rows.push(...(Array.isArray(row[0]) ? row : [row]));
  }
  return { rows, unread };
}

const table = (head, align, rows) =>
  [`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`.replace(/ {2}\|/g, " |"))].join("\n");

const unreadNote = (unread) =>
  unread.length ? `\n\nPrinted, but not read into the table:\n\n${unread.map((l) => `- \`${l}\``).join("\n")}` : "";

function main() {
  const [part, file, flag] = process.argv.slice(2);
  const lines = readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
  if (part === "bench") {
    const { rows, unread } = read(lines.filter((l) => !l.startsWith("scale (")), BENCH);
    writeSection({
      section: "bench",
      by: "scripts/bench",
      title: "The engine, the page's Wasm and the collector",
      body:
        "One run of `scripts/bench`: criterion's times, the ratios measured in alternating rounds " +
        "(the gates), the engine's share of the page built with and without it, and the collector " +
        "on loopback.\n\n" + table(["measure", "figure", "gate"], ["---", "---", "---"], rows) + unreadNote(unread),
    });
  } else if (part === "scale") {
    const scaleLines = lines.filter((l) => l.startsWith("scale ("));
    const { rows, unread } = read(scaleLines, SCALE);
    const large = flag === "--scale";
    writeSection({
      section: large ? "bench-scale-large" : "bench-scale",
      by: large ? "scripts/bench --scale" : "scripts/bench",
      title: large ? "Results at scale: millions of users (`scripts/bench --scale`)" : "Results at scale (every `scripts/bench`)",
      body:
        "Exposed users (first exposed over 30 days: the answer has 30 points over time) and a fifth " +
        "as many events loaded through the store's bulk path (results kept " +
        "as they arrive), then the results answer timed in process (warm, median and p99 of 21), and " +
        "one `cohort results` process timed as kept and with `--recompute`, its peak resident memory " +
        "read from the kernel (the gates: the same answer both ways, at most 100 MB; " +
        "`cli/tests/scale.rs`).\n\n" +
        table(["store", "users, events", "load", "answer p50 / p99", "`cohort results`", "`--recompute`"], ["---", "---", "---:", "---:", "---:", "---:"], rows) +
        unreadNote(unread),
    });
  } else {
    throw new Error("usage: bench-figures.mjs bench|scale LINES [--scale]");
  }
}

try {
  main();
} catch (e) {
  console.error(`bench-figures: ${e.message}`);
  process.exit(1);
}
