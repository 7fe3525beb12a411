"""Translation catalogues (翻译目录): compile them and check that Chinese is complete.

    python -m linli.i18n compile   # every locale/*/LC_MESSAGES/*.po -> .mo
    python -m linli.i18n check     # exit 1 listing untranslated, fuzzy or broken zh_Hans entries

Both use polib rather than GNU gettext, so they work on a machine without the gettext tools
(only `makemessages`, which extracts the strings, needs them). The .mo files are committed: they
ship in the package, and an installed Linli never compiles anything.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
CHINESE = "zh_Hans"

# %(name)s, %(seconds).1f, %s, %d … and {name}; "%%" is a literal percent sign, not a placeholder.
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
_BRACE = re.compile(r"(?<!\{)\{[A-Za-z_][A-Za-z0-9_]*(?:[.!:][^{}]*)?\}(?!\})")


def _polib():
    try:
        import polib
    except ImportError:  # pragma: no cover - polib is a dev dependency
        sys.exit("polib is needed: pip install -e '.[dev]'")
    return polib


def catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every .po file under the locale folder, in a stable order."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def placeholders(text: str) -> Counter:
    """The placeholders in one string, as a multiset (the order may change in a translation)."""
    found = [m for m in _PERCENT.findall(text) if m != "%%"]
    return Counter(found + _BRACE.findall(text))


def without_placeholders(text: str) -> str:
    """The words around the placeholders (to tell a sentence from a bare "%(label)s: %(error)s")."""
    return _BRACE.sub("", _PERCENT.sub("", text))


def translations(entry) -> list[str]:
    """The msgstr of an entry, or each plural form of it."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def entry_problems(entry) -> list[str]:
    """What is wrong with one entry of a catalogue that must be complete (zh_Hans)."""
    forms = translations(entry)
    if not forms or not all(s.strip() for s in forms):
        return ["untranslated"]
    problems = []
    if "fuzzy" in entry.flags:
        problems.append("fuzzy")
    expected = placeholders(entry.msgid)
    # A plural msgid may drop the count in the singular ("one record"): the plural form rules.
    allowed = [expected, placeholders(entry.msgid_plural)] if entry.msgid_plural else [expected]
    for text in forms:
        if placeholders(text) not in allowed:
            problems.append(f"placeholders differ: {sorted(placeholders(text).elements())}")
    return problems


def catalogue_problems(path: Path) -> list[str]:
    """One line per problem entry of a .po file."""
    po = _polib().pofile(str(path))
    lines = []
    for entry in po:
        if entry.obsolete:
            continue
        for problem in entry_problems(entry):
            where = entry.occurrences[0][0] if entry.occurrences else "?"
            lines.append(f"{path.name} ({where}): {problem}: {entry.msgid!r}")
    return lines


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write the .mo beside every .po; fuzzy and untranslated entries are left out, as msgfmt does."""
    written = []
    for po_path in catalogues(locale_dir):
        mo_path = po_path.with_suffix(".mo")
        _polib().pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


def check(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Problems of the Chinese catalogues (English is the source language and stays empty)."""
    lines = []
    for po_path in catalogues(locale_dir):
        if po_path.parent.parent.name == CHINESE:
            lines.extend(catalogue_problems(po_path))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linli.i18n", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["compile", "check"])
    parser.add_argument("--locale-dir", type=Path, default=LOCALE_DIR)
    args = parser.parse_args(argv)
    if args.command == "compile":
        for mo_path in compile_all(args.locale_dir):
            print(f"compiled {mo_path.relative_to(args.locale_dir)}")
        return 0
    problems = check(args.locale_dir)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} zh_Hans entries need work.", file=sys.stderr)
        return 1
    print("zh_Hans catalogue complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
