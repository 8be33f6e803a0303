import json
from pathlib import Path

import numpy as np
import pytest

from bulletin_clf import load, tag_files
from bulletin_clf.errors import ModelLoadError
from bulletin_clf.tag import iter_input_files, spanish_share

RELEASE = (
    "BOLETÍN DE PRENSA\n\n"
    "La convocatoria ofrece plazas para médicos especialistas en hospitales rurales.\n\n"
    "Se distribuyeron cajas de insulina a los almacenes estatales y mejoró el abasto.\n\n"
    "Buenas tardes a todos, agradezco la presencia del gobernador.\n\n-0-\n"
)


def test_predict_and_proba_are_aligned(tiny_model_dir):
    tagger = load(tiny_model_dir)
    paras = ["Se contrataron enfermeras para cubrir el déficit.", "Muchas gracias a todos."]
    proba = tagger.predict_proba(paras)
    assert proba.shape == (2, 4)
    labels = tagger.predict(paras)
    assert labels[0] == ("human_resources",)
    assert labels[1] == ()
    for row, labs in zip(proba, labels, strict=True):
        assert set(labs) == {tagger.labels[j] for j in np.flatnonzero(row >= tagger.thresholds)}
    with pytest.raises(TypeError, match="not one string"):
        tagger.predict_proba("un solo texto")


def test_tag_text_segments_and_tags(tiny_model_dir):
    tagged = load(tiny_model_dir).tag_text(RELEASE, explain=3)
    assert [p.index for p in tagged] == [0, 1, 2]
    assert tagged[0].text.startswith("La convocatoria")
    assert tagged[0].labels == ("human_resources",)
    assert tagged[1].labels == ("medicine_supply",)
    assert set(tagged[0].scores) == set(load(tiny_model_dir).labels)
    assert tagged[0].terms is not None and tagged[0].terms["human_resources"]


def test_threshold_override(tiny_model_dir):
    low = load(tiny_model_dir, thresholds=0.01).predict(["Buenas tardes."])[0]
    assert len(low) == 4
    high = load(tiny_model_dir, thresholds={"human_resources": 0.99}).predict(["Se contrataron enfermeras."])[0]
    assert "human_resources" not in high
    with pytest.raises(ValueError, match="unknown label"):
        load(tiny_model_dir, thresholds={"drugs": 0.5})
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        load(tiny_model_dir, thresholds=1.5)


def test_top_features(tiny_model_dir):
    top = load(tiny_model_dir).top_features(5)
    assert set(top) == {"medicine_supply", "human_resources", "infrastructure", "governance"}
    assert all(len(v) == 5 for v in top.values())


def test_tag_files_reports_errors_per_file_and_keeps_going(tiny_model_dir, tmp_path):
    (tmp_path / "a.txt").write_text(RELEASE, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "c.txt").write_text("-0-\n\nLINK DE FOTOS\nhttps://example.org/x\n", encoding="utf-8")
    (tmp_path / "ignored.xlsx").write_bytes(b"PK")
    docs = list(tag_files([tmp_path, tmp_path / "missing.txt"], tagger=load(tiny_model_dir)))
    by_name = {d.path.split("/")[-1]: d for d in docs}
    assert set(by_name) == {"a.txt", "b.txt", "c.txt", "missing.txt"}
    assert by_name["a.txt"].error is None and len(by_name["a.txt"].paragraphs) == 3
    assert {d.reason for d in by_name["a.txt"].dropped} == {"header", "closing mark"}
    assert "binary" in by_name["b.txt"].error
    assert "no content paragraphs" in by_name["c.txt"].error
    assert "no such file" in by_name["missing.txt"].error
    for d in docs:
        if d.error:
            assert d.error.startswith(d.path) and "\n" not in d.error


def test_unreadable_file_in_a_folder_fails_alone(tiny_model_dir, tmp_path, monkeypatch):
    # Simulated, because chmod 000 does not stop root (CI may run as root).
    (tmp_path / "a.txt").write_text(RELEASE, encoding="utf-8")
    (tmp_path / "secreto.txt").write_text(RELEASE, encoding="utf-8")
    real_open = Path.open

    def guarded_open(self, *args, **kwargs):
        if self.name == "secreto.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    docs = {Path(d.path).name: d for d in tag_files([tmp_path], tagger=load(tiny_model_dir))}
    assert docs["a.txt"].error is None and docs["a.txt"].paragraphs
    assert docs["secreto.txt"].error == f"{tmp_path / 'secreto.txt'}: permission denied"


def test_parallel_and_serial_give_the_same_result(tiny_model_dir, tmp_path):
    for i in range(6):
        (tmp_path / f"r{i}.txt").write_text(RELEASE + f"\n\nPárrafo número {i} sobre el abasto.", encoding="utf-8")
    tagger = load(tiny_model_dir)
    serial = [(d.path, [p.scores for p in d.paragraphs]) for d in tag_files([tmp_path], tagger=tagger, n_jobs=1)]
    parallel = [(d.path, [p.scores for p in d.paragraphs]) for d in tag_files([tmp_path], tagger=tagger, n_jobs=2)]
    assert serial == parallel


def test_skip_is_keyed_by_path_and_content(tiny_model_dir, tmp_path):
    (tmp_path / "a.txt").write_text(RELEASE, encoding="utf-8")
    (tmp_path / "copy.txt").write_text(RELEASE, encoding="utf-8")  # same text, another file
    tagger = load(tiny_model_dir)
    first = next(iter(tag_files([tmp_path / "a.txt"], tagger=tagger)))
    left = list(tag_files([tmp_path], tagger=tagger, skip=frozenset({(first.path, first.doc_id)})))
    assert [Path(d.path).name for d in left] == ["copy.txt"] and left[0].doc_id == first.doc_id


def test_tag_files_refuses_a_single_string(tiny_model_dir):
    with pytest.raises(TypeError, match="wrap it in a list"):
        next(iter(tag_files("examples/seeds", tagger=load(tiny_model_dir))))


def test_skipped_documents_are_not_segmented_or_tagged(tiny_model_dir, tmp_path, monkeypatch):
    from bulletin_clf import tag as tag_module

    (tmp_path / "a.txt").write_text(RELEASE, encoding="utf-8")
    tagger = load(tiny_model_dir)
    first = tag_module.tag_document(tagger, tmp_path / "a.txt")

    def fail(*args, **kwargs):
        raise AssertionError("a skipped document reached the segmenter")

    monkeypatch.setattr(tag_module, "segment", fail)
    again = tag_module.tag_document(tagger, tmp_path / "a.txt", skip=frozenset({(first.path, first.doc_id)}))
    assert again.doc_id == first.doc_id and again.paragraphs == [] and again.error is None and again.skipped


def test_non_spanish_text_gets_a_warning(tiny_model_dir, tmp_path):
    english = "The hospital will receive new equipment and the staff will be trained next year. " * 5
    (tmp_path / "en.txt").write_text(english, encoding="utf-8")
    doc = next(iter(tag_files([tmp_path / "en.txt"], tagger=load(tiny_model_dir))))
    assert doc.error is None and any("does not look like Spanish" in w for w in doc.warnings)
    assert spanish_share("El abasto de los medicamentos en la ciudad") > 0.3


def test_symlink_loop_is_reported_not_followed_forever(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("Hola", encoding="utf-8")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    items = list(iter_input_files([tmp_path]))
    assert any(p.name == "a.txt" and problem is None for p, problem in items)
    assert any(problem and "loop" in problem for _, problem in items)


def test_missing_default_model_has_clear_error(monkeypatch, tmp_path):
    import bulletin_clf.tag as tag_mod

    monkeypatch.setattr(tag_mod, "_default_model_dir", lambda: tmp_path / "nothing")
    with pytest.raises(ModelLoadError, match="shipped default model is missing"):
        load()


def test_parallel_predict_matches_serial(tiny_model_dir, monkeypatch):
    import bulletin_clf.tag as tag_mod

    monkeypatch.setattr(tag_mod, "_PARALLEL_MIN", 10)
    tagger = load(tiny_model_dir)
    texts = [t for t, _ in __import__("conftest").TINY] * 2
    assert np.array_equal(tagger.predict_proba(texts, n_jobs=2), tagger.predict_proba(texts))


def test_array_backend_matches_the_pickled_pipeline(tiny_model_dir):
    from conftest import TINY, TINY_EVAL

    texts = [t for t, _ in TINY + TINY_EVAL] + ["", "¡Hola! 123", "ﬁ año 2025 — Ñandú"]
    fast = load(tiny_model_dir)
    full = load(tiny_model_dir, backend="pickle", allow_pickle=True)
    assert type(fast._model).__name__ == "LinearScorer"
    assert np.allclose(fast.predict_proba(texts), full.predict_proba(texts), atol=1e-6)
    assert fast.predict(texts) == full.predict(texts)
    para = "Se contrataron enfermeras y médicos especialistas para el hospital."
    assert fast.explain(para, top=3) == full.explain(para, top=3)
    assert fast.top_features(5) == full.top_features(5)


def test_array_backend_loads_without_importing_sklearn(tiny_model_dir):
    import subprocess
    import sys

    code = (
        "import sys, bulletin_clf; t = bulletin_clf.load(sys.argv[1]); t.predict(['abasto de medicamentos']); "
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tiny_model_dir)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tampered_arrays_are_refused(model_copy):
    with open(model_copy / "linear.npz", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="'linear.npz' does not match its SHA-256"):
        load(model_copy)


def test_batch_tagger_with_datasets_map_in_worker_processes(tiny_model_dir):
    import pickle

    from datasets import Dataset

    from bulletin_clf import BatchTagger

    texts = ["Se contrataron enfermeras para cubrir el déficit.", "Buenas tardes a todos.", None] * 20
    ds = Dataset.from_dict({"text": texts, "n": list(range(len(texts)))})
    fn = BatchTagger(tiny_model_dir)
    assert len(pickle.dumps(fn)) < 1000  # only the path travels to the workers
    serial = ds.map(fn, batched=True, batch_size=8)
    parallel = ds.map(fn, batched=True, batch_size=8, num_proc=2)
    assert serial["labels"] == parallel["labels"] and serial["score_governance"] == parallel["score_governance"]
    expected = load(tiny_model_dir).predict([t or "" for t in texts])
    assert serial["labels"] == [list(x) for x in expected] and serial["n"] == list(range(len(texts)))
    with pytest.raises(KeyError, match="no column 'body'"):
        BatchTagger(tiny_model_dir, text_column="body")({"text": ["x"]})


def test_fast_record_lines_equal_json_dumps_of_the_records(tiny_model_dir, tmp_path):
    """The batch command formats records without dicts; the bytes must equal json.dumps of the dicts."""
    from bulletin_clf.tag import DocLines, collect_input_files, iter_tagged_lines

    texts = {
        "a.txt": 'Se contrataron "médicos" y enfermeras\\ para el año 2024.\n\nBuenas tardes, señor €.\n',
        "b.txt": "The hospital will receive equipment and staff will be trained next year. " * 3,
        "c.txt": "Se distribuyeron medicamentos \u2028 a los almacenes \U0001F600 del estado.\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    tagger = load(tiny_model_dir)
    for explain, jobs in ((0, 1), (2, 1), (0, 2)):
        got = list(iter_tagged_lines(collect_input_files([tmp_path]), tagger=tagger, explain=explain, n_jobs=jobs,
                                     date="2024-06-12"))
        objs = list(tag_files([tmp_path], tagger=tagger, explain=explain, n_jobs=jobs))
        assert [d.path for d in got] == [d.path for d in objs] and all(isinstance(d, DocLines) for d in got)
        for lines, doc in zip(got, objs, strict=True):
            expected = ""
            for p in doc.paragraphs:
                rec = {"source": doc.path, "doc_id": doc.doc_id, "para_idx": p.index, "text": p.text,
                       "labels": list(p.labels), "scores": p.scores}
                if p.terms is not None:
                    rec["terms"] = p.terms
                if doc.warnings:
                    rec["warnings"] = doc.warnings
                rec["date"] = "2024-06-12"
                expected += json.dumps(rec, ensure_ascii=False) + "\n"
            assert lines.lines == expected.encode("utf-8")
    assert any("does not look like Spanish" in w for d in got for w in d.warnings)


def test_language_check_works_on_short_texts():
    from bulletin_clf.tag import looks_non_spanish

    assert looks_non_spanish("Le ministère de la santé annonce de nouveaux hôpitaux pour la région.")
    assert not looks_non_spanish("La secretaría de salud anunció nuevos hospitales para la región.")
    assert not looks_non_spanish("Hospital General")  # too few words to tell


def test_a_worker_that_dies_fails_only_its_files(tiny_model_dir, tmp_path, monkeypatch):
    """Like the out-of-memory killer: the worker reading one file exits; the batch goes on."""
    import os as _os

    from bulletin_clf import tag as tag_module

    for i in range(40):
        (tmp_path / f"r{i:02d}.txt").write_text(RELEASE + f"\n\nPárrafo {i} sobre el abasto.", encoding="utf-8")
    real = tag_module._read_one

    def deadly(path, problem, kwargs):
        if path.name == "r05.txt" and problem is None and _os.getpid() != parent:
            _os._exit(9)  # only inside a worker process
        return real(path, problem, kwargs)

    parent = _os.getpid()
    monkeypatch.setattr(tag_module, "_read_one", deadly)
    docs = list(tag_files([tmp_path], tagger=load(tiny_model_dir), n_jobs=2))
    assert len(docs) == 40
    failed = [d for d in docs if d.error]
    assert 1 <= len(failed) <= 8 and any(d.path.endswith("r05.txt") for d in failed)
    assert all("worker process" in d.error for d in failed)
    assert all(d.paragraphs for d in docs if not d.error)


def test_score_steps_equal_pythons_round_to_four_decimals():
    """Records carry scores as round(p, 4); the batch formatter rounds in numpy."""
    from bulletin_clf.tag import _SCORE_STEPS, _score_steps

    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.random(200_000),
        (np.arange(10_000) + 0.5) / 10_000,  # half steps, as close as floats get
        np.nextafter((np.arange(10_000) + 0.5) / 10_000, 0.0),
        np.nextafter((np.arange(10_000) + 0.5) / 10_000, 1.0),
        [0.0, 1.0, 5e-5, 0.99995, 1e-300],
    ])
    steps = _score_steps(values.reshape(-1, 5)).ravel()
    assert [round(v, 4) for v in values.tolist()] == [k / _SCORE_STEPS for k in steps.tolist()]
