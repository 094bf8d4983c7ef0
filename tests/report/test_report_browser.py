"""The report page in a real browser: headless Chromium loads it offline, the charts draw.

Needs Debian's ``chromium`` package (``.ci/run`` installs it). Without it the
test is skipped, and says how to install it.
"""

import json

import numpy as np
import pytest
from PIL import Image

from pipeline.report import write_report
from tests.report import headless_chromium, report_fixtures

pytestmark = pytest.mark.slow

# Every chart's box on the page and how much of it is not white.
_CHARTS = """JSON.stringify([...document.querySelectorAll('svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {x: box.left + window.scrollX, y: box.top + window.scrollY, width: box.width,
          height: box.height, marks: svg.querySelectorAll('path, use, rect').length};
}))"""
_SECTIONS = "[...document.querySelectorAll('section')].map(section => section.id)"


@pytest.fixture(scope="module")
def chromium():
    binary = headless_chromium.find_binary()
    if binary is None:
        pytest.skip("no Chromium on PATH: apt-get install -y chromium")
    return binary


@pytest.fixture(scope="module")
def loaded(chromium, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    run = report_fixtures.write_run(str(folder / "work"))
    path = write_report(run.work_dir, run.summary, "run")
    page = headless_chromium.Page(chromium, str(folder / "profile"))
    try:
        page.open(f"file://{path}")
        charts = page.evaluate(_CHARTS)
        sections = page.evaluate(_SECTIONS)
        screenshot = str(folder / "report.png")
        page.screenshot(screenshot)
    finally:
        page.close()
    return page, path, json.loads(charts), sections, screenshot


def test_the_page_loads_without_script_errors_or_requests_off_the_page(loaded):
    page, path, _, sections, _ = loaded
    assert page.exceptions == []
    assert page.errors == []
    assert page.requests == [f"file://{path}"]
    assert sections == ["data", "evaluation", "training", "samples", "history"]


def test_every_chart_has_a_size_and_marks(loaded):
    _, _, charts, _, _ = loaded
    # One chart per feature (2), accuracy@k and recall@k, loss and time, and the
    # history's two.
    assert len(charts) == 8
    for chart in charts:
        assert chart["width"] > 50 and chart["height"] > 50, chart
        assert chart["marks"] > 5, chart


def test_the_screenshot_shows_the_charts_drawn(loaded):
    _, _, charts, _, screenshot = loaded
    image = np.asarray(Image.open(screenshot).convert("L"))
    assert image.shape[1] >= 1000 and image.shape[0] > 2000
    for chart in charts:
        top, left = int(chart["y"]), int(chart["x"])
        box = image[top:top + int(chart["height"]), left:left + int(chart["width"])]
        inked = float(np.mean(box < 200))
        assert 0.01 < inked < 0.9, (chart, inked)
