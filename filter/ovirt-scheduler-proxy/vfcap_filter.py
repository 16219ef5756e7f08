# SPDX-License-Identifier: MIT
"""vfcap units for the legacy ovirt-scheduler-proxy (plugins directory).

The proxy spawns one python3 process per call and reads what the unit prints: do_filter prints
the accepted host ids as a list literal, do_score a list of (id, score) tuples. Anything on
stderr or a non-zero exit makes the proxy drop the unit for that call (all hosts pass). The
work is done by `vfcap-filter run`, which reads the same reports and config as the service;
host ids go to it on stdin, so no command-line length limit applies on this side.

do_score prints unweighted scores: the proxy multiplies each unit's by the policy's factor and
sums them into one [host, score] pair per host (request_handler.py, aggregate_score_results),
so the factor is applied once, by the proxy. It cannot name the unit, so the engine records
the sum under no unit at factor 1 (README.md, "What the score means to the engine's selector").
"""
import os
import subprocess
import sys

VFCAP_FILTER = os.environ.get("VFCAP_FILTER", "/usr/bin/vfcap-filter")
TIMEOUT = 25  # the proxy gives a unit 30 s

# discover's properties_validation (filter/policy.c makes it from its table; the unit test
# test_filter_policy checks that this copy is the same)
_VALIDATION = ("vf_demand=^[0-9]{1,4}$;on_missing=^(reject|accept)$;max_report_age=^[0-9]{1,8}$;"
               "label=^[A-Za-z0-9_.:-]{0,64}$;iommu_isolation=^(no|yes)$;numa=^(ignore|preferred|required)$;"
               "require_link=^(no|yes)$")

# the policy properties and the `vfcap-filter run` options that carry them (each property's
# name with '-' for '_', as filter/main.c makes them)
_OPTIONS = tuple((kv.split("=", 1)[0], "--" + kv.split("=", 1)[0].replace("_", "-"))
                 for kv in _VALIDATION.split(";") if kv)


def _run(extra, hosts, vm, args):
    cmd = [VFCAP_FILTER, "run", "--vm", vm, "--hosts", "-"] + extra
    for prop, option in _OPTIONS:
        value = (args or {}).get(prop)
        if value not in (None, ""):
            cmd += [option, str(value)]
    try:
        p = subprocess.run(cmd, input=",".join(hosts), capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        sys.exit("vfcap: %s" % e)
    if p.returncode != 0:
        sys.exit("vfcap: %s" % (p.stderr.strip() or "vfcap-filter exited %d" % p.returncode))
    return p.stdout.splitlines()


class vfcap_vf_capacity(object):
    properties_validation = _VALIDATION

    def do_filter(self, hosts, vm, args):
        """vfcap: rejects hosts without enough free SR-IOV VFs for the VM"""
        print(_run([], hosts, vm, args))


class vfcap_vf_headroom(object):
    properties_validation = _VALIDATION

    def do_score(self, hosts, vm, args):
        """vfcap: prefers hosts with more free SR-IOV VFs left after placing the VM"""
        scores = []
        for line in _run(["--score"], hosts, vm, args):
            host, score = line.split()
            scores.append((host, int(score)))
        print(scores)
