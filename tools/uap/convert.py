"""Convert uap-core's regexes.yaml into engine/data/uap-regexes.json.

    npm pack uap-core@0.18.0 && tar xzf uap-core-0.18.0.tgz
    python convert.py package/regexes.yaml > ../../engine/data/uap-regexes.json

Keeps the user-agent and OS parsers (Statsig's ua_based conditions read the browser and the
OS); devices are not used. Needs PyYAML.
"""
import json
import sys

import yaml

data = yaml.safe_load(open(sys.argv[1]))
out = {
    "source": "uap-core 0.18.0 regexes.yaml (Apache-2.0), https://github.com/ua-parser/uap-core",
    "user_agent_parsers": data["user_agent_parsers"],
    "os_parsers": data["os_parsers"],
    "device_parsers": [],
}
json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
sys.stdout.write("\n")
