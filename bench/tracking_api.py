#!/usr/bin/env python3
"""Helpers of bench/tracking.sh and bench/recovery.sh (BENCHMARKS.md, "Tracking at scale").

Only the public HTTP API is used, so that the same commands measure the tracking read side before
and after it is rewritten:

  harvest BASE COUNT OUT [--timeout S] [--shuffle]
      log in as the demo account (demo / demo-password) and page through GET /api/me/packages
      until COUNT tracking numbers are known; write them to OUT, one a line. The demo's simulated
      Amazon names the demo account on about half of its pickups, so a run must ship about twice
      COUNT packages. Numbers are collected in a set: the list is newest first, so paging while
      packages arrive sees some twice but skips none.
  delivered BASE
      print the package counts of GET /metrics (miniups_packages by status) as JSON.
  status PID
      print VmHWM and VmRSS of a process (kB) as JSON.
  touch BASE FILE
      GET /api/packages/{n} once for each tracking number of FILE (8 at a time); print JSON with
      the count of 200 answers and the seconds taken.
  histogram-diff BEFORE AFTER COUNT OUT.json
      live heap of two `jcmd PID GC.class_histogram` outputs, and the difference per COUNT.
  tracking-report DIR OUT.json
      combine the case files bench/tracking.sh left in DIR into OUT.json; print a Markdown table.
  recovery-report DIR OUT.json
      the same for bench/recovery.sh.
"""
import http.client
import json
import os
import random
import re
import sys
import time
import urllib.parse


def connect(base):
    url = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def request(conn, method, path, body=None, headers=None):
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def login(conn, deadline):
    while True:
        try:
            status, body = request(conn, "POST", "/api/sessions",
                                   {"username": "demo", "password": "demo-password"},
                                   {"X-Requested-With": "mini-ups"})  # the CSRF guard of cookie-session writes
            if status == 200:
                return json.loads(body)["token"]
            last = f"HTTP {status}: {body[:200]!r}"
            if status not in (401, 429, 503):  # 401 until the demo account exists (429: too many tries)
                deadline = 0
        except (OSError, http.client.HTTPException) as e:
            last = repr(e)
        if time.time() > deadline:
            sys.exit(f"harvest: could not log in as demo ({last})")
        time.sleep(1)  # at most 5 failed logins a minute count before 429


def harvest(base, count, out, timeout, shuffle):
    deadline = time.time() + timeout
    conn = connect(base)
    token = login(conn, deadline)
    auth = {"Authorization": "Bearer " + token}
    known = {}
    size = 100
    while True:
        page = 0
        total = None
        while total is None or page * size < total:
            status, body = request(conn, "GET", f"/api/me/packages?page={page}&size={size}", headers=auth)
            if status != 200:
                sys.exit(f"harvest: GET /api/me/packages answered {status}: {body[:200]!r}")
            answer = json.loads(body)
            total = answer["total"]
            for item in answer["items"]:
                known.setdefault(item["trackingNumber"], item["shipId"])
            if len(known) >= count:
                break
            page += 1
        if len(known) >= count:
            break
        if time.time() > deadline:
            sys.exit(f"harvest: only {len(known)} of {count} tracking numbers known after {timeout} s")
        time.sleep(1)
    # The oldest COUNT (lowest shipment ids), so that a run takes the same ones however late it looked.
    numbers = sorted(known, key=lambda n: known[n])[:count]
    if shuffle:
        random.Random(1).shuffle(numbers)
    with open(out, "w") as f:
        f.write("\n".join(numbers) + "\n")
    print(f"harvest: {len(numbers)} tracking numbers in {out}")


def package_counts(base):
    conn = connect(base)
    status, body = request(conn, "GET", "/metrics")
    counts = {}
    if status == 200:
        for m in re.finditer(r'^miniups_packages\{status="([^"]+)"[^}]*\}\s+([0-9.eE+]+)$', body.decode(), re.M):
            counts[m.group(1)] = int(float(m.group(2)))
    return counts


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key + "Kb"] = int(value.split()[0])
    return out


def touch(base, file):
    import concurrent.futures
    import threading
    numbers = [line.strip() for line in open(file) if line.strip()]
    local = threading.local()

    def one(number):
        if not hasattr(local, "conn"):
            local.conn = connect(base)
        try:
            status, _ = request(local.conn, "GET", "/api/packages/" + number)
        except (OSError, http.client.HTTPException):
            local.conn = connect(base)
            status = 0
        return status

    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, numbers))
    seconds = time.time() - start
    print(json.dumps({"touched": len(numbers), "ok": statuses.count(200), "seconds": round(seconds, 3),
                      "other": sorted(set(s for s in statuses if s != 200))}))


def histogram(path):
    classes = {}
    total = None
    for line in open(path):
        parts = line.split()
        if len(parts) >= 4 and parts[0].endswith(":"):
            classes[parts[3]] = (int(parts[1]), int(parts[2]))
        elif len(parts) == 3 and parts[0] == "Total":
            total = int(parts[2])
    return total, classes


def histogram_diff(before, after, count, out):
    count = int(count)
    total0, c0 = histogram(before)
    total1, c1 = histogram(after)
    diffs = []
    for name, (instances, size) in c1.items():
        i0, b0 = c0.get(name, (0, 0))
        diffs.append({"name": name, "bytesPerShipment": round((size - b0) / count, 1),
                      "instancesPerShipment": round((instances - i0) / count, 2)})
    diffs.sort(key=lambda d: -d["bytesPerShipment"])
    result = {"beforeBytes": total0, "afterBytes": total1, "bytesPerShipment": round((total1 - total0) / count, 1),
              "topClasses": diffs[:15]}
    save(out, result)
    print(json.dumps({k: result[k] for k in ("beforeBytes", "afterBytes", "bytesPerShipment")}))


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def ms(micros):
    return round(micros / 1000.0, 1)


def tracking_report(directory, out):
    meta = load(os.path.join(directory, "meta.json"))
    cases = []
    for name in meta["cases"]:
        case = load(os.path.join(directory, name + ".case.json"))
        run = load(os.path.join(directory, name + ".json"))
        warm = os.path.join(directory, name + ".warmup.json")
        case["run"] = run
        case["warmup"] = load(warm) if os.path.exists(warm) else None
        case["ok"] = run["errors"]["status"] == 0 and run["errors"]["timeout"] == 0 and run["errors"]["connect"] == 0
        d0, d1 = case.get("deliveredBefore"), case.get("deliveredAfter")
        if d0 is not None and d1 is not None:
            case["pipelinePackagesPerSecond"] = round((d1 - d0) / run["seconds"], 1)
        cases.append(case)
    by_name = {c["name"]: c for c in cases}

    def ratio(a, b):
        if a in by_name and b in by_name and by_name[b]["run"]["requestsPerSecond"]:
            return round(by_name[a]["run"]["requestsPerSecond"] / by_name[b]["run"]["requestsPerSecond"], 3)
        return None

    meta["ratios"] = {
        "trackingIdleOverBaselineIdle": ratio("tracking-idle", "baseline-idle"),
        "trackingBusyOverBaselineIdle": ratio("tracking-busy", "baseline-idle"),
        "trackingBusyOverBaselineBusy": ratio("tracking-busy", "baseline-busy"),
        "trackingBusyOverTrackingIdle": ratio("tracking-busy", "tracking-idle"),
    }
    meta["results"] = cases
    save(out, meta)
    print()
    print(f"Tracking throughput, {meta['date']}, commit {meta['commit']}, {meta['connections']} connections, "
          f"{meta['threads']} wrk threads, {meta['durationSeconds']} s per case after {meta['warmupSeconds']} s warm-up")
    print(f"baseline route: {meta['baselinePath']} ({meta['baselineNote']})")
    print()
    print("| case | requests/s | × baseline (idle) | p50 ms | p99 ms | max ms | non-2xx/timeouts | deliveries/s the index recorded during the case | server RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = by_name.get("baseline-idle")
    for c in cases:
        r = c["run"]
        x = round(r["requestsPerSecond"] / base["run"]["requestsPerSecond"], 2) if base else None
        lat = r["latencyMicros"]
        rss = c.get("rssKb")
        print(f"| {c['label']} | {r['requestsPerSecond']:.0f} | {x if x is not None else '—'} | {ms(lat['p50'])} | "
              f"{ms(lat['p99'])} | {ms(lat['max'])} | {r['errors']['status']}/{r['errors']['timeout']} | "
              f"{c.get('pipelinePackagesPerSecond', '—')} | {round(rss / 1024) if rss else '—'} |")
    print()
    for key, value in meta["ratios"].items():
        print(f"{key}: {value}")
    print(f"written to {out}")


def recovery_report(directory, out):
    meta = load(os.path.join(directory, "meta.json"))
    sizes = []
    for size in meta["sizes"]:
        d = os.path.join(directory, str(size))
        entry = load(os.path.join(d, "populate.json"))
        runs = []
        rep = 1
        while os.path.exists(os.path.join(d, f"run-{rep}.json")):
            runs.append(load(os.path.join(d, f"run-{rep}.json")))
            rep += 1
        entry["runs"] = runs
        prime = os.path.join(d, "prime.json")
        if os.path.exists(prime):
            entry.update(load(prime))
        heap = os.path.join(d, "heap.json")
        entry["heap"] = load(heap) if os.path.exists(heap) else None
        ok = [r for r in runs if r.get("firstTrackingMillis") is not None or size == 0]

        def median(key):
            values = sorted(r[key] for r in ok if r.get(key) is not None)
            return values[len(values) // 2] if values else None

        entry["median"] = {k: median(k) for k in ("firstHealthMillis", "firstTrackingMillis", "vmHwmKb", "vmRssKb", "stopMillis")}
        sizes.append(entry)
    meta["results"] = sizes
    save(out, meta)
    print()
    print(f"Recovery, {meta['date']}, commit {meta['commit']}: serve on the database a demo left, no World or Amazon "
          f"reachable; {meta['repetitions']} starts each, median (all runs in {out})")
    print()
    print("| delivered packages | populate s | journal rows | database MiB | index caught up, untimed start s | first /health s | first GET /api/packages/{n} 200 s | VmHWM MiB | VmRSS MiB | stop s | each run: first 200 s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for e in sizes:
        m = e["median"]

        def s(v):
            return f"{v / 1000:.2f}" if v is not None else "—"

        def mib(v):
            return f"{v / 1024:.0f}" if v is not None else "—"

        each = ", ".join(s(r.get("firstTrackingMillis")) for r in e["runs"])
        print(f"| {e['packages']} | {e['populateSeconds']:.0f} | {e.get('journalRows', '—')} | {e.get('databaseMiB', '—')} | "
              f"{e.get('indexCatchUpSeconds', '—')} | {s(m['firstHealthMillis'])} | {s(m['firstTrackingMillis'])} | {mib(m['vmHwmKb'])} | {mib(m['vmRssKb'])} | "
              f"{s(m['stopMillis'])} | {each} |")
    for e in sizes:
        h = e.get("heap")
        if h:
            print(f"\nheap, {e['packages']} delivered: {h['touched']} shipments touched: live heap {h['beforeBytes'] / 2**20:.1f} MiB -> "
                  f"{h['afterBytes'] / 2**20:.1f} MiB, {h['bytesPerShipment']:.0f} bytes per active shipment entity "
                  f"(top classes: {', '.join(c['name'] + ' ' + str(c['bytesPerShipment']) for c in h['topClasses'][:6])})")
    empty = next((e for e in sizes if e["packages"] == 0), None)
    if empty and empty["median"]["firstHealthMillis"]:
        for e in sizes:
            if e["packages"] and e["median"]["firstHealthMillis"]:
                print(f"\n{e['packages']} delivered: first /health {e['median']['firstHealthMillis'] / empty['median']['firstHealthMillis']:.2f} x "
                      f"the empty database's; first tracking 200 {e['median']['firstTrackingMillis'] / empty['median']['firstHealthMillis']:.2f} x "
                      f"the empty database's first /health; VmHWM {e['median']['vmHwmKb'] / empty['median']['vmHwmKb']:.2f} x")
    print(f"written to {out}")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    command = args[0]
    if command == "harvest":
        timeout = 600
        shuffle = "--shuffle" in args
        if "--timeout" in args:
            timeout = float(args[args.index("--timeout") + 1])
        harvest(args[1], int(args[2]), args[3], timeout, shuffle)
    elif command == "delivered":
        print(json.dumps(package_counts(args[1])))
    elif command == "status":
        print(json.dumps(proc_status(args[1])))
    elif command == "touch":
        touch(args[1], args[2])
    elif command == "histogram-diff":
        histogram_diff(args[1], args[2], args[3], args[4])
    elif command == "tracking-report":
        tracking_report(args[1], args[2])
    elif command == "recovery-report":
        recovery_report(args[1], args[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
