"""Screenshots of a running InvestDesk, as a person sees it (Debian's Chromium via Playwright).

    .venv/bin/python tools/screenshots.py --base http://127.0.0.1:8000 --user chengdu \
        --out docs/screenshots /  /directory/

Each path becomes <out>/<user>-<path>.png. Used for the README and to look at changed screens.
"""

import argparse
import re
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
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale=args.lang, viewport={"width": args.width, "height": args.height}).new_page()
        page.goto(f"{args.base}/login/")
        if args.user != "anonymous":
            page.fill("#id_username", args.user)
            page.fill("#id_password", args.password)
            page.click("form button.btn-primary")
            page.wait_for_load_state("networkidle")
        for path in args.paths:
            page.goto(args.base + path)
            page.wait_for_load_state("networkidle")
            name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
            target = out / f"{args.user}-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
