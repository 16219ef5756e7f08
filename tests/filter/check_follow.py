#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The filter following 100 reporters (tests/filter/follow-reporters.py, every 10th without
long-poll) that change, die and come back: verdicts of runFilters and the filter's /metrics.

usage: check_follow.py FILTER_URL REPORTERS_PORT N

The service runs with cache_max_age 2 and fetch_backoff_max 2 on the real clock. Checks: after
one call, every host but the no-long-poll ones is followed and those fell back; a change on a
followed reporter shows in the verdicts through its long-poll, with no fetch; a change on a
fallback host shows too (fetched per cache_max_age); reporters killed are judged missing
(on_missing=reject) and, revived with a new report, pass again and are followed again.
Conditions are waited for up to HANG_S (a hang bound, not a speed limit). Prints PASS/FAIL lines.
"""
import json
import sys
import time
import urllib.request
import xmlrpc.client

URL, PORT, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
HANG_S = 60
HOSTS = ["127.1.%d.%d" % (i // 250, i % 250 + 1) for i in range(N)]
NOWAIT = [h for i, h in enumerate(HOSTS) if i % 10 == 9]
FOLLOWED = [h for h in HOSTS if h not in NOWAIT]
results = []


def check(name, ok, why=""):
    results.append(ok)
    print(("PASS filter: follow: %s" if ok else "FAIL filter: follow: %s: " + why) % name, flush=True)


def passed():
    r = xmlrpc.client.ServerProxy(URL).runFilters(["vfcap_vf_capacity"], HOSTS, "vm",
                                                    {"vf_demand": "2", "max_report_age": "0"})
    return set(r["result"])


def metrics():
    out = {}
    for line in urllib.request.urlopen(URL + "metrics", timeout=HANG_S).read().decode().splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def control(what, host, **q):
    qs = "&".join(["host=" + host] + ["%s=%s" % kv for kv in q.items()])
    urllib.request.urlopen("http://127.0.0.1:%d/%s?%s" % (PORT, what, qs), timeout=HANG_S).read()


def until(cond):
    end = time.monotonic() + HANG_S
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    return cond()


# 1 while a long-poll is outstanding: a fallback host shows 1 for the moment its retry (after
# fetch_backoff_max) is in flight, so a check of 0 waits for it
def following(h):
    return metrics().get('vfcap_filter_host_following{host="%s"}' % h)


def main():
    first = passed()
    check("the first call: every host answered, none has 2 free VFs", first == set(), repr(sorted(first)[:3]))
    m = until(lambda: (lambda m: m if m.get("vfcap_filter_hosts_following") == len(FOLLOWED) else None)(metrics()))
    m = m or metrics()
    check("%d of %d hosts followed, the %d without long-poll fell back" % (len(FOLLOWED), N, len(NOWAIT)),
          m.get("vfcap_filter_hosts_following") == len(FOLLOWED)
          and m.get("vfcap_filter_follow_fallbacks_total", 0) >= len(NOWAIT)
          and until(lambda: all(following(h) == 0 for h in NOWAIT[:3])) and following(FOLLOWED[0]) == 1,
          "following %r, fallbacks %r" % (m.get("vfcap_filter_hosts_following"),
                                          m.get("vfcap_filter_follow_fallbacks_total")))
    fetched = m.get('vfcap_filter_report_fetches_total{outcome="ok"}', 0)

    changed = FOLLOWED[:30]
    for h in changed:
        control("set", h, free=3)
    got = until(lambda: (lambda p: p if p == set(changed) else None)(passed()))
    m = metrics()
    check("30 reporters changed: runFilters passes exactly them", got == set(changed),
          "passed %d" % len(got or ()))
    check("the changes came by long-poll (>= 30 answered 200)",
          m.get('vfcap_filter_report_polls_total{outcome="changed"}', 0) >= 30, repr(m.get('vfcap_filter_report_polls_total{outcome="changed"}')))
    # fetches_total{ok} counts only fetches: the fallback hosts' 304s are not_modified
    check("no fetch answered 200 for them: only the fallback hosts are fetched",
          m.get('vfcap_filter_report_fetches_total{outcome="ok"}', 0) == fetched,
          "ok fetches %r -> %r" % (fetched, m.get('vfcap_filter_report_fetches_total{outcome="ok"}')))

    control("set", NOWAIT[0], free=4)
    got = until(lambda: (lambda p: p if NOWAIT[0] in p else None)(passed()))
    check("a reporter without long-poll: its change shows too (fetched per cache_max_age)",
          got and NOWAIT[0] in got and until(lambda: following(NOWAIT[0]) == 0))

    dead = FOLLOWED[20:40]  # 10 changed, 10 not
    for h in dead:
        control("kill", h)
    got = until(lambda: (lambda p: p if not p & set(dead) else None)(passed()))
    m = metrics()
    check("20 reporters killed: judged missing (on_missing=reject), the others' verdicts unchanged",
          got is not None and got == (set(changed) - set(dead)) | {NOWAIT[0]},
          "passed %r" % (sorted(got or ())[:5],))
    check("their long-polls failed and they are no longer followed",
          m.get('vfcap_filter_report_polls_total{outcome="failed"}', 0) >= 20
          and m.get("vfcap_filter_hosts_following", 0) <= len(FOLLOWED) - 20,
          "failed %r, following %r" % (m.get('vfcap_filter_report_polls_total{outcome="failed"}'),
                                       m.get("vfcap_filter_hosts_following")))

    for h in dead:
        control("set", h, free=5)
        control("revive", h)
    want = set(changed) | set(dead) | {NOWAIT[0]}
    got = until(lambda: (lambda p: p if p == want else None)(passed()))
    check("revived with a new report: they pass again", got == want, "passed %d of %d" % (len(got or ()), len(want)))
    m = until(lambda: (lambda m: m if m.get("vfcap_filter_hosts_following") == len(FOLLOWED) else None)(metrics()))
    check("and are followed again", m is not None, repr(metrics().get("vfcap_filter_hosts_following")))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
