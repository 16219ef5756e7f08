#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate JSON files against a vfcap JSON Schema (draft 2020-12, with format checks).

usage: validate-schema.py SCHEMA FILE...

Prints "FILE: PATH: message" per error and exits 1 when any file is invalid, 0 when all are
valid, 2 on a usage error or a broken schema. Every *.schema.json beside SCHEMA is loaded by
its $id, so a schema may $ref its siblings (vfcap-caps -> vfcap-report).

Runs on Debian's python3-jsonschema (4.10): hence RefResolver, not the newer referencing API.
"""

import datetime
import glob
import json
import os
import sys

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker


def format_checker():
    checker = FormatChecker()
    # date-time needs the rfc3339-validator module, which Debian does not ship: without this
    # the format would pass unchecked and "2026-02-30T..." would validate.
    if "date-time" not in checker.checkers:
        @checker.checks("date-time", raises=ValueError)
        def is_datetime(value):
            if not isinstance(value, str):
                return True
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            return True
    return checker


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def make_validator(schema_path):
    schema = load_json(schema_path)
    Draft202012Validator.check_schema(schema)
    store = {}
    for sibling in glob.glob(os.path.join(os.path.dirname(schema_path) or ".", "*.schema.json")):
        doc = load_json(sibling)
        if "$id" in doc:
            store[doc["$id"]] = doc
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    return Draft202012Validator(schema, resolver=resolver, format_checker=format_checker())


def json_path(path):
    """deque(['pfs', 1, 'vfs', 3, 'state']) -> 'pfs[1].vfs[3].state' (the C reader's spelling)"""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += "[%d]" % part
        else:
            out += ("." if out else "") + str(part)
    return out or "(root)"


def validate_file(validator, path):
    """Return the error lines for one file (empty when valid)."""
    try:
        doc = load_json(path)
    except (OSError, ValueError) as e:
        return ["%s: (root): cannot read JSON: %s" % (path, e)]
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    return ["%s: %s: %s" % (path, json_path(e.absolute_path), e.message) for e in errors]


def main(argv):
    if len(argv) < 3:
        print("usage: validate-schema.py SCHEMA FILE...", file=sys.stderr)
        return 2
    try:
        validator = make_validator(argv[1])
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print("%s: bad schema: %s" % (argv[1], e), file=sys.stderr)
        return 2
    failed = False
    for path in argv[2:]:
        for line in validate_file(validator, path):
            print(line)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
