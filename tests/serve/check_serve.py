#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Drive a running `vfcap-report serve` with raw HTTP(S) (http.client, ssl).

usage: check_serve.py http URL ONESHOT_JSON OUTDIR
       check_serve.py interval URL SECONDS
       check_serve.py slow URL PID LOG HOLD
       check_serve.py down URL ONESHOT_JSON [LABEL]
       check_serve.py nosysfs URL
       check_serve.py sysfs URL before|gone|back OUTDIR
       check_serve.py tls URL CA GOOD_CERT GOOD_KEY OTHER_CERT OTHER_KEY
       check_serve.py prometheus PROMETHEUS_URL
Prints one "PASS name" or "FAIL name: why" line per check (tests/serve.sh counts them).
"""
import http.client
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request


# How long a check waits for what must come before it calls it a hang; not a speed limit.
HANG_S = 60


def check(name, ok, why=""):
    print("PASS %s" % name if ok else "FAIL %s: %s" % (name, why), flush=True)


def request(url, method="GET", path="/", headers=None, context=None, body=None, timeout=10):
    """(status, headers dict with lower-case names, body bytes)"""
    u = urllib.parse.urlparse(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def metric(text, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def gathers(url):
    return metric(request(url, path="/metrics")[2].decode(), "vfcap_gathers_total")


def burst(url, n=50, path="/v1/report"):
    """n requests at once, each on its own connection; returns their statuses and the seconds"""
    statuses, start = [], time.monotonic()
    go = threading.Barrier(n)

    def one():
        go.wait()
        try:
            statuses.append(request(url, path=path)[0])
        except OSError as e:
            statuses.append(repr(e))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, time.monotonic() - start


def check_http(url, oneshot, outdir):
    want = open(oneshot, "rb").read()
    st, h, body = request(url, path="/v1/report")
    open(outdir + "/report.json", "wb").write(body)
    check("GET /v1/report: 200, the bytes of --format json", st == 200 and body == want,
          "status %s, %d bytes vs %d" % (st, len(body), len(want)))
    check("GET /v1/report: Content-Type application/json", h.get("content-type") == "application/json",
          h.get("content-type"))
    etag = h.get("etag", "")
    check("GET /v1/report: a strong ETag", re.fullmatch(r'"[0-9a-f]{32}"', etag) is not None, etag)
    st2, h2, _ = request(url, path="/v1/report")
    check("ETag stable while the report is the same", h2.get("etag") == etag, "%s vs %s" % (h2.get("etag"), etag))
    for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
        st, h, body = request(url, path="/v1/report", headers={"If-None-Match": inm})
        check("If-None-Match: %s -> 304, no body, the ETag" % inm,
              st == 304 and body == b"" and h.get("etag") == etag, "status %s, %d bytes" % (st, len(body)))
    st, h, body = request(url, path="/v1/report", headers={"If-None-Match": '"0123"'})
    check("If-None-Match with another tag -> 200", st == 200 and body == want, "status %s" % st)
    st, h, body = request(url, "HEAD", "/v1/report")
    check("HEAD /v1/report: 200, no body, Content-Length of the report, the ETag",
          st == 200 and body == b"" and h.get("content-length") == str(len(want)) and h.get("etag") == etag,
          "status %s, headers %s" % (st, h))
    for method in ("POST", "PUT", "DELETE"):
        st, h, _ = request(url, method, "/v1/report", body=b"x=1")
        check("%s -> 405 with Allow: GET, HEAD" % method, st == 405 and h.get("allow") == "GET, HEAD",
              "status %s, Allow %s" % (st, h.get("allow")))
    st, _, _ = request(url, path="/nope")
    check("GET /nope -> 404", st == 404, "status %s" % st)
    st, h, body = request(url, path="/healthz")
    check("GET /healthz -> 200 ok", st == 200 and body == b"ok\n", "status %s, %r" % (st, body))
    st, h, body = request(url, path="/metrics")
    open(outdir + "/metrics.prom", "wb").write(body)
    check("GET /metrics: 200, Content-Type text/plain; version=0.0.4",
          st == 200 and h.get("content-type") == "text/plain; version=0.0.4; charset=utf-8",
          "status %s, %s" % (st, h.get("content-type")))
    text = body.decode()
    check("/metrics: vfcap_report_age_seconds, vfcap_gathers_total, vfcap_scrapes_total",
          all(metric(text, n) is not None for n in
              ("vfcap_report_age_seconds", "vfcap_gathers_total", "vfcap_scrapes_total")), text[-600:])
    check("/metrics: 54 free VFs on ens1f0",
          re.search(r'^vfcap_pf_free_vfs\{pf="ens1f0",[^}]*\} 54$', text, re.M) is not None, "")
    # keep-alive: Prometheus scrapes over one connection
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    ok = True
    for path in ("/metrics", "/v1/report", "/healthz"):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        ok = ok and r.status == 200 and not r.will_close
    conn.close()
    check("three requests over one kept-alive connection", ok, "")


def check_interval(url, seconds):
    """A burst of 50 causes at most one gather; after the interval, one more. Only a request
    starts a gather (and waits for it, so its reading of vfcap_gathers_total counts it), and
    only `seconds` after the last one started: the requests made over W seconds start at most
    1 + W // seconds. W is taken from the burst's start to the answer of the reading after it,
    so that however slow the machine, the bound counts every request that could gather."""
    g0 = gathers(url)
    t = time.monotonic()
    statuses, took = burst(url)
    g1 = gathers(url)
    allowed = 1 + int((time.monotonic() - t) // seconds)
    check("burst of 50 at once: all 200", statuses == [200] * 50, repr(sorted(set(map(str, statuses)))))
    check("burst of 50: at most one gather (%s -> %s in %.2f s)" % (g0, g1, took),
          g0 is not None and g1 is not None and g1 - g0 <= allowed, "at most %d allowed" % allowed)
    time.sleep(seconds + 0.2)  # the last gather began before g1 was answered: the report is old now
    t = time.monotonic()
    statuses, took = burst(url)
    g2 = gathers(url)
    allowed = 1 + int((time.monotonic() - t) // seconds)
    check("after the interval a burst of 50 gathers again, once (%s -> %s in %.2f s)" % (g1, g2, took),
          g2 is not None and 1 <= g2 - g1 <= allowed and statuses == [200] * 50,
          "%s, at most %d allowed" % (repr(set(map(str, statuses))), allowed))


HUP_LINE = "SIGHUP: the next request reads the host again"


def sighup(pid, log):
    """SIGHUP the service and wait until its log says so: the next request gathers."""
    n = open(log).read().count(HUP_LINE)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + HANG_S
    while open(log).read().count(HUP_LINE) <= n:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def check_slow(url, pid, log, hold):
    """Every gather takes 2 s (slow-netlink.py), and more while the file HOLD exists: the request
    that gathers waits for it, the others get the previous report at once. The gather is held
    until 19 of 20 requests are answered, so that "at once" is an order, not a time: they were
    answered while it could not have ended. SIGHUP makes the next request gather; the interval
    is an hour, so that reading vfcap_gathers_total before and after does not gather itself."""
    g0 = gathers(url)
    open(hold, "w").close()
    hup = sighup(int(pid), log)
    done, changed = [], threading.Condition()
    go = threading.Barrier(20)

    def one():
        go.wait()
        t = time.monotonic()
        try:
            st, h, body = request(url, path="/v1/report", timeout=2 * HANG_S)
        except OSError as e:
            st, body = repr(e), b""
        with changed:
            done.append((time.monotonic() - t, st, body))
            changed.notify_all()

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    with changed:
        changed.wait_for(lambda: len(done) >= 19, HANG_S)
        held = len(done)
    os.remove(hold)  # the gather ends now (2 s after it began, if that is later)
    for t in threads:
        t.join()
    times = "seconds: " + " ".join("%.2f" % t for t, _, _ in done)
    check("slow gather: while it is held, 19 requests of 20 get the previous report, 1 waits for it",
          hup and held == 19, "%s; %d answered while held; %s" % ("SIGHUP seen" if hup else "no SIGHUP line", held, times))
    check("slow gather: the one that waits is answered when it ends (%s)" % times,
          len(done) == 20 and held < 20, "%d answered" % len(done))
    check("slow gather: all 20 the same report, 200",
          len({b for _, _, b in done}) == 1 and {s for _, s, _ in done} == {200}, times)
    g1 = gathers(url)
    check("slow gather: one gather (%s -> %s)" % (g0, g1), g0 is not None and g1 == g0 + 1, "")


def check_down(url, oneshot, label="libvirt down"):
    st, h, body = request(url, path="/healthz")
    check(label + ": /healthz 503 naming libvirt",
          st == 503 and body.startswith(b"libvirt: ") and b"nonexistent" in body, "status %s, %r" % (st, body))
    st, h, body = request(url, path="/v1/report")
    want = open(oneshot, "rb").read()
    check(label + ": /v1/report 200, the one-shot report", st == 200 and body == want,
          "status %s, %d bytes vs %d" % (st, len(body), len(want)))
    try:
        r = json.loads(body)
        # ens1f1 has no VF enabled: nothing there can be unknown
        free = [(p["name"], p["free"]) for p in r["pfs"]] + [("totals", r["totals"]["free"])]
        ok = free == [("ens1f0", None), ("ens1f1", 0), ("totals", None)] and r["errors"][0]["source"] == "libvirt"
    except (ValueError, KeyError, IndexError) as e:
        ok, free = False, repr(e)
    check(label + ": free is null on ens1f0 and in the totals, the error listed", ok, free)
    st, h, body = request(url, path="/metrics")
    text = body.decode()
    check(label + ": /metrics 200, vfcap_read_errors{source=\"libvirt\"} 1, no unknown free series",
          st == 200 and metric(text, 'vfcap_read_errors{source="libvirt"}') == 1 and
          '\nvfcap_pf_free_vfs{pf="ens1f0"' not in text and "\nvfcap_host_free_vfs " not in text, "status %s" % st)


def check_nosysfs(url):
    for path in ("/healthz", "/v1/report", "/metrics"):
        st, h, body = request(url, path=path)
        check("no sysfs from the start: %s 503 with the reason" % path,
              st == 503 and body.startswith(b"sysfs: cannot read /nonexistent/class/net: No such file"),
              "status %s, %r" % (st, body))


def check_sysfs(url, phase, outdir):
    """sysfs goes away while serving, and comes back: the last report stays served meanwhile"""
    st, h, body = request(url, path="/healthz")
    if phase == "before":
        st2, h2, report = request(url, path="/v1/report")
        open(outdir + "/before.json", "wb").write(report)
        open(outdir + "/before.etag", "w").write(h2.get("etag", ""))
        check("sysfs there: /healthz 200, /v1/report 200", st == 200 and st2 == 200, "%s %s" % (st, st2))
    elif phase == "gone":
        check("sysfs gone: /healthz 503 with the reason", st == 503 and body.startswith(b"sysfs: cannot read "),
              "status %s, %r" % (st, body))
        st, h, report = request(url, path="/v1/report")
        check("sysfs gone: /v1/report still the last report, same ETag",
              st == 200 and report == open(outdir + "/before.json", "rb").read() and
              h.get("etag") == open(outdir + "/before.etag").read(), "status %s" % st)
        st, h, body = request(url, path="/metrics")
        age = metric(body.decode(), "vfcap_report_age_seconds")
        check("sysfs gone: /metrics 200, vfcap_report_age_seconds grows (%s)" % age,
              st == 200 and age is not None and age >= 1, "status %s" % st)
    else:
        check("sysfs back: /healthz 200", st == 200, "status %s, %r" % (st, body))


def tls_context(ca, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def tls_status(url, ctx, path="/healthz"):
    try:
        return request(url, path=path, context=ctx)[0]
    except (OSError, ssl.SSLError, http.client.HTTPException) as e:
        return repr(e)


def check_tls(url, ca, good_cert, good_key, other_cert, other_key):
    st = tls_status(url, tls_context(ca, good_cert, good_key))
    check("TLS: client certificate from tls_client_ca -> 200 /healthz", st == 200, st)
    st, h, body = request(url, path="/v1/report", context=tls_context(ca, good_cert, good_key))
    check("TLS: client certificate from tls_client_ca -> 200 /v1/report", st == 200 and body.startswith(b"{"),
          "status %s" % st)
    st = tls_status(url, tls_context(ca))
    check("TLS: no client certificate -> 403", st == 403, st)
    st = tls_status(url, tls_context(ca, other_cert, other_key), "/v1/report")
    check("TLS: client certificate from another CA -> 403", st == 403, st)
    plain = url.replace("https://", "http://")
    try:
        st = request(plain, path="/healthz")[0]
    except (OSError, http.client.HTTPException) as e:
        st = repr(e)
    check("TLS: plain HTTP to the TLS port fails", not isinstance(st, int), st)
    # the server's certificate is checked by name too (subjectAltName IP:127.0.0.1)
    ctx = tls_context(ca, good_cert, good_key)
    u = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
            with ctx.wrap_socket(sock, server_hostname="127.0.0.2"):
                st = "handshake passed"
    except ssl.SSLCertVerificationError:
        st = "refused"
    check("TLS: the server certificate is for 127.0.0.1 only (the client's check works)", st == "refused", st)


def check_prometheus(purl):
    """The series a real Prometheus scraped from the service."""
    deadline, res = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        try:
            q = urllib.request.urlopen(purl + "/api/v1/query?query=vfcap_pf_free_vfs", timeout=5)
            res = json.load(q)["data"]["result"]
        except (OSError, ValueError, KeyError):
            res = []
        if len(res) >= 2:
            break
        time.sleep(0.5)
    free = {r["metric"].get("pf"): r["value"][1] for r in res}
    check("prometheus: vfcap_pf_free_vfs scraped: ens1f0 54, ens1f1 0", free == {"ens1f0": "54", "ens1f1": "0"},
          repr(res))
    labels = res[0]["metric"] if res else {}
    check("prometheus: the series has the job and PF labels",
          labels.get("job") == "vfcap" and labels.get("pci_address") and labels.get("driver") == "ixgbe", repr(labels))
    q = urllib.request.urlopen(purl + "/api/v1/query?query=up%7Bjob%3D%22vfcap%22%7D", timeout=5)
    up = json.load(q)["data"]["result"]
    check("prometheus: up{job=\"vfcap\"} is 1", [r["value"][1] for r in up] == ["1"], repr(up))
    q = urllib.request.urlopen(purl + "/api/v1/targets", timeout=5)
    targets = json.load(q)["data"]["activeTargets"]
    check("prometheus: the target is healthy, no scrape error",
          [(t["health"], t["lastError"]) for t in targets] == [("up", "")], repr(targets))


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "http":
        check_http(*args)
    elif what == "interval":
        check_interval(args[0], float(args[1]))
    elif what == "slow":
        check_slow(*args)
    elif what == "down":
        check_down(*args)
    elif what == "nosysfs":
        check_nosysfs(*args)
    elif what == "sysfs":
        check_sysfs(*args)
    elif what == "tls":
        check_tls(*args)
    elif what == "prometheus":
        check_prometheus(*args)
    else:
        sys.exit("unknown check %s" % what)


main()
