"""Remake docs/img/report.png: a real run's HTML report, photographed by headless Chromium.

    python docs/make_screenshot.py            # writes docs/img/report.png
    python docs/make_screenshot.py --keep DIR  # also keeps the run's reports in DIR

The anthropic reference server starts in this process on a free loopback port with the fault
`name-max-41` (it accepts a 41-character name), the suite runs against it as a user runs it
(`conformance run`, a subprocess), and the HTML report it writes is opened in Debian's
Chromium (/usr/bin/chromium) through Playwright. The picture shows the verdict banner and the
first failing requirement. Nothing leaves loopback: the report is opened from a file and every
request to anything but that file is refused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.reference.common import DEMO_CREDENTIAL
from conformance.reference.serving import ServerThread, provider_app

HERE = Path(__file__).resolve().parent
OUT = HERE / "img" / "report.png"
PROVIDER, FAULT = "anthropic", "name-max-41"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def run_suite(report_dir: Path) -> Path:
    """The suite against the faulty reference server; returns the HTML report's path."""
    server = ServerThread(provider_app(PROVIDER, DEMO_CREDENTIAL, fault=FAULT))
    url = server.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
        env["CONFORMANCE_CREDENTIAL"] = DEMO_CREDENTIAL
        env.pop("GITHUB_STEP_SUMMARY", None)
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance",
                "run",
                "--provider",
                PROVIDER,
                "--target-url",
                url,
                "--report-dir",
                str(report_dir),
            ],
            env=env,
            cwd=report_dir,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.stop()
    output = completed.stdout + completed.stderr
    print(next((line for line in output.splitlines() if line.startswith(f"{PROVIDER}: ")), output[-500:]))
    if completed.returncode != 1:  # the fault must be caught: NOT CONFORMANT
        sys.exit(
            f"expected exit status 1 (NOT CONFORMANT), got {completed.returncode}:\n"
            + completed.stdout[-2000:]
            + completed.stderr[-2000:]
        )
    return report_dir / f"{PROVIDER}.html"


def photograph(html: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
            # Only the report file itself: no network, not even loopback.
            page.route(
                "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
            )
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_timeout(500)  # pytest-html's script draws its table after load
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the run's reports in this directory")
    parser.add_argument("--output", type=Path, default=OUT, help=f"the PNG to write (default {OUT})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="conformance-screenshot-") as tmp:
        report_dir = Path(tmp)
        html = run_suite(report_dir)
        photograph(html, args.output)
        if args.keep:
            shutil.copytree(report_dir, args.keep, dirs_exist_ok=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
