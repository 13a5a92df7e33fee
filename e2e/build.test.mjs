// A malformed rules file fails the app's build with the file, the place and the reason.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

const GOOD = readFileSync(join(ROOT, "experiments", "button_color_v3.json"), "utf8");

function buildWith(files) {
  const dir = mkdtempSync(join(tmpdir(), "cohort-experiments-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const run = spawnSync("cargo", ["build", "--quiet", "-p", "cohort-app"], {
    cwd: ROOT,
    env: { ...process.env, COHORT_EXPERIMENTS: dir },
    encoding: "utf8",
  });
  return { dir, status: run.status, stderr: run.stderr };
}

test("an unknown operator names the file, the rule and the operator", () => {
  const { dir, status, stderr } = buildWith({
    "button_color_v3.json": GOOD.replace('"operator": "lt"', '"operator": "lesser_than"'),
  });
  assert.notEqual(status, 0);
  assert.match(
    stderr,
    new RegExp(
      `${dir}/button_color_v3.json: dynamic_configs\\[0\\] "button_color_v3" > rules\\[1\\] "[^"]+" > conditions\\[0\\] > operator: unknown operator "lesser_than"`,
    ),
  );
});

test("broken JSON names the file and the line", () => {
  const broken = GOOD.replace('"enabled": true,', '"enabled": true,,');
  const line = broken.split("\n").findIndex((l) => l.includes("true,,")) + 1;
  const { dir, status, stderr } = buildWith({ "button_color_v3.json": broken });
  assert.notEqual(status, 0);
  assert.match(stderr, new RegExp(`${dir}/button_color_v3.json: line ${line}: not valid JSON`));
});

test("the same experiment in two files is named with both places", () => {
  const { status, stderr } = buildWith({ "a.json": GOOD, "b.json": GOOD });
  assert.notEqual(status, 0);
  assert.match(stderr, /b\.json: dynamic_configs\[0\] "button_color_v3": duplicate config name "button_color_v3" \(first defined at .*a\.json/);
});

test("a gate that does not exist is refused", () => {
  const withGate = GOOD.replace(
    '"conditions": [',
    '"conditions": [{"type": "pass_gate", "targetValue": "no_such_gate", "operator": null, "field": null, "additionalValues": null, "idType": "userID"},',
  );
  const { status, stderr } = buildWith({ "x.json": withGate });
  assert.notEqual(status, 0);
  assert.match(stderr, /targetValue: gate "no_such_gate" does not exist/);
});
