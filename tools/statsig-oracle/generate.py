"""Generate conformance vectors with the official Statsig SDK.

    pip install -r requirements.txt
    python generate.py ../../engine/tests/vectors

Writes, for each suite, SUITE.json (a Statsig spec file) and SUITE.expected.jsonl (what the
SDK returned for each user, in the shape of ../../engine/tests/vectors/statsig.expected.jsonl).
The suites are built to reach every operator, condition type and corner of the evaluator:
odd operand types, nested gates that raise or are missing, layers, holdouts, custom IDs.
Everything is seeded, so a rerun writes the same files.
"""
import copy
import json
import os
import random
import sys

from oracle import NOW_MS, evaluate

STRINGS = [
    "", "abc", "ABC", "Abc-Def", "Straße", "STRASSE", "1", "1.0", " 2 ", "1_000", "2.3",
    "2.3.0", "2.3-beta", "10.0.1", "1.x", "inf", "nan", "-1", "True", "None",
    "a@example.org", "B@EXAMPLE.ORG", "c@dataexpert.io", "1700000000", "1764000000000",
    "1764086400000", "soon", "ab", "ba", "US", "ca", "pro", "team", "ünï", "a|b", "[1, 2]",
]
NUMBERS = [0, 1, -1, 2, 2.5, 1.0, 100, 0.5, 1700000000, 1764000000000, 1764000000000.0,
           1e16, 3, 10, 99999999999999999]
LISTS = [[1, 2], ["a", "b"], ["A"], [1.0, "2"], [], [None], [True], ["abc", 0], [0], ["0"]]
OTHERS = [True, False, None, {"a": 1}]


def any_value(rng):
    pool = rng.choice([STRINGS, STRINGS, NUMBERS, LISTS, OTHERS])
    return copy.deepcopy(rng.choice(pool))


TARGETS = {
    "numeric": [1, 2.5, "2", "abc", None, [1], True, 1764000000000, "1e3", " 3 "],
    "version": ["2.3", "2.3.0", "10", "2.3-rc", "1.x", "inf", 2, None, "2", "10.0.0.1", "-1.2"],
    "set": [["abc", "1", 1, True, None, "straße", 2.5, "US", "pro"], "abc", [], None, ["A"],
            [[1, 2], {"a": 1}], ["1.0", "2.3.0"]],
    "str": [["ab", "EXAMPLE.ORG", 1, None], "ab", 5, None, ["strasse"], [], ["-"], ["1"]],
    "regex": ["^a", "[0-9]+", "(?i)abc", 5, None, "a|b", "^$", "org$", "S+"],
    "eq": ["abc", 1, 1.0, True, None, [1, 2], {"a": 1}, "1", 0, False, ["A"]],
    "date": [1764000000000, "1764000000000", 1700000000, "soon", None, 1764000000.5,
             99999999999999999, 1764086400000, 0, "1764000000"],
    "array": [["a", "1", 1, 0, "0", None, True], "a", [], None, ["b"], [1, 2], ["A", "a"],
              ["2"], [2.5]],
    "segment": ["list_a", "missing_list", 5, None],
}

OPERATORS = {
    "numeric": ["gt", "gte", "lt", "lte"],
    "version": ["version_gt", "version_gte", "version_lt", "version_lte", "version_eq",
                "version_neq"],
    "set": ["any", "none", "any_case_sensitive", "none_case_sensitive"],
    "str": ["str_starts_with_any", "str_ends_with_any", "str_contains_any", "str_contains_none"],
    "regex": ["str_matches"],
    "eq": ["eq", "neq"],
    "date": ["before", "after", "on"],
    "array": ["array_contains_any", "array_contains_none", "array_contains_all",
              "not_array_contains_all"],
    "segment": ["in_segment_list", "not_in_segment_list"],
}

FIELDS = ["email", "country", "appVersion", "userID", "locale", "ip", "plan", "age", "tags",
          "joined", "Nick", "score", "flag", "user_agent", "app_version"]


def condition(ctype, op, target, field=None, extra=None, with_target=True):
    c = {"type": ctype, "operator": op, "field": field, "additionalValues": None,
         "isDeviceBased": False, "idType": "userID"}
    if with_target:
        c["targetValue"] = target
    if extra:
        c.update(extra)
    return c


def rule(rid, conditions, pass_percentage=100, return_value=True, **kw):
    r = {"name": rid, "groupName": kw.pop("group", ""), "passPercentage": pass_percentage,
         "returnValue": return_value, "id": rid, "salt": kw.pop("salt", rid),
         "isDeviceBased": False, "idType": kw.pop("id_type", "userID"),
         "conditions": conditions}
    r.update(kw)
    return r


def gate(name, rules, enabled=True, salt=None):
    return {"name": name, "type": "feature_gate", "salt": salt or f"salt-{name}",
            "enabled": enabled, "defaultValue": False, "rules": rules, "idType": "userID",
            "entity": "feature_gate"}


def config(name, rules, default=None, enabled=True, entity="dynamic_config", **kw):
    c = {"name": name, "type": "dynamic_config", "salt": kw.pop("salt", f"salt-{name}"),
         "enabled": enabled,
         "defaultValue": {"v": "default"} if default is None else default,
         "rules": rules, "idType": "userID", "entity": entity}
    c.update(kw)
    return c


def dcs(gates=(), configs=(), layers=(), **extra):
    d = {"dynamic_configs": list(configs), "feature_gates": list(gates),
         "layer_configs": list(layers), "has_updates": True, "time": NOW_MS,
         "id_lists": {"list_a": {"name": "list_a", "size": 0, "url": "", "creationTime": 0,
                                 "fileID": "f"}}}
    d.update(extra)
    return d


def random_user(rng, i):
    user = {}
    if rng.random() < 0.93:
        user["userID"] = rng.choice([f"u{i}", str(rng.getrandbits(40)), f"user-{i}-x",
                                     "", f"U{i}"]) or f"id{i}"
    if rng.random() < 0.35 or "userID" not in user:
        user["customIDs"] = {rng.choice(["companyID", "companyid", "stableID"]):
                             rng.choice([f"c{i % 7}", f"C{i % 5}"])}
    for key in ["email", "country", "locale", "ip", "appVersion", "userAgent"]:
        if rng.random() < 0.3:
            user[key] = rng.choice([any_value(rng), rng.choice(STRINGS)])
    if rng.random() < 0.6:
        user["custom"] = {f: any_value(rng) for f in rng.sample(FIELDS, rng.randint(1, 5))}
    if rng.random() < 0.2:
        user["privateAttributes"] = {f: any_value(rng) for f in rng.sample(FIELDS, 2)}
    if rng.random() < 0.5:
        user["statsigEnvironment"] = rng.choice([
            {"tier": "production"}, {"tier": "staging"}, {"tier": "development"},
            {"TIER": "production"}, {"tier": "production", "Region": "eu"}])
    return user


def operators_suite(rng):
    """One gate per operator and target, over user fields of every type."""
    gates, configs = [], []
    n = 0
    for family, ops in OPERATORS.items():
        for op in ops:
            for target in TARGETS[family]:
                for field in rng.sample(FIELDS, 2):
                    n += 1
                    gates.append(gate(f"op_{n}_{op}", [
                        rule(f"r{n}", [condition("user_field", op, target, field)])]))
    # Spellings the evaluator does not match, an unknown operator, odd condition shapes.
    gates.append(gate("op_upper", [rule("r", [condition("user_field", "ANY", ["abc"], "plan")])]))
    gates.append(gate("op_null", [rule("r", [condition("user_field", None, ["abc"], "plan")])]))
    gates.append(gate("op_unknown", [rule("r", [condition("user_field", "bogus", [1], "plan")])]))
    gates.append(gate("type_unknown", [rule("r", [condition("mystery", "any", [1], "plan")])]))
    gates.append(gate("type_upper", [rule("r", [condition("USER_FIELD", "any", ["pro"], "plan")])]))
    gates.append(gate("type_null", [rule("r", [condition(None, "any", ["pro"], "plan")])]))
    gates.append(gate("field_null", [rule("r", [condition("user_field", "any", ["pro"], None)])]))
    gates.append(gate("target_missing_any", [rule("r", [
        condition("user_field", "none", None, "plan", with_target=False)])]))
    gates.append(gate("target_missing_array", [rule("r", [
        condition("user_field", "array_contains_all", None, "tags", with_target=False)])]))
    # Every other condition type.
    for op, target in [("gt", NOW_MS - 1), ("lt", NOW_MS + 1), ("after", NOW_MS - 86400000),
                       ("on", NOW_MS), ("before", "1764000000")]:
        gates.append(gate(f"time_{op}", [rule("r", [condition("current_time", op, target)])]))
    for field in ["tier", "TIER", "Region", "region", None]:
        for target in [["production"], ["PRODUCTION", "staging"]]:
            gates.append(gate(f"env_{field}_{len(target)}", [rule("r", [
                condition("environment_field", "any", target, field)])]))
    for id_type in ["userID", "USERID", "companyID", "CompanyID", "stableID", None]:
        gates.append(gate(f"unit_{id_type}", [rule("r", [
            condition("unit_id", "any", ["u1", "u2", "c1", "C2", "c3", ""], None,
                      {"idType": id_type})])]))
        gates.append(gate(f"unit_none_{id_type}", [rule("r", [
            condition("unit_id", "str_starts_with_any", ["c", "u1"], None,
                      {"idType": id_type})])]))
    for i, (op, target) in enumerate([("lt", 500), ("gte", 250), ("any", [1, 2, 3, 500, 999]),
                                      ("none", list(range(0, 1000, 2))), ("any", [-1]),
                                      ("eq", 3), ("any", ["7", 8.9]), ("lt", "600")]):
        for extra in [{"additionalValues": {"salt": f"bucket-salt-{i}"}},
                      {"additionalValues": {"salt": 12}}, {"additionalValues": {}},
                      {"additionalValues": None}, {"idType": "companyID",
                                                   "additionalValues": {"salt": "s"}}]:
            c = condition("user_bucket", op, target, None, extra)
            if "additionalValues" in extra and extra["additionalValues"] is None:
                c["additionalValues"] = None
            gates.append(gate(f"bucket_{i}_{len(gates)}", [rule("r", [c])]))
    bare = condition("user_bucket", "lt", 500, None)
    del bare["additionalValues"]
    gates.append(gate("bucket_no_additional", [rule("r", [bare])]))
    for field in ["country", "city", None]:
        gates.append(gate(f"ip_{field}", [rule("r", [
            condition("ip_based", "any", ["US", "CA", "FR"], field)])]))
        gates.append(gate(f"ua_custom_{field}", [rule("r", [
            condition("ua_based", "any", ["Chrome", "iOS"], field)])]))
    gates.append(gate("target_app", [rule("r", [
        condition("target_app", "any", ["app-1"], None)])]))
    gates.append(gate("target_app_none", [rule("r", [
        condition("target_app", "none", ["app-1"], None)])]))
    gates.append(gate("public", [rule("r", [condition("public", None, None)])]))
    # The same conditions as configs, so errors show their value and rule.
    for g in rng.sample(gates, 60):
        configs.append(config(f"cfg_{g['name']}", [
            dict(g["rules"][0], returnValue={"v": g["name"]}, groupName="G")]))
    spec = dcs(gates, configs, app_id="app-1")
    users = [random_user(rng, i) for i in range(200)]
    return spec, users


def structure_suite(rng):
    """Nesting, delegation, holdouts, disabled and dropped specs, pass percentages."""
    email = lambda: condition("user_field", "str_ends_with_any", ["@example.org"], "email")
    numeric_error = lambda: condition("user_field", "gt", 5, "plan")
    gates = [
        gate("g_email", [rule("email", [email()])]),
        gate("g_chain", [rule("chain", [condition("pass_gate", None, "g_not_pro")])]),
        gate("g_not_pro", [rule("np", [condition("fail_gate", None, "g_pro")])]),
        gate("g_pro", [rule("pro", [condition("user_field", "any", ["pro"], "plan")]),
                       rule("roll", [condition("public", None, None)], 37.5)]),
        gate("g_error", [rule("err", [numeric_error()])]),
        gate("g_error_after_gate", [rule("e2", [
            condition("pass_gate", None, "g_email"), numeric_error()])]),
        gate("g_missing", [rule("m", [condition("pass_gate", None, "no_such_gate")])]),
        gate("g_fail_missing", [rule("m", [condition("fail_gate", None, "no_such_gate")])]),
        gate("g_dropped", [rule("d", [condition("user_field", "bogus_op", 1, "plan")])]),
        gate("g_uses_dropped", [rule("u", [condition("pass_gate", None, "g_dropped")])]),
        gate("g_disabled", [rule("x", [condition("public", None, None)])], enabled=False),
        gate("g_uses_disabled", [rule("u", [condition("fail_gate", None, "g_disabled")])]),
        gate("g_multi", [rule("mp", [condition("multi_pass_gate", None,
                                               ["g_error", "g_email", "g_pro"])])]),
        gate("g_multi_fail", [rule("mf", [condition("multi_fail_gate", None,
                                                    ["g_email", "no_such_gate"])])]),
        gate("g_multi_empty", [rule("me", [condition("multi_pass_gate", None, [])])]),
        gate("g_multi_null", [rule("mn", [condition("multi_fail_gate", None, None)])]),
        gate("g_multi_number", [rule("mx", [condition("multi_pass_gate", None, 5)])]),
        gate("g_segment", [rule("s", [condition("pass_gate", None, "segment:g_email"),
                                      condition("pass_gate", None, "g_email")])]),
        gate("segment:g_email", [rule("se", [email()])]),
        gate("g_percent", [rule("p1", [condition("public", None, None)], 0.56),
                           rule("p2", [condition("public", None, None)], 12.5, salt=""),
                           rule("p3", [condition("public", None, None)], 33.3,
                                id_type="companyID")]),
        gate("g_rule_no_salt", [dict(rule("ns", [condition("public", None, None)], 50))]),
        gate("g_holdout", [rule("holdout", [condition("public", None, None)], 10)]),
    ]
    del gates[-2]["rules"][0]["salt"]
    groups = lambda salt, names: [
        rule(f"grp_{n}", [condition("user_bucket", "lt", (i + 1) * 1000 // len(names), None,
                                    {"additionalValues": {"salt": salt}})],
             return_value={"v": n}, group=n, isExperimentGroup=True)
        for i, n in enumerate(names)]
    configs = [
        config("c_error_after_gate", [rule("e", [condition("pass_gate", None, "g_email"),
                                                  numeric_error()], return_value={"v": 1})]),
        config("c_error_after_fail", [rule("e", [condition("fail_gate", None, "g_pro"),
                                                  numeric_error()], return_value={"v": 1})]),
        config("c_nested_error", [rule("ne", [condition("pass_gate", None, "g_error")],
                                       return_value={"v": "ne"})]),
        config("c_nested_error_stale", [rule("ns", [
            condition("pass_gate", None, "g_email"), condition("pass_gate", None, "g_error")],
            return_value={"v": "ns"})]),
        config("c_reset", [rule("rs", [condition("pass_gate", None, "g_email"),
                                       condition("pass_gate", None, "no_such_gate")])]),
        config("c_disabled", [rule("x", [condition("public", None, None)])], enabled=False),
        config("c_no_default", [rule("nd", [email()], 50, return_value=None)]),
        config("c_group_missing", [{k: v for k, v in rule("gm", [email()]).items()
                                    if k != "groupName"}]),
        config("c_group_null", [dict(rule("gn", [email()]), groupName=None)]),
        config("exp_holdout", [
            rule("holdout", [condition("pass_gate", None, "g_holdout")], group="holdout",
                 return_value={"v": "holdout"}),
            rule("targetingGate", [condition("fail_gate", None, "g_email")],
                 group="targetingGate", salt=""),
            rule("layerAssignment", [condition("user_bucket", "none", list(range(0, 1000, 3)),
                                               None, {"additionalValues": {"salt": "layer-1"}})],
                 group="layerAssignment", salt=""),
        ] + groups("exp-h", ["Control", "A", "B"]), entity="experiment",
            explicitParameters=["v"]),
        config("exp_in_layer", [
            rule("layerAssignment", [condition("user_bucket", "none", list(range(0, 500)),
                                               None, {"additionalValues": {"salt": "layer-2"}})],
                 group="layerAssignment", salt="")] + groups("exp-l1", ["Control", "X"]),
            entity="experiment", explicitParameters=["v"]),
        config("exp_in_layer_2", [
            rule("layerAssignment", [condition("user_bucket", "none", list(range(500, 1000)),
                                               None, {"additionalValues": {"salt": "layer-2"}})],
                 group="layerAssignment", salt="")] + groups("exp-l2", ["Control", "Y", "Z"]),
            entity="experiment", explicitParameters=["v"]),
        config("exp_erroring", [rule("boom", [numeric_error()])] + groups("exp-e", ["C"]),
               entity="experiment", explicitParameters=["v"]),
        config("exp_dropped", [rule("d", [condition("user_field", "nope", 1, "plan")])],
               entity="experiment"),
        config("exp_custom_id", groups("exp-c", ["Control", "T"]), entity="experiment",
               idType="companyID"),
    ]
    configs[-1]["rules"][0]["conditions"][0]["idType"] = "companyID"
    configs[-1]["rules"][1]["conditions"][0]["idType"] = "companyID"
    delegate = lambda rid, to, buckets, **kw: rule(
        rid, [condition("user_bucket", "any", buckets, None,
                        {"additionalValues": {"salt": "layer-2"}})],
        return_value={"v": "layer"}, configDelegate=to, **kw)
    layers = [
        {"name": "layer_main", "type": "dynamic_config", "salt": "layer-2", "enabled": True,
         "defaultValue": {"v": "layer default"}, "idType": "userID", "entity": "layer",
         "rules": [
             delegate("to_1", "exp_in_layer", list(range(0, 500))),
             delegate("to_2", "exp_in_layer_2", list(range(500, 900))),
             delegate("to_missing", "no_such_experiment", list(range(900, 950))),
             delegate("to_dropped", "exp_dropped", list(range(950, 975))),
             delegate("to_erroring", "exp_erroring", list(range(975, 990))),
         ]},
        {"name": "layer_gated", "type": "dynamic_config", "salt": "layer-g", "enabled": True,
         "defaultValue": {"v": "gated default"}, "idType": "userID", "entity": "layer",
         "rules": [rule("gated", [condition("pass_gate", None, "g_email")],
                        return_value={"v": "gated"}, configDelegate="exp_holdout")]},
        {"name": "layer_disabled", "type": "dynamic_config", "salt": "l-d", "enabled": False,
         "defaultValue": {"v": "off"}, "idType": "userID", "entity": "layer", "rules": []},
    ]
    spec = dcs(gates, configs, layers, default_environment="staging")
    users = [random_user(rng, i) for i in range(500)]
    for i, u in enumerate(users[:60]):
        u["custom"] = dict(u.get("custom") or {}, plan=rng.choice(["pro", "team", "3", 7, ""]))
        u["email"] = rng.choice(["a@example.org", "b@EXAMPLE.ORG", "c@other.io", ""])
    return spec, users


def random_condition(rng, gate_names):
    kind = rng.random()
    if kind < 0.12 and gate_names:
        return condition(rng.choice(["pass_gate", "fail_gate"]), None, rng.choice(gate_names))
    if kind < 0.17 and gate_names:
        return condition(rng.choice(["multi_pass_gate", "multi_fail_gate"]), None,
                         rng.sample(gate_names, min(len(gate_names), rng.randint(1, 3))))
    if kind < 0.32:
        op = rng.choice(["lt", "any", "none", "gte"])
        target = (rng.randint(0, 1000) if op in ("lt", "gte")
                  else rng.sample(range(1000), rng.randint(1, 600)))
        return condition("user_bucket", op, target, None,
                         {"additionalValues": {"salt": rng.choice(["s1", "s2", "s3"])},
                          "idType": rng.choice(["userID", "userID", "companyID"])})
    if kind < 0.36:
        return condition("public", None, None)
    if kind < 0.40:
        return condition("environment_field", rng.choice(["any", "none"]),
                         rng.choice(TARGETS["set"]), rng.choice(["tier", "TIER"]))
    family = rng.choice(list(OPERATORS))
    return condition("user_field", rng.choice(OPERATORS[family]),
                     copy.deepcopy(rng.choice(TARGETS[family])), rng.choice(FIELDS))


def random_suite(rng):
    """Random specs from random conditions: the combinations nobody would think of."""
    gates, configs = [], []
    for i in range(60):
        names = [g["name"] for g in gates]
        gates.append(gate(f"rg_{i}", [
            rule(f"rg_{i}_{j}", [random_condition(rng, names)
                                 for _ in range(rng.randint(0, 3))],
                 rng.choice([100, 100, 0, 50, 12.5, 0.56, 99.99]),
                 salt=rng.choice([f"rg_{i}_{j}", ""]))
            for j in range(rng.randint(1, 3))], enabled=rng.random() < 0.95))
    names = [g["name"] for g in gates]
    for i in range(60):
        configs.append(config(f"rc_{i}", [
            rule(f"rc_{i}_{j}", [random_condition(rng, names) for _ in range(rng.randint(0, 3))],
                 rng.choice([100, 100, 50, 0, 33.3]), return_value={"v": f"{i}.{j}"},
                 group=rng.choice(["", f"group{j}"]), isExperimentGroup=rng.random() < 0.5)
            for j in range(rng.randint(1, 4))], enabled=rng.random() < 0.95))
    spec = dcs(gates, configs)
    users = [random_user(rng, i) for i in range(300)]
    return spec, users


USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.97",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0", "python-requests/2.31.0", "Statsig iPadOS 17.2 Custom", "iPadOS 18 Tablet",
    "", "not a browser at all", "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
    "Opera/9.80 (Windows NT 6.0) Presto/2.12.388 Version/12.14",
]


def user_agent_suite(rng):
    """ua_based conditions on the browser and OS parsed from real and odd user agents."""
    gates = []
    checks = [
        ("browser_name", "any", ["Chrome", "Firefox", "Mobile Safari"]),
        ("browser_name", "str_contains_any", ["safari", "edge"]),
        ("browserName", "none", ["Other"]),
        ("browser_version", "version_gte", "119.0"),
        ("browser_version", "version_lt", "17.2"),
        ("browser_version", "any", ["0.0.0"]),
        ("os_name", "any", ["Mac OS X", "iOS", "Windows"]),
        ("os_name", "str_starts_with_any", ["android", "linux"]),
        ("osname", "any", ["Other"]),
        ("os_version", "version_gte", "14"),
        ("os_version", "version_eq", "17.2"),
        ("osVersion", "any", ["0.0.0"]),
        ("device", "any", ["iPhone"]),
    ]
    for i, (field, op, target) in enumerate(checks):
        gates.append(gate(f"ua_{i}_{field}_{op}", [rule("r", [condition("ua_based", op, target, field)])]))
    users = []
    for i in range(300):
        user = {"userID": f"ua{i}"}
        user["userAgent"] = rng.choice(USER_AGENTS)
        if rng.random() < 0.1:
            user.pop("userAgent")
            user["custom"] = {"userAgent": rng.choice(USER_AGENTS)}
        if rng.random() < 0.1:
            user["custom"] = dict(user.get("custom") or {}, browser_name="Chrome")
        users.append(user)
    return dcs(gates), users


SUITES = {"operators": operators_suite, "structure": structure_suite, "random": random_suite,
          "user_agent": user_agent_suite}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out_dir, exist_ok=True)
    for name, build in SUITES.items():
        spec, users = build(random.Random(name))
        spec_text = json.dumps(spec, indent=1)
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            f.write(spec_text + "\n")
        with open(os.path.join(out_dir, f"{name}.expected.jsonl"), "w") as f:
            for out in evaluate(spec_text, users):
                f.write(json.dumps(out, sort_keys=True) + "\n")
        print(f"{name}: {len(users)} users")


if __name__ == "__main__":
    main()
