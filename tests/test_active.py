"""The labeling loop: `select` picks informative, diverse paragraphs; `data add` validates batches."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

import bulletin_clf
from bulletin_clf.active import (
    Candidate,
    Exclusions,
    add_batch,
    informativeness,
    iter_pool,
    random_draw,
    select_paragraphs,
)
from bulletin_clf.cli import main
from bulletin_clf.errors import DataError


def test_uncertainty_is_highest_at_the_threshold_and_disagreement_counts_labels():
    t = np.full(4, 0.5)
    p = np.array([[0.5, 0.01, 0.01, 0.01], [0.99, 0.01, 0.01, 0.01], [0.6, 0.01, 0.01, 0.01]])
    unc, dis = informativeness([p], [t])
    assert unc[0] == pytest.approx(1.0) and unc[0] > unc[2] > unc[1]
    assert not dis.any()
    q = np.array([[0.4, 0.01, 0.01, 0.01], [0.99, 0.01, 0.01, 0.9], [0.6, 0.01, 0.01, 0.01]])
    _, dis = informativeness([p, q], [t, t])
    assert dis.tolist() == [0.25, 0.25, 0.0]


def _pool(texts_by_doc: dict[str, list[str]]) -> list[Candidate]:
    return [Candidate(f"{d}:{i}", d, i, t, "2024-01-01", "test") for d, ts in texts_by_doc.items()
            for i, t in enumerate(ts)]


class _FixedTagger:
    """Scores given per text, so the ranking under test is known."""

    thresholds = np.full(4, 0.5)

    def __init__(self, score_of: dict[str, float]) -> None:
        self.score_of = score_of

    def predict_proba(self, texts):
        return np.array([[self.score_of[t], 0.01, 0.01, 0.01] for t in texts])


def test_select_ranks_by_uncertainty_caps_per_doc_and_skips_near_duplicates():
    base = "el abasto de medicamentos en los hospitales del estado mejoró durante el mes pasado según el informe"
    pool = _pool({
        "a": [base, base + " otra vez", "uno dos tres cuatro cinco seis siete ocho nueve", "x " * 30],
        "b": ["las plazas para médicos especialistas se abrirán en todos los estados del país este año"],
    })
    score_of = {pool[0].text: 0.5, pool[1].text: 0.5, pool[2].text: 0.52, pool[3].text: 0.55, pool[4].text: 0.99}
    chosen = select_paragraphs([_FixedTagger(score_of)], pool, n=10, per_doc=2)
    ids = [r["id"] for r in chosen]
    assert ids[0] == "a:0"  # most uncertain first
    assert "a:1" not in ids  # near duplicate of a:0
    assert sum(i.startswith("a:") for i in ids) == 2  # per-doc cap
    assert ids[-1] == "b:0"  # most confident last
    assert chosen[0]["select"]["model_labels"] == ["medicine_supply"]


def test_select_skips_labeled_text_and_random_draw_is_seeded():
    words = ["abasto", "plazas", "obra", "convenio", "vacuna", "hospital", "clinica", "nomina", "receta", "almacen",
             "camas", "quirofano"]
    pool = _pool({"a": [" ".join(words[(i + k) % 12] + str(i) for k in range(10)) for i in range(30)]})
    ex = Exclusions.empty()
    ex.add_labeled([{"id": "zz", "text": pool[3].text}], exclude_docs=False)
    tagger = _FixedTagger({c.text: 0.3 + 0.01 * c.para_idx for c in pool})
    chosen = select_paragraphs([tagger], pool, n=30, per_doc=30, exclusions=ex)
    assert "a:3" not in {r["id"] for r in chosen} and len(chosen) == 29
    r1 = random_draw(tagger, pool, n=5, per_doc=30, seed=1)
    assert [r["id"] for r in r1] == [r["id"] for r in random_draw(tagger, pool, n=5, per_doc=30, seed=1)]
    assert [r["id"] for r in r1] != [r["id"] for r in random_draw(tagger, pool, n=5, per_doc=30, seed=2)]


def test_iter_pool_reads_corpus_documents_records_and_release_folders(tmp_path):
    corpus = tmp_path / "c.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"doc_id": "d1", "date": "2024-02-02", "turns": [
            {"speaker": "X", "paragraphs": ["Primero.", "Segundo párrafo."]}, {"paragraphs": ["Tercero."]}]}) + "\n")
    tagged = tmp_path / "t.jsonl"
    tagged.write_text(json.dumps({"source": "r.txt", "doc_id": "d2", "para_idx": 4, "text": "Hola."}) + "\n{bad\n[1]\n",
                      encoding="utf-8")
    folder = tmp_path / "rel"
    folder.mkdir()
    (folder / "a.txt").write_text("Se contrataron médicos para el hospital.\n\nSe entregaron medicamentos.\n",
                                  encoding="utf-8")
    problems: list[str] = []
    got = list(iter_pool([corpus, tagged, folder], problems=problems))
    assert [(c.id, c.text) for c in got[:3]] == [("d1:0", "Primero."), ("d1:1", "Segundo párrafo."), ("d1:2", "Tercero.")]
    assert got[3].id == "d2:4" and got[3].doc_id == "d2"
    assert [c.register for c in got[4:]] == ["written", "written"]
    assert len(problems) == 2 and all(str(tagged) in p for p in problems)


def test_select_command_writes_a_batch_that_data_add_accepts_once_labeled(tiny_model_dir, tiny_data, tmp_path, capsys):
    pool = tmp_path / "pool.jsonl"
    texts = ["Se compraron vacunas y jeringas para los almacenes del estado de Oaxaca este mes.",
             "El sindicato de trabajadores del hospital anunció un paro por falta de pago de bonos.",
             "Se rehabilitó el área de urgencias del hospital general con nuevo equipo médico.",
             "La jefa de la jurisdicción sanitaria destacó la participación de la población en la jornada."]
    pool.write_text("".join(json.dumps({"id": f"p{i}", "doc_id": f"new{i}", "para_idx": 0, "text": t,
                                        "date": "2024-05-05"}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    out = tmp_path / "batch.jsonl"
    assert main(["select", str(tiny_model_dir), str(pool), "--n", "3", "--out", str(out),
                 "--data-dir", str(tiny_data)]) == 0
    batch = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(batch) == 3 and all("select" in r for r in batch)
    assert "selected 3 of 4" in capsys.readouterr().err
    for r in batch:  # the annotator's part
        r.update(labels=[], source="test", annotator="person:ana", guide_version=3)
    out.write_text("".join(json.dumps(r) + "\n" for r in batch))
    assert main(["data", "add", str(out), "--data-dir", str(tiny_data)]) == 0
    train = [json.loads(line) for line in (tiny_data / "gold" / "train.jsonl").read_text().splitlines()]
    assert {r["id"] for r in batch} <= {r["id"] for r in train} and all("select" not in r for r in train)
    capsys.readouterr()
    assert main(["data", "add", str(out), "--data-dir", str(tiny_data)]) == 2  # the same batch again
    assert "already in the data" in capsys.readouterr().err


def _batch(tmp_path: Path, **over) -> Path:
    rec = {"id": "n1", "doc_id": "nd1", "para_idx": 0, "text": "Un párrafo nuevo sobre plazas de enfermería.",
           "labels": ["human_resources"], "source": "test", "date": "2024-01-01", "annotator": "person:ana",
           "guide_version": 3} | over
    p = tmp_path / "b.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    return p


@pytest.mark.parametrize(("over", "message"), [
    ({"labels": ["salud"]}, "unknown label 'salud'"),
    ({"labels": ["infrastructure", "governance"]}, "sorted"),
    ({"annotator": "model:default"}, "silver"),
    ({"guide_version": 2}, "guide version 3"),
    ({"id": "tr0:0"}, "already in the data"),
    ({"text": "Se distribuyeron 12 mil cajas de insulina a los almacenes estatales."}, "already labeled"),
    ({"doc_id": "te1"}, "leak between splits"),
    ({"extra": 1}, "unknown field 'extra'"),
])
def test_data_add_refuses_bad_batches_and_writes_nothing(tiny_data, tmp_path, over, message):
    before = (tiny_data / "gold" / "train.jsonl").read_bytes()
    with pytest.raises(DataError, match=message):
        add_batch(_batch(tmp_path, **over), tiny_data)
    assert (tiny_data / "gold" / "train.jsonl").read_bytes() == before


def test_data_add_dry_run_and_duplicate_ids_in_batch(tiny_data, tmp_path):
    p = _batch(tmp_path)
    assert add_batch(p, tiny_data, dry_run=True) == 1
    p.write_text(p.read_text() + p.read_text().replace("Un párrafo nuevo", "Otro párrafo"))
    with pytest.raises(DataError, match="twice in the batch"):
        add_batch(p, tiny_data)


def test_select_uses_the_shipped_model_by_path():
    tagger = bulletin_clf.load()
    pool = _pool({"z": ["Se contrataron cinco mil médicos para los hospitales del IMSS-Bienestar en Oaxaca.",
                        "Buenas tardes, gracias por la invitación a esta conferencia de prensa matutina."]})
    chosen = select_paragraphs([tagger], pool, n=2, per_doc=2)
    assert {r["id"] for r in chosen} == {"z:0", "z:1"}
    assert set(chosen[0]["select"]["model_scores"]) == set(bulletin_clf.LABELS)
