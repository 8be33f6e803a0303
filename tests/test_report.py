from bulletin_clf.report import find_date, summarize, write_html_report


def _rec(doc, i, labels, text="Texto."):
    return {"source": f"{doc}.txt", "doc_id": doc, "para_idx": i, "text": text, "labels": labels,
            "scores": {}}


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
    assert a["main_topic"] == "governance" and a["date"] == "2024-05-03"


def test_html_report_is_self_contained(tmp_path):
    out = tmp_path / "r.html"
    write_html_report([_rec("a", 0, ["governance"], "3 de mayo de 2024 <script>x</script>")], out)
    html = out.read_text()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "data:image/png;base64," in html
