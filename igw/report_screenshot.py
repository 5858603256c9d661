"""Open a report in headless Chromium, wait for its charts, and save a full-page PNG.

    python -m igw.report_screenshot REPORT.html OUT.png [--width 1400]

Uses Debian's chromium and chromedriver (/usr/bin/chromium, /usr/bin/chromedriver; `make
browser` installs them) through selenium, never Selenium Manager (which would download a
browser). The network is switched off: the report must render from the file alone.
The browser test (tests/test_report.py) drives the same `open_report`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEFAULT_WIDTH = 1400
RENDER_TIMEOUT_S = 60

# Every chart div (plotly.io.to_html) has class plotly-graph-div; once plotly.js has drawn
# it, it also has class js-plotly-plot and an SVG with one `g.trace` per drawn trace.
CHARTS_STATE_JS = """
return Array.from(document.querySelectorAll('div.plotly-graph-div')).map(div => ({
    id: div.id,
    rendered: div.classList.contains('js-plotly-plot'),
    svgs: div.querySelectorAll('svg.main-svg').length,
    traces: div.querySelectorAll('svg.main-svg g.trace').length,
    marks: div.querySelectorAll(
        'svg.main-svg g.trace path.point, svg.main-svg g.trace path.js-line,' +
        ' svg.main-svg g.trace path.scatterpts, svg.main-svg g.trace g.points path'
    ).length,
}));
"""


class BrowserUnavailable(RuntimeError):
    """Chromium or chromedriver (or selenium) is missing; the message says which."""


def browser_missing() -> str | None:
    """Why a headless browser cannot run here, or None when it can."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            return f"{binary} is missing (make browser installs Debian's chromium packages)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is a dev dependency: make env)"
    return None


def chromium_options(profile_dir: Path, width: int = DEFAULT_WIDTH, height: int = 1000):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile_dir}",
        # No network: any host resolves to nothing and any proxy use fails, so a resource
        # the report tried to fetch shows up as a console error, never as a download.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@contextmanager
def chromium(profile_dir: Path | None = None, width: int = DEFAULT_WIDTH) -> Iterator:
    """A headless Chromium WebDriver on a fresh profile, quit on exit."""
    missing = browser_missing()
    if missing:
        raise BrowserUnavailable(missing)
    from selenium import webdriver

    scratch = None
    if profile_dir is None:
        scratch = Path(tempfile.mkdtemp(prefix="igw-chromium-"))
        profile_dir = scratch
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=chromium_options(profile_dir, width))
    try:
        yield driver
    finally:
        driver.quit()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def open_report(driver, report: Path, timeout_s: float = RENDER_TIMEOUT_S) -> list[dict]:
    """Load the report and wait until every chart div has been drawn; the charts' state."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(Path(report).resolve().as_uri())

    def drawn(browser):
        if browser.execute_script("return document.readyState") != "complete":
            return False
        charts = browser.execute_script(CHARTS_STATE_JS)
        return charts if all(c["rendered"] and c["svgs"] for c in charts) else False

    return WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(drawn)


def _settle(driver) -> None:
    """Wait two animation frames and a little more: plotly's responsive charts redraw on
    resize."""
    driver.set_script_timeout(30)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 300)));"
    )


def full_page_screenshot(driver, out: Path, width: int = DEFAULT_WIDTH) -> Path:
    """Resize the window until its viewport holds the whole document, then save a PNG of it."""
    page_height_js = (
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    )
    for _ in range(4):  # the page's height can change once the charts redraw at the new size
        height = int(driver.execute_script(page_height_js))
        driver.set_window_size(width, height)
        # the window's size includes the browser's frame: grow it by the difference
        frame = height - int(driver.execute_script("return window.innerHeight"))
        if frame > 0:
            driver.set_window_size(width, height + frame)
        _settle(driver)
        if int(driver.execute_script(page_height_js)) <= driver.execute_script(
            "return window.innerHeight"
        ):
            break
    driver.execute_script("window.scrollTo(0, 0)")
    _settle(driver)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(out)):
        raise RuntimeError(f"could not write the screenshot {out}")
    return out


def screenshot(report: Path, out: Path, width: int = DEFAULT_WIDTH) -> Path:
    """Render `report` in headless Chromium and save a full-page PNG to `out`."""
    with chromium(width=width) as driver:
        open_report(driver, report)
        return full_page_screenshot(driver, out, width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the report's HTML file")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH, help="page width in pixels")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"error: no report at {args.report}", file=sys.stderr)
        return 2
    try:
        written = screenshot(args.report, args.out, args.width)
    except BrowserUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
