"""Evaluate a Statsig spec file for users with the official Statsig Python SDK.

    python oracle.py SPEC.json USERS.jsonl > EXPECTED.jsonl

Each output line is {"user", "gates", "configs", "layers"}, the shape of
../../engine/tests/vectors/statsig.expected.jsonl. The clock is pinned to NOW_MS (current_time
conditions) and dates are read in UTC, so the output is reproducible.
"""
import json
import logging
import os
import sys
import time

NOW_MS = 1_764_000_000_000

os.environ["TZ"] = "UTC"
time.tzset()

from statsig import StatsigOptions, StatsigUser, statsig  # noqa: E402
import statsig.evaluator as evaluator  # noqa: E402

logging.disable(logging.CRITICAL)


class _PinnedTime:
    """The evaluator's view of the `time` module, with the clock pinned."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def time():
        return NOW_MS / 1000


evaluator.time = _PinnedTime()

FIELDS = {
    "userID": "user_id", "email": "email", "ip": "ip", "userAgent": "user_agent",
    "country": "country", "locale": "locale", "appVersion": "app_version", "custom": "custom",
    "privateAttributes": "private_attributes", "customIDs": "custom_ids",
}


def statsig_user(user):
    kwargs = {FIELDS[k]: v for k, v in user.items() if k in FIELDS}
    if "statsigEnvironment" in user:
        kwargs["_statsig_environment"] = user["statsigEnvironment"]
    return StatsigUser(**kwargs)


def evaluate(spec_text, users):
    spec = json.loads(spec_text)
    statsig.initialize("secret-oracle", StatsigOptions(
        local_mode=True, bootstrap_values=spec_text, disable_diagnostics=True))
    try:
        for user in users:
            su = statsig_user(user)
            out = {"user": user, "gates": {}, "configs": {}, "layers": {}}
            for gate in spec.get("feature_gates", []):
                out["gates"][gate["name"]] = statsig.check_gate(su, gate["name"])
            for config in spec.get("dynamic_configs", []):
                r = statsig.get_config(su, config["name"])
                out["configs"][config["name"]] = {
                    "value": r.value, "rule_id": r.rule_id, "group_name": r.group_name}
            for layer in spec.get("layer_configs", []):
                r = statsig.get_layer(su, layer["name"])
                out["layers"][layer["name"]] = {
                    "value": r._Layer__value, "rule_id": r.rule_id, "group_name": r.group_name}
            yield out
    finally:
        statsig.shutdown()


def main():
    spec_text = open(sys.argv[1]).read()
    users = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
    for out in evaluate(spec_text, users):
        print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
