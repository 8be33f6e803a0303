"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` package).

Chromium's ``--dump-dom`` prints the DOM after the page's script has run, so
these tests read what a person would see: the sections, the counts the
script wrote, the chart, and the effect of a filter given in the URL
(``#topic=...``, ``?q=...``), which the page applies on load.
"""

from __future__ import annotations

import os
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_report_size import synth_records

from bulletin_clf._labels import LABELS, NONE_LABEL
from bulletin_clf.report import ReportBuilder

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text: list[str] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def find_all(self, pred: Any) -> list[Node]:
        out = [self] if pred(self) else []
        for c in self.children:
            out += c.find_all(pred)
        return out

    def find(self, pred: Any) -> Node:
        found = self.find_all(pred)
        assert found, "element not in the DOM"
        return found[0]

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def visible(self) -> bool:
        node: Node | None = self
        while node is not None:
            if "hidden" in node.attrs:
                return False
            node = node.parent
        return True


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#root", {}, None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.cur.children.append(Node(tag, dict(attrs), self.cur))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data: str) -> None:
        self.cur.text.append(data)


def _chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           "--mute-audio", f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, timeout=90, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout.decode("utf-8")


def _dom(tmp_path: Path, url: str) -> Node:
    tree = _Tree()
    tree.feed(_chromium(tmp_path, "--dump-dom", url))
    return tree.root


def _norm(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not 0x300 <= ord(c) <= 0x36F).lower()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    """A 40-release report (5 to 15 paragraphs each, a duplicate, an undated release, hostile text)."""
    records = synth_records(40, 0, seed=3)
    records.append({"source": "boletines/x.txt", "doc_id": "f" * 16, "para_idx": 0, "labels": ["governance"],
                    "text": "Aviso <script>alert(1)</script> de la población", "scores": dict.fromkeys(LABELS, 0.5)})
    records += [{**r, "source": "copias/" + r["source"].rsplit("/", 1)[-1]} for r in records if
                r["doc_id"] == records[0]["doc_id"]]
    path = tmp_path_factory.mktemp("report") / "r.html"
    with ReportBuilder() as builder:
        for rec in records:
            builder.add(rec)
        builder.write_html(path)
        rows = builder.rows()
    assert any(r["duplicate_of"] for r in rows) and any(not r["date"] for r in rows)
    return path, rows, records


def test_dom_counts_match_the_summary_rows(report, tmp_path):
    path, rows, _ = report
    dom = _dom(tmp_path, path.as_uri())
    sections = dom.find_all(lambda n: n.tag == "details" and "rel" in n.classes)
    assert [s.attrs["id"] for s in sections] == [f"r{i}" for i in range(len(rows))]
    for sec, row in zip(sections, rows, strict=True):
        paras = sec.find_all(lambda n: n.tag == "p" and n.parent is not None and "ps" in n.parent.classes)
        expected = 0 if row["duplicate_of"] else row["paragraphs"]
        assert len(paras) == expected == int(sec.attrs["data-n"])
        assert sec.find(lambda n: "c" in n.classes).all_text() == str(expected)
        assert row["source"] in sec.find(lambda n: n.tag == "summary").all_text()
        assert all(p.visible() for p in paras) and sec.visible()
        for j, label in enumerate(LABELS):  # the topic of each paragraph, as its class says
            assert sum(1 for p in paras if int(p.attrs["class"][1:]) >> j & 1) == (0 if row["duplicate_of"]
                                                                                     else row[label])
    table = dom.find(lambda n: n.attrs.get("id") == "ov").find(lambda n: n.tag == "tbody")
    trs = [tr for tr in table.children if tr.tag == "tr"]
    assert len(trs) == len(rows)
    for tr, row in zip(trs, rows, strict=True):
        cells = [td.all_text() for td in tr.children if td.tag == "td"]
        n = row["paragraphs"]
        assert cells[0] == row["source"].rsplit("/", 1)[-1] and cells[1] == (row["date"] or "–")
        assert cells[2] == str(n)
        assert cells[3:8] == [f"{row[label] / n * 100:.0f}%" for label in (*LABELS, NONE_LABEL)]
        assert cells[8] == row["main_topic"]
    count = dom.find(lambda n: n.attrs.get("id") == "count")
    shown = sum(r["paragraphs"] for r in rows if not r["duplicate_of"])
    assert (int(count.attrs["data-p"]), int(count.attrs["data-r"])) == (shown, len(rows))
    assert count.all_text() == f"All {shown:,} paragraphs in {len(rows):,} releases"
    svg = dom.find(lambda n: n.tag == "svg" and n.attrs.get("id") == "trend")
    series = svg.find_all(lambda n: n.tag == "g" and "series" in n.classes)
    assert [g.attrs["data-label"] for g in series] == list(LABELS)
    months = {r["date"][:7] for r in rows if r["date"] and not r["duplicate_of"]}
    assert all(len([c for c in g.children if c.tag in ("circle", "rect", "path") and c.attrs.get("stroke-width")
                    == "1.6"]) == len(months) for g in series)
    # hostile text is text: the page's own script is the only one
    assert len(dom.find_all(lambda n: n.tag == "script")) == 1
    assert any("<script>alert(1)</script>" in p.all_text() for p in dom.find_all(lambda n: n.tag == "p"))


def _visible_paragraphs(dom: Node) -> list[Node]:
    return [p for p in dom.find_all(lambda n: n.tag == "p" and n.parent is not None and "ps" in n.parent.classes)
            if p.visible()]


def test_topic_filter_from_the_url_fragment(report, tmp_path):
    path, rows, _ = report
    dom = _dom(tmp_path, path.as_uri() + "#topic=governance,infrastructure")
    want = [r for r in rows if not r["duplicate_of"]]
    visible = _visible_paragraphs(dom)
    gi = 1 << LABELS.index("governance") | 1 << LABELS.index("infrastructure")
    assert visible and all(int(p.attrs["class"][1:]) & gi for p in visible)
    all_p = dom.find_all(lambda n: n.tag == "p" and n.parent is not None and "ps" in n.parent.classes)
    assert len(visible) == sum(1 for p in all_p if int(p.attrs["class"][1:]) & gi)
    count = dom.find(lambda n: n.attrs.get("id") == "count")
    assert int(count.attrs["data-p"]) == len(visible)
    shown_sections = [s for s in dom.find_all(lambda n: n.tag == "details" and "rel" in n.classes) if s.visible()]
    assert int(count.attrs["data-r"]) == len(shown_sections) <= len(want)
    total = sum(r["paragraphs"] for r in want)
    assert count.all_text() == (f"Showing {len(visible):,} of {total:,} paragraphs in {len(shown_sections):,} "
                                f"of {len(rows):,} releases")
    assert count.attrs["data-topics"] == "infrastructure,governance" and count.attrs["data-q"] == ""


def test_text_search_from_the_query_ignores_accents_and_case(report, tmp_path):
    path, rows, records = report
    dupes = {(r["source"], r["doc_id"]) for r in rows if r["duplicate_of"]}
    expected = [r for r in records if (r["source"], r["doc_id"]) not in dupes and "poblacion" in _norm(r["text"])]
    dom = _dom(tmp_path, path.as_uri() + "?q=POBLACION")
    visible = _visible_paragraphs(dom)
    assert len(visible) == len(expected) > 0
    assert all("población" in p.all_text() for p in visible)
    count = dom.find(lambda n: n.attrs.get("id") == "count")
    assert int(count.attrs["data-p"]) == len(expected) and count.attrs["data-q"] == "poblacion"
    # each shown release says how many of its paragraphs match; the overview table follows the filter
    for sec in dom.find_all(lambda n: n.tag == "details" and "rel" in n.classes):
        if sec.visible():
            k = len(_visible_paragraphs(sec))
            assert sec.find(lambda n: "c" in n.classes).all_text() == f"{k} of {sec.attrs['data-n']}"
            row_id = "o" + sec.attrs["id"][1:]
            assert dom.find(lambda n, row_id=row_id: n.attrs.get("id") == row_id).visible()


def test_screenshot_renders(report, tmp_path):
    path, _, _ = report
    png = tmp_path / "shot.png"
    _chromium(tmp_path, "--hide-scrollbars", "--window-size=1280,1600", f"--screenshot={png}", path.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
