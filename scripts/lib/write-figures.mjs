#!/usr/bin/env node
// Rewrites one section of docs/benchmarks.md, the generated page of measured figures, between
// its markers `<!-- BEGIN <section> -->` and `<!-- END <section> -->`. scripts/size,
// scripts/bench (through scripts/lib/bench-figures.mjs) and scripts/lighthouse call it after
// their gates have passed; each owns its own sections.
//
//   node scripts/lib/write-figures.mjs SECTION SCRIPT TITLE < body.md
//
// SECTION names the markers, SCRIPT is the script that measured the figures (for the "written
// by" line), TITLE the section's heading; the body (Markdown: a caption and a table) comes on
// stdin. The section gets the heading, a line with the date and the machine (`nproc`, the CPU,
// the memory), and the body; the page's "Last written" line is updated too. A section whose
// body is unchanged is left as it is (sizes are deterministic, so a test run that changed
// nothing leaves the file alone). A missing file is created with its header, a missing section
// appended. $COHORT_FIGURES names another file (to try it on a scratch copy). Prints nothing;
// exits 1 with a line on stderr when it cannot write (the scripts report that and go on).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";

export const FIGURES =
  process.env.COHORT_FIGURES ?? fileURLToPath(new URL("../../docs/benchmarks.md", import.meta.url));

const HEADER = `# Measured figures

What the scripts measured: the page's size, the engine's speed, the collector, results at scale, Lighthouse.

<!-- Generated: scripts/size, scripts/bench and scripts/lighthouse each rewrite their own
sections (between the BEGIN and END markers) through scripts/lib/write-figures.mjs. Edits by
hand are overwritten; change the scripts instead. -->

This page is generated: every section is written by the script that measures it, after its
gates have passed. \`scripts/size\` writes the page's size (every \`scripts/test\` runs it);
\`scripts/bench\` the engine's speed, the engine's share of the page, the collector's ingestion
and results at scale (the last step of \`scripts/test\`; \`scripts/bench --scale\` for millions
of users); \`scripts/lighthouse\` the page's speed in Lighthouse (run by hand, not in CI). A
section whose figures did not change is left as it is.

Times are noisy: the machine is shared, and the same build measures SHA-256 at 110 ns one day
and 157 ns another. Only sizes, and ratios measured within one run, are gated (the budgets
are in the "gate" column); every other figure is reported, never gated. What the figures
mean, and what keeps the page small: [performance.md](performance.md).
`;

/** The markers of a section. */
const markers = (name) => [`<!-- BEGIN ${name} -->`, `<!-- END ${name} -->`];

/** The text between a section's markers, or null when the file has no such section. */
export function readSection(text, name) {
  const [begin, end] = markers(name);
  const i = text.indexOf(begin);
  if (i < 0) return null;
  const j = text.indexOf(end, i + begin.length);
  if (j < 0) throw new Error(`${begin} has no ${end}`);
  return text.slice(i + begin.length, j).trim();
}

/** The text with a section's content replaced (or the section appended at the end). */
export function replaceSection(text, name, content) {
  const [begin, end] = markers(name);
  const block = `${begin}\n${content.trim()}\n${end}`;
  const i = text.indexOf(begin);
  if (i < 0) return `${text.trimEnd()}\n\n${block}\n`;
  const j = text.indexOf(end, i + begin.length);
  if (j < 0) throw new Error(`${begin} has no ${end}`);
  return text.slice(0, i) + block + text.slice(j + end.length);
}

/** This machine: the cores `nproc` counts, the CPU, the memory, the system. */
export function machine() {
  let cores;
  try {
    cores = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    cores = String(os.availableParallelism?.() ?? os.cpus().length);
  }
  const cpu = os.cpus()[0]?.model.trim() || "an unknown CPU";
  const memory = Math.round(os.totalmem() / 2 ** 30);
  return `${cores} cores (\`nproc\`), ${cpu}, ${memory} GiB of memory, ${os.type()} ${os.machine?.() ?? os.arch()}`;
}

/** Today's date (UTC), as YYYY-MM-DD. */
export const today = () => new Date().toISOString().slice(0, 10);

/** A section's content without its "Last written" line, to compare figures only. */
const figuresOf = (content) =>
  (content ?? "")
    .split("\n")
    .filter((line) => !line.startsWith("_Last written by "))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();

/**
 * Writes one section. Returns false when its figures were already there (nothing written).
 * `date` and `on` (the machine) may be given.
 */
export function writeSection({ section, by, title, body, file = FIGURES, date = today(), on = machine() }) {
  if (!/^[a-z0-9-]+$/.test(section)) throw new Error(`"${section}" is not a section name (a-z, 0-9, -)`);
  if (!body.trim()) throw new Error(`no figures for the ${section} section`);
  let text = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (!text.trim()) text = `${HEADER}\n<!-- BEGIN updated -->\n<!-- END updated -->\n`;
  const content = `## ${title}\n\n_Last written by \`${by}\` on ${date}, on ${on}._\n\n${body.trim()}`;
  if (figuresOf(readSection(text, section)) === figuresOf(content)) return false;
  text = replaceSection(text, section, content);
  const updated = `Last written: ${date}, the \`${section}\` section, by \`${by}\`, on ${on}.`;
  text = replaceSection(text, "updated", updated);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return true;
}

/** Thousands separators: 103512 -> "103,512" (decimals kept as they are). */
export const commas = (n) => {
  const [whole, fraction] = String(n).split(".");
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (fraction === undefined ? "" : `.${fraction}`);
};

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const [section, by, title] = process.argv.slice(2);
  try {
    if (!section || !by || !title) throw new Error("usage: write-figures.mjs SECTION SCRIPT TITLE < body.md");
    writeSection({ section, by, title, body: readFileSync(0, "utf8") });
  } catch (e) {
    console.error(`write-figures: ${e.message}`);
    process.exit(1);
  }
}
