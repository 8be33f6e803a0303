"""Nothing the user points the batch at is destroyed or lost (issue 11): output checks,
the append-only partial file, resume after a kill at any moment, the lock, train --out."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin_clf.cli import main
from bulletin_clf.output import PartialRun, display_path

PARAS = [
    "La convocatoria ofrece plazas para médicos especialistas en hospitales rurales.",
    "Se distribuyeron medicamentos a los almacenes estatales del instituto.",
    "El gobierno firmó el convenio de adhesión al IMSS-Bienestar con la federación.",
    "Se concluyó la rehabilitación del centro de salud y su sala de urgencias.",
    "Muchas gracias, buenas tardes a todas y a todos.",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(12):
        (d / f"r{i:02d}.txt").write_text("\n\n".join(PARAS[j % 5] + f" Número {i}-{j}." for j in range(i % 4 + 2)),
                                         encoding="utf-8")
    (d / "same_a.txt").write_text(PARAS[0], encoding="utf-8")  # two files, one text
    (d / "same_b.txt").write_text(PARAS[0], encoding="utf-8")
    return d


def _tag(folder: Path, out: Path, model: Path, *extra: str) -> int:
    return main(["tag", str(folder), "--model", str(model), "--out", str(out), "--no-progress", *extra])


@pytest.mark.parametrize("make", ["fifo", "dir", "input", "same_two"])
def test_unsafe_outputs_are_refused_before_any_work(folder, tiny_model_dir, tmp_path, make, capsys):
    if make == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
        argv = ["--out", str(target)]
    elif make == "dir":
        argv = ["--out", str(tmp_path)]
    elif make == "input":
        argv = ["--out", str(folder / "r00.txt")]
    else:
        argv = ["--out", str(tmp_path / "x.jsonl"), "--html", str(tmp_path / "x.jsonl")]
    before = {p: p.read_bytes() for p in folder.iterdir()}
    code = main(["tag", str(folder), "--model", str(tiny_model_dir), "--no-progress", *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: ")
    assert {p: p.read_bytes() for p in folder.iterdir()} == before
    assert not list(tmp_path.glob("*.partial"))
    if make == "fifo":
        assert Path(tmp_path / "pipe").is_fifo()


def test_two_files_with_the_same_text_are_two_documents(folder, tiny_model_dir, tmp_path):
    out = tmp_path / "o.jsonl"
    assert _tag(folder, out, tiny_model_dir) == 0
    sources = {Path(json.loads(line)["source"]).name for line in out.read_text().splitlines()}
    assert {"same_a.txt", "same_b.txt"} <= sources


def _reference(folder: Path, model: Path, tmp_path: Path) -> bytes:
    ref = tmp_path / "ref.jsonl"
    assert _tag(folder, ref, model) == 0
    return ref.read_bytes()


@settings(max_examples=25, deadline=None)
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_resume_after_the_partial_file_is_cut_anywhere_loses_and_duplicates_nothing(
    folder_and_ref, tiny_model_dir, cut
):
    """A kill can leave the partial file cut at any byte; resume must rebuild the same output."""
    folder, ref, full_partial, work = folder_and_ref
    out = work / "o.jsonl"
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(full_partial[: int(cut * len(full_partial))])
    out.unlink(missing_ok=True)
    assert _tag(folder, out, tiny_model_dir, "--resume") == 0
    assert out.read_bytes() == ref
    assert not partial.exists()


@pytest.fixture(scope="module")
def folder_and_ref(tmp_path_factory, tiny_model_dir):
    work = tmp_path_factory.mktemp("cut")
    folder = work / "in"
    folder.mkdir()
    for i in range(8):
        (folder / f"r{i}.txt").write_text("\n\n".join(PARAS[(i + j) % 5] + f" {i}.{j}" for j in range(3)),
                                          encoding="utf-8")
    ref = work / "ref.jsonl"
    assert _tag(folder, ref, tiny_model_dir) == 0
    # the partial file of a complete run, as it stands just before finalising
    import bulletin_clf.output as output

    real = output.PartialRun.finalize
    output.PartialRun.finalize = lambda self, fmt, on_record=None: 0  # keep the partial
    try:
        keep = work / "keep.jsonl"
        assert _tag(folder, keep, tiny_model_dir) == 0
        full = (work / "keep.jsonl.partial").read_bytes()
    finally:
        output.PartialRun.finalize = real
    return folder, ref.read_bytes(), full, work


def test_resume_with_other_options_is_refused_or_forced(folder, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    run = PartialRun(out, {"model": "x"})
    run.path.write_text(json.dumps({"_format": "bulletin_clf.partial/1", "options": {
        "model": "other", "thresholds": [0.5] * 4, "explain": 0, "version": "0"}}) + "\n")
    assert _tag(folder, out, tiny_model_dir, "--resume", "--threshold", "0.3") == 2
    err = capsys.readouterr().err
    assert "--model" in err and "--threshold" in err and "--force" in err
    assert _tag(folder, out, tiny_model_dir, "--resume", "--force") == 0
    assert out.exists() and not run.path.exists()


def test_a_second_run_on_the_same_output_is_refused(folder, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    holder = PartialRun(out, {})
    holder.lock()
    try:
        assert _tag(folder, out, tiny_model_dir) == 2
        assert "another bulletin-clf run" in capsys.readouterr().err
    finally:
        holder.release()
    assert _tag(folder, out, tiny_model_dir) == 0


def test_disk_full_keeps_the_earlier_output_and_the_partial(folder, tiny_model_dir, tmp_path, monkeypatch, capsys):
    import errno

    import bulletin_clf.output as output

    out = tmp_path / "o.jsonl"
    out.write_text("earlier good output\n")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full)
    assert _tag(folder, out, tiny_model_dir) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no space left" in err and "--resume" in err
    assert out.read_text() == "earlier good output\n"
    assert out.with_name("o.jsonl.partial").stat().st_size > 0


def test_non_utf8_file_names_are_tagged_and_shown_escaped(tiny_model_dir, tmp_path, capsys):
    d = tmp_path / "in"
    d.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (d / name).write_text(PARAS[0], encoding="utf-8")
    (d / "ok.txt").write_text(PARAS[1], encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert _tag(d, out, tiny_model_dir) == 0
    sources = [json.loads(line)["source"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert any(s.endswith("caf\\xe9.txt") for s in sources) and any(s.endswith("ok.txt") for s in sources)
    assert display_path(b"a\xff".decode("utf-8", "surrogateescape")) == "a\\xff"


def test_kill_at_random_moments_then_resume_is_byte_identical(folder, tiny_model_dir, tmp_path):
    """Ten real SIGKILLs of the command at random moments, finalising included."""
    big = tmp_path / "big"
    big.mkdir()
    for i in range(150):
        (big / f"r{i:03d}.txt").write_text("\n\n".join(PARAS[(i + j) % 5] + f" {i}.{j}" for j in range(4)),
                                           encoding="utf-8")
    ref = _reference(big, tiny_model_dir, tmp_path)
    out = tmp_path / "killed.jsonl"
    cmd = [sys.executable, "-m", "bulletin_clf.cli", "tag", str(big), "--model", str(tiny_model_dir),
           "--out", str(out), "--no-progress", "--jobs", "1", "--resume"]
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    rng = random.Random(11)
    for _ in range(10):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=120)
    assert out.read_bytes() == ref


def test_train_out_refuses_a_folder_that_is_not_a_model(tiny_data, tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: t\nfeatures: {word: {ngram_range: [1, 1], min_df: 1}}\nmodel: {type: logreg}\n"
                   "thresholds: {strategy: fixed}\ncv: {folds: 2}\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    (work / "sub").mkdir()
    (work / "sub" / "keep.txt").write_text("mine too")
    argv = ["train", str(cfg), "--out", str(work), "--data-dir", str(tiny_data), "--no-progress", "--no-cv"]
    assert main(argv) == 2
    assert "not a model directory" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
    assert (work / "notes.txt").read_text() == "mine" and (work / "sub" / "keep.txt").read_text() == "mine too"
    manifest = json.loads((work / "manifest.json").read_text())
    assert "notes.txt" not in manifest["files"] and not any("/" in f for f in manifest["files"])
    model = tmp_path / "model"
    assert main([*argv[:3], str(model), *argv[4:]]) == 0
    assert main([*argv[:3], str(model), *argv[4:]]) == 0  # retraining into a model directory is fine
    assert json.loads((model / "manifest.json").read_text())["files"].keys() == manifest["files"].keys()
