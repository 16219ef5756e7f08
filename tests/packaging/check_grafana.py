#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks of the Grafana dashboard (packaging/grafana/vfcap.json), for tests/packaging.sh.

usage: check_grafana.py DASHBOARD WORKDIR --filter=FILTER.prom FIXTURE.prom...

Prints one "PASS what" or "FAIL what" line per check (a failure's reasons follow, indented):
- the JSON loads, has a schemaVersion, a Prometheus datasource variable every panel and query
  uses, a host (instance) variable every reporter metric selector follows, and a filter variable
  (the vfcap-filter instances) every vfcap_filter_* and vfcap_cluster_* selector follows;
- every vfcap_* name in a query is a metric the reporter emits: the names in the fixtures'
  expected.prom files (vfcap-report --format prometheus) plus SERVE_ONLY below, the families
  only `vfcap-report serve` adds to /metrics (reporter/serve.c), and the names in FILTER.prom
  (the golden scrape of vfcap-filter's /metrics, tests/unit/metrics/scrape.prom);
- promtool parses every query (as a recording rule);
- promtool evaluates the panels' queries over the fixtures (each fixture one scrape target,
  instance=<fixture name>) and gets what this script computes from the same files: the hosts
  with no free VF, the PFs limited by netlink, the PFs with dirty or linkless free VFs, the free
  total, the report age; and the cluster
  panels over FILTER.prom (one vfcap-filter target).
"""
import json
import os
import re
import subprocess
import sys

# Families of `vfcap-report serve` that a file report has not: no fixture has them.
# vfcap_read_errors is listed too although the fixtures have it (it is part of every report).
SERVE_ONLY = {"vfcap_report_age_seconds", "vfcap_gathers_total", "vfcap_scrapes_total",
              "vfcap_slow_clients_closed_total", "vfcap_read_errors"}
JOB = "vfcap"
FILTER_JOB, FILTER_INSTANCE = "vfcap-filter", "engine"
EVAL_S = 300  # promtool's evaluation time, seconds after 0
AGE_INSTANCE, AGE = "intel64", 42  # one target also serves vfcap_report_age_seconds
# and a counter of slow clients cut, 2 more each minute from 0: over the hour to EVAL_S it rose
# by 2 * EVAL_S / 60 (starting at 0 and ending at the evaluation time, increase() does not
# extrapolate)
CUT_STEP = 2

results = []


def check(what, ok, why=""):
    """One PASS or FAIL line; a failure's reasons follow on lines indented by two spaces."""
    if ok:
        results.append("PASS " + what)
    else:
        results.append("FAIL " + what)
        results.extend("  " + line for line in str(why).splitlines() or [""])


def parse_prom(path):
    """[(name, {label: value}, float)] and the set of family names of one exposition file."""
    samples, names = [], set()
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"# TYPE (\S+) ", line)
        if m:
            names.add(m.group(1))
        if not line or line.startswith("#"):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        if not m:
            raise ValueError("%s: cannot parse %r" % (path, line))
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
        names.add(m.group(1))
    return samples, names


def series_text(name, labels):
    return "%s{%s}" % (name, ",".join('%s="%s"' % kv for kv in sorted(labels.items())))


def queries(dash):
    """(panel type, panel title, refId, expr) of every panel query."""
    for p in dash.get("panels", []):
        for t in p.get("targets", []):
            yield p.get("type"), p.get("title"), t.get("refId"), t.get("expr", "")


def concrete(expr):
    """The query as Grafana sends it with every host selected."""
    for var in ("instance", "filter"):
        expr = expr.replace("$" + var, ".*").replace("${%s}" % var, ".*")
    return expr


def is_filter_metric(name):
    return name.startswith(("vfcap_filter_", "vfcap_cluster_"))


def main():
    dash_path, work = sys.argv[1], sys.argv[2]
    filter_prom = [a[len("--filter="):] for a in sys.argv[3:] if a.startswith("--filter=")]
    proms = [a for a in sys.argv[3:] if not a.startswith("--filter=")]
    try:
        dash = json.load(open(dash_path))
    except (OSError, ValueError) as e:
        check("grafana: the dashboard is JSON", False, e)
        return
    check("grafana: the dashboard is JSON", True)

    # --- structure ---
    ok = isinstance(dash.get("schemaVersion"), int) and dash["schemaVersion"] >= 36
    check("grafana: schemaVersion %s (>= 36)" % dash.get("schemaVersion"), ok, "missing or old")
    tvars = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = tvars.get("datasource", {})
    check("grafana: a Prometheus datasource variable", ds.get("type") == "datasource" and
          ds.get("query") == "prometheus", "no variable 'datasource' of type datasource/prometheus")
    inst = tvars.get("instance", {})
    check("grafana: a host variable (instance, multi-value, All = .*)",
          inst.get("type") == "query" and inst.get("multi") and inst.get("allValue") == ".*",
          repr(inst)[:200])
    filt = tvars.get("filter", {})
    check("grafana: a vfcap-filter variable (filter, multi-value, All = .*)",
          filt.get("type") == "query" and filt.get("multi") and filt.get("allValue") == ".*",
          repr(filt)[:200])
    bad = [p.get("title") for p in dash.get("panels", [])
           if p.get("datasource", {}).get("uid") != "${datasource}" or
           any(t.get("datasource", {}).get("uid") != "${datasource}" for t in p.get("targets", []))]
    check("grafana: every panel and query uses ${datasource}", not bad, bad)
    ids = [p.get("id") for p in dash.get("panels", [])]
    check("grafana: panel ids unique", len(ids) == len(set(ids)), ids)

    # --- metric names ---
    fixtures = {}
    known = set(SERVE_ONLY)
    for path in proms:
        samples, names = parse_prom(path)
        fixtures[os.path.basename(os.path.dirname(path))] = samples
        known |= names
    filter_samples = []
    for path in filter_prom:
        filter_samples, names = parse_prom(path)
        known |= names
    check("grafana: one vfcap-filter scrape (--filter=)", len(filter_prom) == 1 and filter_samples, filter_prom)
    used = {}
    texts = [(title, expr) for _, title, _, expr in queries(dash)]
    texts += [("variable " + n, json.dumps(v.get("query"))) for n, v in tvars.items()]
    for title, text in texts:
        for name in re.findall(r"\bvfcap_[a-z0-9_]+", text):
            used.setdefault(name, set()).add(title)
    unknown = sorted(n for n in used if n not in known)
    check("grafana: the %d metric names the queries use are emitted by vfcap-report or vfcap-filter" % len(used),
          not unknown and used, "unknown: %s (in %s)" % (unknown, [sorted(used[n]) for n in unknown]))

    # every selector follows its variable: the hosts' reporters, or the filters
    loose = sorted({"%s: %s" % (title, m.group(0)) for _, title, _, expr in queries(dash)
                    for m in re.finditer(r"\bvfcap_[a-z0-9_]+(\{[^}]*\})?", expr)
                    if 'instance=~"$%s"' % ("filter" if is_filter_metric(m.group(0)) else "instance")
                    not in (m.group(1) or "")})
    check("grafana: every metric selector of a panel has instance=~\"$instance\" "
          "(vfcap_filter_*, vfcap_cluster_*: $filter)", not loose, "\n".join(loose))

    # --- promtool: syntax ---
    os.makedirs(work, exist_ok=True)
    all_q = list(queries(dash))
    rules = {"groups": [{"name": "grafana", "rules": [
        {"record": "vfcap_grafana:q%d" % i, "expr": concrete(e)} for i, (_, _, _, e) in enumerate(all_q)]}]}
    rules_path = os.path.join(work, "grafana-rules.yml")
    with open(rules_path, "w") as f:
        json.dump(rules, f, indent=1)  # YAML is a superset of JSON
    r = subprocess.run(["promtool", "check", "rules", rules_path], capture_output=True, text=True)
    check("grafana: promtool parses the %d queries" % len(all_q), r.returncode == 0,
          (r.stdout + r.stderr).strip()[-2000:])

    # --- promtool: what the panels show, over the fixtures ---
    series = []
    for inst_name, samples in sorted(fixtures.items()):
        for name, labels, value in samples:
            series.append((name, dict(labels, instance=inst_name, job=JOB), value))
    for name, labels, value in filter_samples:
        series.append((name, dict(labels, instance=FILTER_INSTANCE, job=FILTER_JOB), value))
    series.append(("vfcap_report_age_seconds", {"instance": AGE_INSTANCE, "job": JOB}, AGE))
    series.append(("vfcap_slow_clients_closed_total", {"instance": AGE_INSTANCE, "job": JOB}, "0+%dx10" % CUT_STEP))

    def by(name, inst_name=None):
        return [(l, v) for n, l, v in series if n == name and inst_name in (None, l["instance"])]

    hostname = {l["instance"]: l["hostname"] for l, _ in by("vfcap_info")}
    target = lambda i: {"instance": i, "job": JOB}

    # hosts with no free VF: PFs with free counts summing to 0, and a host total that is known
    # (vfcap_host_free_vfs is absent when a source failed) and 0
    no_free = sorted(i for i in fixtures
                     if by("vfcap_pf_free_vfs", i) and sum(v for _, v in by("vfcap_pf_free_vfs", i)) == 0
                     and [v for _, v in by("vfcap_host_free_vfs", i)] == [0])
    # PFs limited by netlink
    nl = {}
    for n in ("vfcap_pf_netlink_truncated", "vfcap_pf_netlink_listed_vfs", "vfcap_pf_netlink_num_vf"):
        for l, v in by(n):
            nl.setdefault((l["instance"], l["pf"]), {})[n] = v
    limited = sorted(k for k, d in nl.items() if d.get("vfcap_pf_netlink_truncated") == 1 or
                     ("vfcap_pf_netlink_listed_vfs" in d and "vfcap_pf_netlink_num_vf" in d and
                      d["vfcap_pf_netlink_listed_vfs"] < d["vfcap_pf_netlink_num_vf"]))
    # PFs with free VFs left dirty or without link
    marked = {(l["instance"], l["pf"]) for n in ("vfcap_pf_vfs_dirty", "vfcap_pf_vfs_no_link")
              for l, v in by(n) if v > 0}
    ts = {l["instance"]: v for l, v in by("vfcap_report_timestamp_seconds")}
    cluster = {l.get("state"): v for l, v in by("vfcap_cluster_hosts")}
    one = lambda name: sum(v for _, v in by(name))  # noqa: E731
    host_free = sorted(by("vfcap_cluster_host_free_vfs"), key=lambda lv: lv[1])[:20]

    def q(kind, title, ref="A"):
        for k, t, r_, e in all_q:
            if (k, t, r_) == (kind, title, ref):
                return concrete(e)
        raise KeyError("no %s panel %r with a query %s" % (kind, title, ref))

    # (what, query, [(result series name, labels, value)]); "" for a result without a name
    try:
        cases = [
            ("stat 'Hosts with no free VF' = %d %s" % (len(no_free), no_free),
             q("stat", "Hosts with no free VF"), [("", {}, len(no_free))]),
            ("table 'Hosts with no free VF': those hosts, with their names",
             q("table", "Hosts with no free VF"),
             [("", dict(target(i), hostname=hostname[i]), 0) for i in no_free]),
            ("stat 'PFs limited by netlink' = %d %s" % (len(limited), limited),
             q("stat", "PFs limited by netlink"), [("", {}, len(limited))]),
            ("table 'PFs limited by netlink': num_vf of those PFs",
             q("table", "PFs limited by netlink"),
             [("vfcap_pf_netlink_num_vf", l, v) for l, v in by("vfcap_pf_netlink_num_vf")
              if (l["instance"], l["pf"]) in limited]),
            ("table 'PFs with free VFs left dirty or without link': their dirty counts %s" % sorted(marked),
             q("table", "PFs with free VFs left dirty or without link"),
             [("vfcap_pf_vfs_dirty", l, v) for l, v in by("vfcap_pf_vfs_dirty") if (l["instance"], l["pf"]) in marked]),
            ("table 'PFs with free VFs left dirty or without link': their link_up",
             q("table", "PFs with free VFs left dirty or without link", "C"),
             [("vfcap_pf_link_up", l, v) for l, v in by("vfcap_pf_link_up") if (l["instance"], l["pf"]) in marked]),
            ("stat 'Free VFs' = the sum of vfcap_pf_free_vfs",
             q("stat", "Free VFs"), [("", {}, sum(v for _, v in by("vfcap_pf_free_vfs")))]),
            ("stat 'Slow clients cut (1 h)' = the counter's rise over the hour",
             q("stat", "Slow clients cut (1 h)"), [("", {}, CUT_STEP * EVAL_S // 60)]),
            ("timeseries 'Report age': the serve metric where there is one, else now - timestamp",
             q("timeseries", "Report age"),
             [("", dict(target(i), hostname=hostname[i]), AGE if i == AGE_INSTANCE else EVAL_S - ts[i])
              for i in sorted(ts)]),
            ("stat 'Cluster free VFs' = vfcap_cluster_free_vfs (%d)" % one("vfcap_cluster_free_vfs"),
             q("stat", "Cluster free VFs"), [("", {}, one("vfcap_cluster_free_vfs"))]),
            ("stat 'Hosts missing or stale' = %d" % (cluster["missing"] + cluster["stale"]),
             q("stat", "Hosts missing or stale"), [("", {}, cluster["missing"] + cluster["stale"])]),
            ("stat 'Truncated PFs (cluster)' = %d" % one("vfcap_cluster_truncated_pfs"),
             q("stat", "Truncated PFs (cluster)"), [("", {}, one("vfcap_cluster_truncated_pfs"))]),
            ("stat 'Dirty VFs (cluster)' = %d" % one("vfcap_cluster_dirty_vfs"),
             q("stat", "Dirty VFs (cluster)"), [("", {}, one("vfcap_cluster_dirty_vfs"))]),
            ("stat 'Free VFs without link (cluster)' = %d" % one("vfcap_cluster_no_link_vfs"),
             q("stat", "Free VFs without link (cluster)"), [("", {}, one("vfcap_cluster_no_link_vfs"))]),
            ("stat 'Free VFs in shared IOMMU groups (cluster)' = %d" % one("vfcap_cluster_shared_iommu_vfs"),
             q("stat", "Free VFs in shared IOMMU groups (cluster)"),
             [("", {}, one("vfcap_cluster_shared_iommu_vfs"))]),
            ("table 'Hosts without a usable report': the hosts with vfcap_cluster_host_reported 0",
             q("table", "Hosts without a usable report"),
             [("vfcap_cluster_host_reported", l, 0) for l, v in by("vfcap_cluster_host_reported") if v == 0]),
            ("table 'Hosts with the least free VFs': vfcap_cluster_host_free_vfs, lowest first",
             q("table", "Hosts with the least free VFs"),
             [("vfcap_cluster_host_free_vfs", l, v) for l, v in host_free]),
        ]
    except KeyError as e:
        check("grafana: the panels the checks evaluate exist", False, e)
        return
    for what, expr, expected in cases:
        test = {"rule_files": [], "evaluation_interval": "1m", "tests": [{
            "interval": "1m",
            "input_series": [{"series": series_text(n, l), "values": v if isinstance(v, str) else "%sx10" % repr(v)}
                             for n, l, v in series],
            "promql_expr_test": [{"expr": expr, "eval_time": "%ds" % EVAL_S, "exp_samples": [
                {"labels": series_text(n, l), "value": v} for n, l, v in expected]}]}]}
        path = os.path.join(work, "grafana-test-%d.yml" % len(results))
        with open(path, "w") as f:
            json.dump(test, f, indent=1)
        r = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True)
        check("grafana: " + what, r.returncode == 0, (r.stdout + r.stderr).strip()[-2500:])



if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failure of its own, never silence
        results.append("FAIL grafana: check_grafana.py crashed: %r" % e)
    print("\n".join(results))
