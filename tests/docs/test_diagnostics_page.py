"""docs/reference/diagnostics.md documents every diagnostic code, once each.

The codes are the `inline constexpr std::string_view NAME = "CODE";` lines of
include/ferry/model/diagnostic.hpp; the page has one "### `CODE`" heading per
code, and no heading for a code that does not exist.
"""

import collections
import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "ferry" / "model" / "diagnostic.hpp"
PAGE = ROOT / "docs" / "reference" / "diagnostics.md"

CODE_LINE = re.compile(r'^\s*inline\s+constexpr\s+std::string_view\s+(\w+)\s*=\s*"([^"]+)"\s*;', re.MULTILINE)
HEADING = re.compile(r"^###\s+`([^`]+)`\s*$", re.MULTILINE)


def header_codes():
    return [code for _name, code in CODE_LINE.findall(HEADER.read_text(encoding="utf-8"))]


def page_headings():
    text = PAGE.read_text(encoding="utf-8")
    # Headings inside fenced code blocks are examples, not headings.
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return HEADING.findall(text)


class DiagnosticsPageTest(unittest.TestCase):
    def test_header_has_codes(self):
        codes = header_codes()
        self.assertGreater(len(codes), 0, "no codes found in %s" % HEADER)
        self.assertIn("usage", codes)
        self.assertEqual(len(codes), len(set(codes)), "a code is defined twice in %s" % HEADER)

    def test_every_code_has_exactly_one_heading(self):
        counts = collections.Counter(page_headings())
        missing = [c for c in header_codes() if counts[c] == 0]
        repeated = sorted(c for c, n in counts.items() if n > 1)
        self.assertEqual(missing, [], "codes with no ### `CODE` heading in %s" % PAGE)
        self.assertEqual(repeated, [], "codes with more than one heading in %s" % PAGE)

    def test_no_heading_for_an_unknown_code(self):
        known = set(header_codes())
        unknown = sorted(set(page_headings()) - known)
        self.assertEqual(unknown, [], "headings in %s for codes not in %s" % (PAGE, HEADER))


if __name__ == "__main__":
    unittest.main()
