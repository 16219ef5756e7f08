#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Does the sample configuration show every key the parser knows, in its section?

usage: check_sample.py lib/config.c packaging/vfcap.conf.sample

The keys come from config.c's tables (vfcap_keys, pf_keys, filter_keys, engine_keys, hook_keys); the
sample shows a key as "KEY = VALUE" or commented out, "#KEY = VALUE", under its section
([vfcap], [pf NAME] or "#[pf NAME]", [filter], [engine], [hook]). Prints the keys missing (or shown
in the wrong section), one per line; exit 1 if any.
"""
import re
import sys

src, sample = open(sys.argv[1]).read(), open(sys.argv[2]).read()
tables = {}
for table, body in re.findall(r"static const struct key (\w+)_keys\[\] = \{(.*?)\};", src, re.S):
    names = re.findall(r'(?:LIST|HTTP|TYPED)_KEY\("(\w+)"', body)
    names += re.findall(r"(?:STR|SUB|INT)_KEY\(\w+, (\w+),", body)
    tables[table] = names
shown, section = {}, None
for line in sample.splitlines():
    m = re.match(r"#?\[(\w+)", line)
    if m:
        section = m.group(1)
        continue
    m = re.match(r"#?(\w+) = ", line)
    if m and section:
        shown.setdefault(section, set()).add(m.group(1))
missing = ["[%s] %s" % (t, k) for t, keys in sorted(tables.items()) for k in keys
           if k not in shown.get(t, set())]
if set(tables) != {"vfcap", "pf", "filter", "engine", "hook"}:
    missing.append("config.c's key tables are %s: update check_sample.py" % sorted(tables))
print("\n".join(missing))
sys.exit(1 if missing else 0)
