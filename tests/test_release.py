"""The project's version and its changelog tell the same story."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] — (?P<when>.+)$", re.MULTILINE)


def _sections() -> list[tuple[str, str]]:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return [(m["version"], m["when"].strip()) for m in HEADING.finditer(text)]


def _project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["version"]


def test_every_section_has_a_version_and_a_date_or_says_unreleased():
    sections = _sections()
    assert sections, "CHANGELOG.md has no release sections"
    for version, when in sections:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
        assert when == "Unreleased" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", when), (version, when)


def test_only_the_newest_section_may_be_unreleased():
    sections = _sections()
    assert all(when != "Unreleased" for _, when in sections[1:]), sections
    dates = [when for _, when in sections if when != "Unreleased"]
    assert dates == sorted(dates, reverse=True), "released sections are not newest first"


def test_pyproject_version_agrees_with_the_newest_section():
    newest, when = _sections()[0]
    expected = f"{newest}.dev0" if when == "Unreleased" else newest
    assert _project_version() == expected
