#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vfcap's scores checked against the engine's selection rule.

usage: check_selectors.py URL [VFCAP_FILTER CONFIG]
With a running `vfcap-filter serve` at URL (the reports of tests/filter.sh), asks it for scores
and feeds them to the engine's two selectors, written here after the engine's code
(oVirt/ovirt-engine, backend/manager/modules/bll/src/main/java/org/ovirt/engine/core/bll/scheduling/):

- external/ExternalSchedulerBrokerObjectBuilder.java, getScoreResult: each result entry is
  [host, score] or [host, score, unit name]; anything else ends the reading.
- SchedulingManager.java, runExternalFunctions/sumScoreResults: the name is mapped to the
  policy unit's id by the names of the policy's external units; no name or an unknown one is
  recorded under the unit null. Internal units record their own weights under their ids.
- policyunits/RankSelectorPolicyUnit.java (the default selector): per unit, weights summed per
  host, hosts the unit did not score get 0, sorted lowest first, ranked with
  common/utils/ListUtils.rankSorted (ties share the first one's rank), rank inverted to
  "hosts with the same or a worse weight" (n - 1 - rank); each host gets the sum over units of
  factor x rank, the factor being the policy's for that unit id, 1 for an id it lacks (null);
  the highest sum wins.
- policyunits/BasicWeightSelectorPolicyUnit.java: each host sums factor x weight; lowest wins.

With VFCAP_FILTER and CONFIG, the legacy-proxy plugin's do_score is run too and summed as the
proxy sums it (oVirt/ovirt-scheduler-proxy src/ovirtscheduler/request_handler.py,
aggregate_score_results: weight x score per host, [host, sum] pairs).
Prints "PASS name" / "FAIL name: why" lines, like check_service.py.
"""
import ast
import os
import subprocess
import sys
import xmlrpc.client

sys.path.insert(0, os.path.dirname(__file__))
from mkreports import host_id  # noqa: E402

URL = sys.argv[1]
PLUGIN = sys.argv[2:4] if len(sys.argv) > 3 else None
VM = "11111111-2222-4333-8444-555555555555"
UNIT = "vfcap_vf_headroom"
VFCAP_ID, CPU_ID = "vfcap-unit-id", "internal-cpu-unit-id"
results = []


def check(name, ok, why=""):
    results.append(ok)
    print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why), flush=True)


def engine_read_scores(result, name_to_id):
    """getScoreResult + sumScoreResults: (unit id or None, host, weight) records."""
    records = []
    for entry in result:
        if not isinstance(entry, list) or not 2 <= len(entry) <= 3 or not isinstance(entry[1], int):
            break  # "malformed score results": the engine keeps what it read so far
        unit = name_to_id.get(entry[2]) if len(entry) == 3 else None
        records.append((unit, entry[0], entry[1]))
    return records


def rank_selector(factors, hosts, records):
    """RankSelectorPolicyUnit.Selector.best(): the winner and each host's score."""
    table = {}
    for unit, host, weight in records:
        table.setdefault(unit, {}).setdefault(host, 0)
        table[unit][host] += weight
    scores = {}
    for unit, weights in table.items():
        weights = dict(weights)
        for h in hosts:
            weights.setdefault(h, 0)
        ordered = sorted(weights.items(), key=lambda kv: kv[1])
        rank, last = 0, None
        for i, (h, w) in enumerate(ordered):
            if last is None or w > last:
                rank, last = i, w
            scores[h] = scores.get(h, 0) + factors.get(unit, 1) * (len(weights) - 1 - rank)
    return winner(scores, max), scores


def weight_selector(factors, records):
    """BasicWeightSelectorPolicyUnit.Selector: the winner and each host's sum."""
    sums = {}
    for unit, host, weight in records:
        sums[host] = sums.get(host, 0) + factors.get(unit, 1) * weight
    return winner(sums, min), sums


def winner(scores, best):
    """The engine breaks a tie by hash order: a tie at the top is 'undecided', never a pass."""
    if not scores:
        return None
    top = best(scores.values())
    tied = [h for h, s in scores.items() if s == top]
    return tied[0] if len(tied) == 1 else "undecided"


def vfcap_scores(hosts, factor):
    r = xmlrpc.client.ServerProxy(URL).runCostFunctions([[UNIT, factor]], hosts, VM, {"vf_demand": "1"})
    return r["result"]


def select(hosts, internal, vfcap_factor, result=None):
    """One scheduling step: an internal unit at factor 2 with the given weights, vfcap's unit at
    vfcap_factor. Returns {selector: (winner, scores)}."""
    factors = {CPU_ID: 2, VFCAP_ID: vfcap_factor}
    records = [(CPU_ID, h, internal[h]) for h in hosts]
    if result is None:
        result = vfcap_scores(hosts, vfcap_factor)
    records += engine_read_scores(result, {UNIT: VFCAP_ID})
    return {"rank": rank_selector(factors, hosts, records), "weight": weight_selector(factors, records)}


def check_pair():
    """The issue's measurement: an internal unit at factor 2 prefers host 1, vfcap at 5 host 6."""
    h1, h6 = host_id(1), host_id(6)  # 2 and 6 free VFs (mkreports.py)
    internal = {h1: 0, h6: 20}
    raw = vfcap_scores([h1, h6], 5)
    check("scores: [host, unweighted score, unit name], 0 for the best host",
          raw == [[h1, 4, UNIT], [h6, 0, UNIT]], repr(raw))
    check("scores: the factor is not applied by vfcap (factor 5 answers as factor 1)",
          raw == vfcap_scores([h1, h6], 1), repr(raw))
    got = select([h1, h6], internal, 5, raw)
    check("RankSelector: vfcap's factor 5 beats the internal unit's 2: host 6 wins",
          got["rank"][0] == h6, repr(got["rank"]))
    check("RankSelector: at factor 1 the internal unit's 2 wins: host 1",
          select([h1, h6], internal, 1)["rank"][0] == h1, repr(select([h1, h6], internal, 1)["rank"]))
    # the weighting selector sums factor x weight: host 1 has 5 x 4 = 20, host 6 2 x 20 = 40
    w = got["weight"]
    check("BasicWeighting: factor applied once: host 1 at 5 x 4 = 20, host 6 at 2 x 20 = 40, host 1 wins",
          w[1] == {h1: 20, h6: 40} and w[0] == h1, repr(w))
    twice = [[h, s * 5, n] for h, s, n in raw]
    check("BasicWeighting: pre-multiplied scores would win host 6 (what 'applied twice' looks like)",
          select([h1, h6], internal, 5, twice)["weight"][0] == h6)
    unnamed = [[h, s * 5] for h, s, _ in raw]
    check("RankSelector: unnamed pre-multiplied pairs (the old answer) lose the factor: host 1",
          select([h1, h6], internal, 5, unnamed)["rank"][0] == h1)


def check_ten():
    """Ten hosts, the internal unit packing (host 1 first, then fewer free VFs first), vfcap
    spreading. A rank is worth its factor whatever the gap in weights behind it."""
    hosts = [host_id(i) for i in range(10)]
    free = [i % 7 + i % 3 for i in range(10)]  # mkreports.py
    internal = dict((h, 0 if i == 1 else 10 * free[i] + 1) for i, h in enumerate(hosts))
    got = select(hosts, internal, 5)
    check("10 hosts, RankSelector: vfcap at 5 picks the host with the most free VFs (5) over host 1",
          got["rank"][0] == host_id(5), repr(got["rank"]))
    got = select(hosts, internal, 1)
    check("10 hosts, RankSelector: vfcap at 1 yields to the internal unit at 2 (host 1, 21 to 16)",
          got["rank"][0] == host_id(1), repr(got["rank"]))


def plugin_scores(hosts):
    code = ("import sys; sys.path.insert(0, 'filter/ovirt-scheduler-proxy'); import vfcap_filter as v\n"
            "v.vfcap_vf_headroom().do_score(sys.argv[1].split(','), 'vm', {'vf_demand': '1'})")
    env = dict(os.environ, VFCAP_FILTER=PLUGIN[0], VFCAP_CONFIG=PLUGIN[1])
    out = subprocess.run([sys.executable, "-c", code, ",".join(hosts)], env=env, capture_output=True,
                         text=True, check=True).stdout
    return ast.literal_eval(out)


def check_plugin():
    """Through the legacy proxy: the plugin prints unweighted scores, the proxy multiplies by the
    weight and sends [host, sum] pairs, which the engine records under no unit at factor 1."""
    h1, h6 = host_id(1), host_id(6)
    scores = plugin_scores([h1, h6])
    check("plugin: do_score prints unweighted scores", scores == [(h1, 4), (h6, 0)], repr(scores))
    proxied = [[h, 5 * s] for h, s in scores]  # aggregate_score_results, one unit at weight 5
    got = select([h1, h6], {h1: 0, h6: 20}, 5, proxied)
    check("plugin via proxy, BasicWeighting: the weight applied once, by the proxy (host 1 at 20 wins)",
          got["weight"] == (h1, {h1: 20, h6: 40}), repr(got["weight"]))


def main():
    for f in (check_pair, check_ten) + ((check_plugin,) if PLUGIN else ()):
        try:
            f()
        except Exception as e:  # noqa: BLE001 - report and go on
            check(f.__name__, False, repr(e))


if __name__ == "__main__":
    main()
    sys.exit(0 if results and all(results) else 1)
