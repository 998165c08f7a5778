"""Take the screenshots scripts/screenshots.sh asks for: every role's home page at 375 px and 1280 px,
in Chinese and in English, plus the pages a supervisor's morning goes through. Prints each file."""

import argparse
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

ROLES = ["supervisor", "staff", "counsellor1", "lead", "hr", "leader", "admin"]
LANGUAGES = {"zh-hans": "zh-CN", "en": "en-US"}
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}
SUPERVISOR_PAGES = {"followups": "/follow-ups/", "overview": "/talks/overview/", "log-talk": "/talks/new/"}


def shoot(browser, url: str, password: str, out: Path) -> None:
    for role in ROLES:
        for language, locale in LANGUAGES.items():
            for size, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale=locale, is_mobile=size == "phone"
                )
                context.add_cookies([{"name": "django_language", "value": language, "url": url}])
                page = context.new_page()
                page.goto(f"{url}/accounts/login/")
                page.fill("#id_username", role)
                page.fill("#id_password", password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                pages = {"home": "/"} | (SUPERVISOR_PAGES if role == "supervisor" else {})
                for name, path in pages.items():
                    page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    target = out / f"{role}-{name}-{language}-{size}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", default="screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            shoot(browser, args.url.rstrip("/"), args.password, out)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
