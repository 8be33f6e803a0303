import csv
import itertools
import re
import tracemalloc
from pathlib import Path

import pytest

from bulletin_clf import report
from bulletin_clf._labels import LABELS
from bulletin_clf.errors import BulletinError
from bulletin_clf.report import (
    SUMMARY_COLUMNS,
    ReportBuilder,
    date_from_name,
    find_date,
    summarize,
    write_html_report,
)


def _rec(doc, i, labels, text="Texto.", source=None, **extra):
    return {"source": source or f"{doc}.txt", "doc_id": doc, "para_idx": i, "text": text, "labels": labels,
            "scores": {}, **extra}


def _build(records, **kw):
    builder = ReportBuilder(**kw)
    for rec in records:
        builder.add(rec)
    return builder


def test_find_date_in_spanish_leads():
    assert find_date(["Oaxaca de Juárez, Oax. 21 de febrero de 2023.- Para garantizar"]) == "2023-02-21"
    assert find_date(["MEXICALI, NOVIEMBRE 19, 2023.- Para garantizar"]) == "2023-11-19"
    assert find_date(["Sin fecha aquí."]) is None


def test_summarize_counts_topics_per_document():
    rows = summarize([
        _rec("a", 0, ["governance"], "Ciudad de México, 3 de mayo de 2024. Se firmó el convenio."),
        _rec("a", 1, ["governance", "infrastructure"]),
        _rec("a", 2, []),
        _rec("b", 0, ["medicine_supply"]),
    ])
    a = next(r for r in rows if r["doc_id"] == "a")
    assert (a["paragraphs"], a["governance"], a["infrastructure"], a["other"]) == (3, 2, 1, 1)
    assert a["main_topic"] == "governance" and a["date"] == "2024-05-03" and a["date_source"] == "text"
    assert a["share_governance"] == pytest.approx(2 / 3, abs=1e-4) and a["share_medicine_supply"] == 0
    assert list(rows[0]) == list(SUMMARY_COLUMNS)


def test_rows_are_keyed_by_file_and_doc_id():
    rows = summarize([
        _rec("x", 0, ["governance"], source="a.txt"),
        _rec("x", 0, ["governance"], source="copia/a.txt"),  # the same text in another file
        _rec("y", 0, [], source="a.txt"),
        _rec("x", 1, ["governance"], source="a.txt"),  # back to the first release
    ])
    assert [(r["source"], r["doc_id"], r["paragraphs"]) for r in rows] == [
        ("a.txt", "x", 2), ("copia/a.txt", "x", 1), ("a.txt", "y", 1)]
    assert [r["duplicate_of"] for r in rows] == [None, "a.txt", None]


def test_main_topic_comes_from_shares_with_a_floor_and_fixed_ties():
    def main(label_lists):
        return summarize([_rec("d", i, labels) for i, labels in enumerate(label_lists)])[0]["main_topic"]

    assert main([["human_resources"], ["human_resources"], ["governance"], []]) == "human_resources"
    assert main([["governance"], ["infrastructure"]]) == "infrastructure"  # tie: the earlier label in LABELS
    assert main([["governance"]] + [[]] * 4) == "governance"  # exactly 0.2 is enough
    assert main([["governance"]] + [[]] * 5) == "other"  # 1 of 6 is below 0.2
    assert main([[]]) == "other"


def test_date_sources_in_order_record_text_file_name():
    lead = "Ciudad de México, 3 de mayo de 2024.- Se firmó el convenio."
    rows = summarize([
        _rec("r", 0, [], lead, source="2020-01-01_r.txt"),
        _rec("r", 1, [], "Texto.", source="2020-01-01_r.txt", date="2022-07-09"),  # any record's date wins
        _rec("t", 0, [], lead, source="2020-01-01_t.txt"),
        _rec("f", 0, [], "Sin fecha.", source="boletines/2021_03_04-f.txt"),
        _rec("n", 0, [], "Sin fecha.", source="2021/n.txt", date="pronto"),
    ])
    assert [(r["date"], r["date_source"]) for r in rows] == [
        ("2022-07-09", "record"), ("2024-05-03", "text"), ("2021-03-04", "file name"), (None, "none")]


def test_find_date_looks_at_the_first_four_paragraphs_only():
    late = [_rec("d", i, [], "Texto.") for i in range(4)] + [_rec("d", 4, [], "3 de mayo de 2024")]
    assert summarize(late)[0]["date"] is None
    assert summarize(late[1:])[0]["date"] == "2024-05-03"


@pytest.mark.parametrize(("name", "date"), [
    ("2023-05-12_boletin.txt", "2023-05-12"),
    ("boletin_20230512.pdf", "2023-05-12"),
    ("c:\\boletines\\bol-2023_05_12.docx", "2023-05-12"),
    ("2023-05/boletin.txt", None),  # folders do not count
    ("000_ce69f7b727d09816.txt", None),
    ("a20230512b.txt", None),  # eight digits inside a hash
    ("2023-13-01.txt", None),
    ("2023-05_12.txt", None),  # mixed separators
])
def test_date_from_file_name(name, date):
    assert date_from_name(name) == date


def test_warnings_are_distinct_per_release():
    rows = summarize([_rec("d", 0, [], warnings=["w1", "w2"]), _rec("d", 1, [], warnings=["w2", "w3"]),
                      _rec("e", 0, [])])
    assert [r["warnings"] for r in rows] == ["w1 | w2 | w3", ""]


def test_write_summary_csv_keeps_the_old_columns(tmp_path):
    out = tmp_path / "s.csv"
    with _build([_rec("a", 0, ["governance"]), _rec("a", 1, [])], html=False) as builder:
        builder.write_summary(out)
    with open(out, encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert set(["source", "doc_id", "date", "paragraphs", *LABELS, "other", "main_topic"]) <= set(got[0])
    assert list(got[0]) == list(SUMMARY_COLUMNS)
    assert got[0]["share_governance"] == "0.5" and got[0]["date_source"] == "none" and got[0]["date"] == ""
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]  # no temporary file left


def test_builder_keeps_no_paragraph_text_in_memory():
    text = "Se distribuyeron medicamentos en los almacenes del estado. " * 5  # ~300 characters

    def records():
        for i in range(60_000):
            yield _rec(f"d{i // 1500}", i % 1500, ["medicine_supply"] if i % 3 else [], f"{text}{i}")

    tracemalloc.start()
    try:
        with ReportBuilder() as builder:
            for rec in records():
                builder.add(rec)
            _, peak = tracemalloc.get_traced_memory()
            assert len(builder.rows()) == 40
    finally:
        tracemalloc.stop()
    assert peak < 3e6  # 60,000 paragraphs of ~300 characters would be ~18 MB


def test_html_report_is_self_contained(tmp_path):
    out = tmp_path / "r.html"
    write_html_report([_rec("a", 0, ["governance"], "3 de mayo de 2024 <script>x</script>")], out)
    page = out.read_text()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<svg" in page and 'class="series"' in page
    assert not re.search(r"https?:|ftp:|//[a-z]", page, re.IGNORECASE)
    assert not re.search(r"@import|\burl\(|<link|<img|<iframe|\ssrc=", page)
    assert page.count("<script>") == 1  # the page's own, at the end


def test_everything_shown_is_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    rec = _rec("a", 0, ["governance"], f"Hola {evil} & adiós", source=f"{evil}.txt",
               warnings=[f"w {evil}"], terms={"governance": [evil, 'a"b|c,d']},
               scores=dict.fromkeys(LABELS, 0.5))
    out = tmp_path / "r.html"
    write_html_report([rec], out, title=evil)
    page = out.read_text()
    assert evil not in page and page.count("<script>") == 1
    assert "Hola &lt;script&gt;alert(1)&lt;/script&gt; &amp; adiós" in page
    assert 'data-t="|||&lt;script&gt;alert(1)&lt;/script&gt;,a&quot;b c d"' in page
    assert "<title>&lt;script&gt;" in page


def test_names_and_text_that_are_not_utf8_do_not_break_the_reports(tmp_path):
    rec = _rec("a", 0, [], "texto \udcff roto", source="bolet\udce9n.txt")  # as os.fsdecode gives them
    with _build([rec]) as builder:
        builder.write_summary(tmp_path / "s.csv")
        builder.write_html(tmp_path / "r.html")
    assert "bolet?n.txt" in (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert "texto ? roto" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_paragraph_markup_is_small(tmp_path):
    rec = _rec("a", 0, ["medicine_supply", "governance"], "Texto.",
               scores={"medicine_supply": 0.9, "human_resources": 0.04, "infrastructure": 0.2, "governance": 0.55})
    out = tmp_path / "r.html"
    write_html_report([rec], out)
    assert "<p class=k9 data-s=90,4,20,55>Texto.</p>\n" in out.read_text()


def test_no_dated_release_gives_a_visible_note(tmp_path):
    out = tmp_path / "r.html"
    write_html_report([_rec("a", 0, ["governance"]), _rec("b", 0, [])], out)
    page = out.read_text()
    assert "No release has a date, so no trend is drawn: " in page and "<svg" not in page


def _svg_points(page, label):
    series = re.search(rf'<g class="series" data-label="{label}".*?</g>', page).group(0)
    return [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', series)]


def test_trend_is_on_a_true_time_axis(tmp_path):
    records = [_rec(f"d{i}", 0, ["medicine_supply"] if i != 1 else [], date=date)
               for i, date in enumerate(["2023-01-10", "2023-02-03", "2023-06-30"])]
    out = tmp_path / "r.html"
    write_html_report(records, out)
    page = out.read_text()
    (x1, y1), (x2, y2), (x3, y3) = _svg_points(page, "medicine_supply")
    assert x3 - x2 == pytest.approx(4 * (x2 - x1), abs=0.5)  # Feb -> Jun is four months
    assert y2 > y1 == y3  # 0% is lower on the page than 100%
    assert page.count('class="gap"') == 1  # Mar-May: one shaded band
    assert len(re.findall(r'<path d="M[^"]*" stroke-width="2"', page)) == 4  # Jan-Feb joined for each topic; Jun stands alone
    assert page.count('<g class="series"') == len(LABELS)


def test_trend_axis_stays_readable_over_36_months(tmp_path):
    records = [_rec(f"d{y}{m}", 0, ["governance"], date=f"{y}-{m:02d}-15")
               for y in (2022, 2023, 2024) for m in range(1, 13)]
    out = tmp_path / "r.html"
    write_html_report(records, out)
    page = out.read_text()
    xs = [float(x) for x in re.findall(r'<text class="xl" x="([\d.]+)"', page)]
    assert 6 <= len(xs) <= 13 and min(b - a for a, b in itertools.pairwise(xs)) >= 46
    plot_right = max(float(x) for x in re.findall(r'<line x1="[\d.]+" x2="([\d.]+)"[^>]*stroke="#d8d8d8"', page))
    legend = re.findall(r'<g class="legend".*?</g>', page)
    assert len(legend) == len(LABELS)
    assert all(float(x) > plot_right for g in legend for x in re.findall(r' x1?="([\d.]+)"', g))
    dashes = re.findall(r'<g class="series"[^>]*>(?:<path d="[^"]*" stroke-width="2"( stroke-dasharray="[^"]*")?)', page)
    assert len(set(dashes)) == len(LABELS)  # four distinct line styles


def test_interleaved_records_land_in_their_own_release(tmp_path):
    records = [_rec("a", 0, [], "uno A"), _rec("b", 0, [], "uno B"), _rec("a", 1, [], "dos A"),
               _rec("b", 1, [], "dos B")]
    out = tmp_path / "r.html"
    write_html_report(records, out)
    page = out.read_text()
    sections = re.findall(r'<details class="rel" id="(r\d)".*?</details>', page, re.DOTALL)
    assert sections == ["r0", "r1"]
    a, b = page.split('<details class="rel" id="r1"')
    assert a.index("uno A") < a.index("dos A") and "uno B" not in a
    assert b.index("uno B") < b.index("dos B")


def test_duplicates_are_summarised_but_their_paragraphs_shown_once(tmp_path):
    records = [_rec("x", 0, ["governance"], "Texto único.", source="a.txt"),
               _rec("x", 0, ["governance"], "Texto único.", source="b.txt")]
    out = tmp_path / "r.html"
    write_html_report(records, out)
    page = out.read_text()
    assert page.count("Texto único.") == 1 and "Same text as a.txt" in page


def test_builder_writes_twice_and_refuses_after_close(tmp_path):
    builder = _build([_rec("a", 0, ["governance"], "Uno.")])
    builder.write_html(tmp_path / "1.html")
    builder.add(_rec("a", 1, [], "Dos."))
    builder.write_html(tmp_path / "2.html")
    assert "Dos." not in (tmp_path / "1.html").read_text() and "Dos." in (tmp_path / "2.html").read_text()
    assert builder.rows()[0]["paragraphs"] == 2
    builder.close()
    with pytest.raises(BulletinError, match="no paragraphs kept"):
        builder.write_html(tmp_path / "3.html")
    with ReportBuilder(html=False) as summary_only, pytest.raises(BulletinError):
        summary_only.write_html(tmp_path / "4.html")


def test_a_failed_html_write_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "r.html"
    out.write_text("old")

    def boom(*a):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report, "_release_head", boom)
    with _build([_rec("a", 0, [])]) as builder, pytest.raises(RuntimeError):
        builder.write_html(out)
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_empty_report(tmp_path):
    with ReportBuilder() as builder:
        builder.write_summary(tmp_path / "s.csv")
        builder.write_html(tmp_path / "r.html")
    assert (tmp_path / "s.csv").read_text().strip() == ",".join(SUMMARY_COLUMNS)
    assert "No paragraphs were tagged" in (tmp_path / "r.html").read_text()


def test_html_report_of_the_seed_releases(tmp_path):
    """The five example releases, tagged with the shipped model: each paragraph shown, in its release."""
    from bulletin_clf.tag import collect_input_files, load, tag_files

    seeds = Path(__file__).resolve().parents[1] / "examples" / "seeds"
    docs = list(tag_files(collect_input_files([str(seeds)]), tagger=load(), explain=3))
    out = tmp_path / "r.html"
    with ReportBuilder() as builder:
        for doc in docs:
            for p in doc.paragraphs:
                builder.add({"source": doc.path, "doc_id": doc.doc_id, "para_idx": p.index, "text": p.text,
                             "labels": list(p.labels), "scores": p.scores, "terms": p.terms})
        builder.write_html(out)
        rows = builder.rows()
    page = out.read_text()
    assert len(rows) == 5 and page.count('<details class="rel"') == 5
    assert len(re.findall(r"<p class=k\d+ data-s=[\d,]+[ >]", page)) == sum(r["paragraphs"] for r in rows)
    assert [r["date"] for r in rows if r["date"]] == ["2023-02-21", "2023-11-19"]
