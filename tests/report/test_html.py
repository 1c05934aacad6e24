"""The procurement HTML report: self-contained, escaped, and read in a real browser (Debian's
Chromium driven by Playwright) for what a reader sees on screen and on paper."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from auditor.api import audit
from auditor.outcome import FailOn
from auditor.report.html import render_html
from tests.conftest import FIXTURES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _report(tmp_path: Path, paths: list[Path]) -> tuple[Path, int]:
    result = audit(paths)
    page = tmp_path / "report.html"
    page.write_text(render_html(result, FailOn.WARNING), encoding="utf-8")
    return page, len(result.active_findings)


def test_the_page_is_self_contained_and_escapes_supplier_text(tmp_path: Path) -> None:
    hostile = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "device", "name": "<img src=x onerror=alert(1)>"}},
        "components": [
            {
                "type": "library",
                "name": "<script>alert('kaspersky')</script>",
                "supplier": {"name": "AO Kaspersky Lab"},
            }
        ],
    }
    (tmp_path / "bom.json").write_text(json.dumps(hostile))
    text = render_html(audit([tmp_path]), FailOn.WARNING)
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    # nothing is fetched from anywhere: no element carries a src or href attribute
    assert not re.search(r"<[a-z]+[^>]*\s(src|href)=", text) and "<link" not in text


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_CHROMIUM") == "1":
            pytest.fail("REQUIRE_CHROMIUM=1 but chromium is not installed")
        pytest.skip("Chromium not installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=_FLAGS)
        yield instance
        instance.close()


def test_a_passing_gate_with_kaspersky_findings_is_not_shown_as_clean() -> None:
    page = render_html(audit([FIXTURES / "demo"]), FailOn.NEVER)
    verdict = re.search(r'<div class="verdict (\w+)" role="status"><strong>([^<]*)</strong>', page)
    assert verdict is not None
    assert verdict.groups() == (
        "found",
        "Kaspersky software found, below the threshold that fails the audit",
    )
    assert "No Kaspersky software found" not in page


def test_a_reader_sees_the_verdict_first_then_every_finding(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page_file, findings = _report(tmp_path, [FIXTURES / "demo"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(page_file.as_uri())
    verdict = page.locator(".verdict")
    assert verdict.is_visible()
    assert verdict.inner_text().startswith("Kaspersky software found")
    box = verdict.bounding_box()
    assert box is not None and box["y"] + box["height"] < 900  # above the fold
    assert page.locator("section.finding").count() == findings
    first = page.locator("section.finding").first
    assert "Regulations" in first.inner_text() and "What to do" in first.inner_text()
    assert "BIS Final Determination" in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.close()


def test_an_incomplete_audit_says_so_and_lists_what_was_not_read(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page_file, _ = _report(tmp_path, [FIXTURES / "hostile" / "archives" / "encrypted-TEST.7z"])
    page = browser.new_page()
    page.goto(page_file.as_uri())
    assert page.locator(".verdict").inner_text().startswith("Could not fully inspect")
    body = page.inner_text("body")
    assert "Not inspected" in body and "password-protected" in body
    page.close()


def test_the_report_prints_to_pdf_with_the_verdict_on_page_one(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pypdf

    page_file, _ = _report(tmp_path, [FIXTURES / "demo"])
    page = browser.new_page()
    page.goto(page_file.as_uri())
    page.emulate_media(media="print")
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.verdict')).backgroundColor"
    )
    assert background in ("rgba(0, 0, 0, 0)", "transparent")  # print stylesheet applies
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    first = pdf.pages[0].extract_text()
    assert "Kaspersky software found" in first
    assert len(pdf.pages) >= 2
    page.close()
