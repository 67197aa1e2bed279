"""Checks that a piece of HTML carries no script: parsed with html.parser, not by substring."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

PAYLOADS_FILE = Path(__file__).with_name("xss_payloads.txt")
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "base", "meta", "link", "form"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "background", "poster", "data"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def payloads() -> list[str]:
    lines = PAYLOADS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip() and not line.startswith("# ")]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            # Only the site's own scripts, from its static files, never inline.
            if not (attributes.get("src") or "").startswith("/static/"):
                self.problems.append(f"script tag {attrs}")
            self.in_script = True
        elif tag in DANGEROUS_TAGS and not self._sites_own(tag, attributes):
            self.problems.append(f"<{tag}> {attrs}")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name.lower() in URL_ATTRIBUTES or name.lower() == "style":
                cleaned = re.sub(r"[\x00-\x20]", "", html.unescape(value or "")).lower()
                if cleaned.startswith(BAD_SCHEMES) or "javascript:" in cleaned or "url(" in cleaned:
                    self.problems.append(f"dangerous {name}={value!r} on <{tag}>")
            if (
                tag == "a"
                and name == "href"
                and (value or "").startswith("http")
                and "nofollow" not in (attributes.get("rel") or "")
            ):
                self.problems.append(f"external link without rel=nofollow: {attrs}")

    @staticmethod
    def _sites_own(tag, attributes):
        """What the site's own templates legitimately use (no user input reaches these)."""
        if tag == "link":
            return attributes.get("rel") == "stylesheet" and (attributes.get("href") or "").startswith("/static/")
        if tag == "meta":
            return "http-equiv" not in attributes
        if tag == "form":
            return (attributes.get("action") or "/").startswith("/") or not attributes.get("action")
        if tag == "svg":  # the QR code, drawn by segno
            return not any(name.startswith("on") for name in attributes)
        return False

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]!r}")


def problems_in(markup: str) -> list[str]:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    # Belt and braces on the raw text: no tag opens a script or carries an event handler.
    if re.search(r"<script(?![^>]*\ssrc=\"/static/)", markup, re.IGNORECASE):
        collector.problems.append("raw <script")
    # An attribute named on… (quoted attribute values are skipped: `title="x onclick=y"` is text).
    attribute = r"""\s+[^\s=>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?"""
    if re.search(rf"<[a-z][a-z0-9]*(?:{attribute})*\s+on\w+\s*=", markup, re.IGNORECASE):
        collector.problems.append("raw on…= inside a tag")
    return collector.problems
