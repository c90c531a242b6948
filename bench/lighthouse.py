"""Lighthouse on the bank as a phone sees it (the performance issue's front-end figures).

Starts the bank (gunicorn, as the e2e tests start it: `e2e/server.py`'s LiveServer) on a fresh, migrated SQLite or
PostgreSQL database with the demo seed, logs in as the demo resident hanako over HTTP, then runs Lighthouse 12.2.3
(pinned in package.json, run from node_modules) in Debian Chromium, mobile form factor (Lighthouse's default: a
Moto G Power, simulated slow 4G and 4× CPU slowdown), on

- the landing page (`/` logged out), and
- the home feed (`/` logged in as hanako; the session cookie goes in Lighthouse's `--extra-headers`).

Figures, each against the issue's goal: performance ≥ 95, accessibility 100, best practices ≥ 95 per page; the
first load's JS + CSS ≤ 60 KB as transferred (the `network-requests` audit's `transferSize` of Script and Stylesheet
requests: what went over the wire, compressed or not); the app installable (Chromium's
`Page.getInstallabilityErrors` empty, in a persistent Playwright context on the landing page once its service worker
is ready, as e2e/test_pwa.py does). It also says whether the scripts and stylesheets were served compressed (and what
they would weigh gzipped), and lists every failing accessibility and best-practices audit with its elements.

    .venv/bin/python bench/lighthouse.py                       # SQLite
    .venv/bin/python bench/lighthouse.py --database-url URL    # a fresh database made on that PostgreSQL server
    .venv/bin/python bench/lighthouse.py --keep                # keep the work folder (gunicorn's log)

Prints one line per figure with PASS/FAIL, writes bench/results/lighthouse-DATE.json (and the two Lighthouse
reports beside it, lighthouse-DATE-landing.json / -home.json). Exits 0 whatever the figures (1 if it could not
measure). Scores depend on the machine's load: Lighthouse simulates the phone's network and CPU from a trace
recorded on this CPU, so a busy machine gives lower performance scores (the run records the load average).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.demo.seed import DEMO_RESIDENTS  # noqa: E402
from e2e.server import LiveServer  # noqa: E402
from tests.database import drop_fresh_database, make_fresh_database  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_VERSION = "12.2.3"
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE_CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
# As e2e/conftest.py launches it.
PLAYWRIGHT_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run"]
CATEGORIES = ("performance", "accessibility", "best-practices")
GOALS = {"performance": 95, "accessibility": 100, "best-practices": 95}  # scores out of 100, at least
FIRST_LOAD_GOAL_KB = 60
RESULTS = ROOT / "bench" / "results"
ATTEMPTS = 3


def log_in(base_url: str, email: str, password: str) -> dict[str, str]:
    """A password login over HTTP (GET /login for the CSRF token, POST it); returns the session's cookies."""
    import requests

    with requests.Session() as http:
        form = http.get(f"{base_url}/login", timeout=30)
        form.raise_for_status()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
        if token is None:
            raise RuntimeError("no csrf_token on /login")
        answer = http.post(f"{base_url}/login", data={"csrf_token": token.group(1), "email": email,
                                                      "password": password, "next": ""},
                           allow_redirects=False, timeout=30)
        if answer.status_code != 303:
            raise RuntimeError(f"login as {email} answered {answer.status_code}, not 303")
        cookies = {cookie.name: cookie.value for cookie in http.cookies}
        home = requests.get(f"{base_url}/", headers={"Cookie": cookie_header(cookies)}, allow_redirects=False,
                            timeout=30)
        if home.status_code != 200 or 'id="welcome-title"' not in home.text:  # templates/home/index.html
            raise RuntimeError(f"logged in, / answered {home.status_code}: not the home feed")
        return cookies


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def run_lighthouse(url: str, out: Path, extra_headers: dict[str, str] | None) -> dict[str, Any]:
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"{LIGHTHOUSE.relative_to(ROOT)} is missing: `npm ci` (make install) installs it")
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={LIGHTHOUSE_CHROME_FLAGS}"]
    if extra_headers:
        command.append(f"--extra-headers={json.dumps(extra_headers)}")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    failure = ""
    # Lighthouse sometimes loses the trace on a busy machine (NO_NAVSTART, NO_FCP): such a run is retried.
    for attempt in range(1, ATTEMPTS + 1):
        out.unlink(missing_ok=True)
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        report = json.loads(out.read_text()) if out.exists() else {}
        if result.returncode == 0 and report and not report.get("runtimeError"):
            return report
        failure = (f"lighthouse on {url} failed ({result.returncode}): "
                   f"{report.get('runtimeError') or result.stderr[-3000:]}")
        print(f"  attempt {attempt}: {failure.splitlines()[-1][:200]}", flush=True)
    raise RuntimeError(failure)


def failing_audits(report: dict[str, Any], category: str) -> list[dict[str, Any]]:
    """The category's scored audits below 1 (for performance: the weighted ones), with the elements they name."""
    failing = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight", 0) == 0 or audit.get("score") is None or audit["score"] >= 1:
            continue
        where = []
        for item in ((audit.get("details") or {}).get("items") or [])[:8]:
            node = item.get("node") or {}
            source = item.get("source") if isinstance(item.get("source"), dict) else {}
            label = (node.get("selector") or item.get("url") or source.get("url") or item.get("description")
                     or str(item)[:160])
            snippet = node.get("snippet", "")
            where.append(f"{label}  {snippet[:160]}".strip() if snippet and snippet != label else str(label))
        failing.append({"id": ref["id"], "title": audit["title"], "score": audit["score"],
                        "display": audit.get("displayValue", ""), "where": where})
    return failing


def first_load(report: dict[str, Any]) -> dict[str, Any]:
    """JS + CSS of the first load from the network-requests audit; whether each was served compressed."""
    requests_ = report["audits"]["network-requests"]["details"]["items"]
    assets = [r for r in requests_ if r.get("resourceType") in ("Script", "Stylesheet")]
    rows = []
    for asset in assets:
        url = asset["url"]
        encoding, gzipped = served_encoding(url)
        rows.append({"url": url, "type": asset["resourceType"], "transfer_bytes": asset.get("transferSize", 0),
                     "resource_bytes": asset.get("resourceSize", 0), "content_encoding": encoding,
                     "gzip_bytes": gzipped})
    return {
        "assets": rows,
        "transfer_bytes": sum(r["transfer_bytes"] for r in rows),
        "resource_bytes": sum(r["resource_bytes"] for r in rows),
        "gzip_bytes": sum(r["gzip_bytes"] for r in rows),
        "all_compressed": all(r["content_encoding"] for r in rows),
    }


def served_encoding(url: str) -> tuple[str, int]:
    """The Content-Encoding the server gives a browser that accepts gzip and br, and the body's size gzipped (-9)."""
    import requests

    response = requests.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}, timeout=30)
    response.raise_for_status()
    return response.headers.get("Content-Encoding", ""), len(gzip.compress(response.content, compresslevel=9))


def installability(base_url: str, profile: Path) -> dict[str, Any]:
    """Chromium's own verdict, in a persistent profile (it judges nothing in an incognito one), as e2e/test_pwa.py."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=PLAYWRIGHT_CHROMIUM_ARGS, headless=True, base_url=base_url,
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="ja-JP", timezone_id="Asia/Tokyo")
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto("/")
            state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
            page.reload()
            controlled = page.evaluate("navigator.serviceWorker.controller !== null")
            cdp = context.new_cdp_session(page)
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            manifest = cdp.send("Page.getAppManifest")
            return {"installable": errors == [], "installability_errors": errors,
                    "manifest_url": manifest.get("url"), "manifest_errors": manifest.get("errors", []),
                    "service_worker": state, "controlled_after_reload": controlled}
        finally:
            context.close()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make the fresh database on (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (gunicorn's log, the profile)")
    args = parser.parse_args()

    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    stamp = now.strftime("%Y-%m-%d-%H%M")
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="azukari-lighthouse-"))
    load_before = os.getloadavg()
    database_url = make_fresh_database(args.database_url or "sqlite://", workdir)
    server = LiveServer(database_url, workdir)
    results: dict[str, Any] = {"date": now.isoformat(timespec="minutes"), "lighthouse": LIGHTHOUSE_VERSION}
    try:
        server.seed()
        server.start(worker=False)
        hanako = DEMO_RESIDENTS[0]
        cookies = log_in(server.url, hanako.email, hanako.password)
        pages = {
            "landing": (f"{server.url}/", None),
            "home": (f"{server.url}/", {"Cookie": cookie_header(cookies)}),
        }
        results["pages"] = {}
        for name, (url, headers) in pages.items():
            out = RESULTS / f"lighthouse-{stamp}-{name}.json"
            print(f"=== lighthouse {LIGHTHOUSE_VERSION}: {name} ({url}{', logged in as ' + hanako.email if headers else ''})",
                  flush=True)
            started = time.perf_counter()
            report = run_lighthouse(url, out, headers)
            if name == "home" and urllib.parse.urlparse(report["finalDisplayedUrl"]).path != "/":
                raise RuntimeError(f"the home feed run ended on {report['finalDisplayedUrl']}, not /")
            results["pages"][name] = {
                "url": url, "final_url": report["finalDisplayedUrl"], "report": str(out.relative_to(ROOT)),
                "seconds": round(time.perf_counter() - started, 1),
                "scores": {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES},
                "metrics": {k: report["audits"][k].get("displayValue", "") for k in (
                    "first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                    "cumulative-layout-shift", "speed-index")},
                "first_load": first_load(report),
                "failing": {c: failing_audits(report, c) for c in CATEGORIES},
                "user_agent": report["environment"]["hostUserAgent"],
                "benchmark_index": report["environment"].get("benchmarkIndex"),
            }
        print("=== installability (Playwright, persistent profile, CDP Page.getInstallabilityErrors)", flush=True)
        results["installability"] = installability(server.url, workdir / "profile")
    except Exception as error:  # noqa: BLE001 — say why, exit 1
        print(f"could not measure: {error}\n(gunicorn's log: {workdir / 'web.log'})", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        server.stop()
        drop_fresh_database(database_url)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    load_after = os.getloadavg()
    results["machine"] = {"cores": os.cpu_count(), "machine": platform.machine(), "chromium": chromium_version(),
                          "load_average_before": round(load_before[0], 2), "load_average_after": round(load_after[0], 2)}
    results["database"] = "postgresql" if args.database_url else "sqlite"
    results["goals"] = goals = []
    print()
    for name, page in results["pages"].items():
        for category in CATEGORIES:
            score = page["scores"][category]
            ok = score >= GOALS[category]
            goals.append({"figure": f"{name} {category}", "value": score, "goal": f">= {GOALS[category]}", "pass": ok})
            print(f"{name:8} {category:15} {score:5}      goal >= {GOALS[category]:<4} {verdict(ok)}")
        load = page["first_load"]
        kb = load["transfer_bytes"] / 1000
        ok = kb <= FIRST_LOAD_GOAL_KB
        goals.append({"figure": f"{name} first-load JS + CSS KB transferred", "value": round(kb, 1),
                      "goal": f"<= {FIRST_LOAD_GOAL_KB}", "pass": ok})
        served = "compressed" if load["all_compressed"] else "NOT compressed"
        print(f"{name:8} {'JS + CSS KB':15} {kb:5.1f}      goal <= {FIRST_LOAD_GOAL_KB:<4} {verdict(ok)}"
              f"   ({len(load['assets'])} files, served {served}; {load['resource_bytes'] / 1000:.1f} KB raw, "
              f"{load['gzip_bytes'] / 1000:.1f} KB gzipped)")
    install = results["installability"]
    goals.append({"figure": "installable", "value": install["installable"], "goal": "no installability errors",
                  "pass": install["installable"]})
    print(f"{'app':8} {'installable':15} {'yes' if install['installable'] else 'no':>5}      goal yes     "
          f"{verdict(install['installable'])}"
          + ("" if install["installable"] else f"   {install['installability_errors']}"))
    for name, page in results["pages"].items():
        for category in ("accessibility", "best-practices"):
            for audit in page["failing"][category]:
                print(f"  {name} {category} failing: {audit['id']} ({audit['title']}) {audit['display']}")
                for where in audit["where"]:
                    print(f"      {where}")
        print(f"  {name} metrics: " + ", ".join(f"{k} {v}" for k, v in page["metrics"].items()))
    print(f"load average {results['machine']['load_average_before']} -> {results['machine']['load_average_after']} "
          f"on {os.cpu_count()} cores (performance scores drop when the machine is busy)")
    out = RESULTS / f"lighthouse-{stamp}.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"written: {out.relative_to(ROOT)}")
    return 0


def chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
