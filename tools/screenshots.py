"""Screenshots of a running InvestDesk, as a person sees it (Debian's Chromium via Playwright).

    .venv/bin/python tools/screenshots.py --base http://127.0.0.1:8000 --user chengdu \
        --out docs/screenshots /  /directory/

Each path becomes <out>/<user>-<path>.png. Used for the README and to look at changed screens.
--console also prints what the browser logged (errors, warnings, uncaught exceptions) per page and
exits with status 1 if the Content-Security-Policy blocked anything.
"""

import argparse
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="chengdu")
    parser.add_argument("--password", default="Sichuan@2022")
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--lang", default="zh-CN")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--console", action="store_true", help="print the browser console; fail on CSP violations")
    args = parser.parse_args()
    logged: list[str] = []
    current = ["/login/"]

    def log(kind: str, text: str) -> None:
        logged.append(text)
        print(f"  [{kind}] {current[0]}: {text}", file=sys.stderr)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale=args.lang, viewport={"width": args.width, "height": args.height}).new_page()
        if args.console:
            page.on("console", lambda m: log(m.type, m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: log("exception", str(e)))
        page.goto(f"{args.base}/login/")
        if args.user != "anonymous":
            page.fill("#id_username", args.user)
            page.fill("#id_password", args.password)
            page.click("form button.btn-primary")
            page.wait_for_load_state("networkidle")
        for path in args.paths:
            current[0] = path
            page.goto(args.base + path)
            page.wait_for_load_state("networkidle")
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
            target = out / f"{args.user}-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()
    blocked = [text for text in logged if "Content Security Policy" in text]
    if args.console:
        print(f"{len(logged)} console messages, {len(blocked)} CSP violations", file=sys.stderr)
    if blocked:
        sys.exit(1)


if __name__ == "__main__":
    main()
