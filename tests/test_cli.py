import json
import subprocess
import sys
from pathlib import Path

import pytest

from bulletin_clf import cli
from bulletin_clf.cli import main

RELEASE_A = "La convocatoria ofrece plazas para médicos especialistas.\n\nSe distribuyeron medicamentos a los almacenes.\n"
RELEASE_B = "El gobierno firmó el convenio de adhesión al IMSS-Bienestar.\n\nMuchas gracias, buenas tardes.\n"


@pytest.fixture
def releases(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.txt").write_text(RELEASE_A, encoding="utf-8")
    (d / "b.md").write_text(RELEASE_B, encoding="utf-8")
    return d


def _lines(path):
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines()]


def test_help_for_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    top = capsys.readouterr().out
    for sub in ("tag", "train", "evaluate", "explain", "compare", "data", "report"):
        assert sub in top
        with pytest.raises(SystemExit):
            main([sub, "--help"])
        assert "usage: bulletin-clf " + sub in capsys.readouterr().out


def test_installed_command_runs():
    exe = Path(sys.executable).parent / "bulletin-clf"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("bulletin-clf ")


def test_tag_jsonl_to_stdout(releases, tiny_model_dir, capsys):
    assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--no-progress"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(Path(r["source"]).name, r["para_idx"]) for r in recs] == [("a.txt", 0), ("a.txt", 1), ("b.md", 0), ("b.md", 1)]
    assert recs[0]["labels"] == ["human_resources"]
    assert set(recs[0]["scores"]) == {"medicine_supply", "human_resources", "infrastructure", "governance"}


def test_tag_outputs_are_atomic_deterministic_and_in_every_format(releases, tiny_model_dir, tmp_path):
    out1, out2 = tmp_path / "o1.jsonl", tmp_path / "o2.jsonl"
    for out in (out1, out2):
        assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(out), "--no-progress",
                     "--summary", str(tmp_path / "s.csv"), "--html", str(tmp_path / "r.html")]) == 0
    assert out1.read_bytes() == out2.read_bytes()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.progress"))
    assert "main_topic" in (tmp_path / "s.csv").read_text()
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    csv_out = tmp_path / "o.csv"
    assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(csv_out), "--format", "csv", "--no-progress"]) == 0
    assert csv_out.read_text().splitlines()[0].startswith("source,doc_id,para_idx,text,labels,score_medicine_supply")
    pq_out = tmp_path / "o.parquet"
    assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(pq_out), "--format", "parquet", "--no-progress"]) == 0
    import pyarrow.parquet as pq

    assert pq.read_table(pq_out).num_rows == 4


def test_bad_files_fail_alone_with_exit_1(releases, tiny_model_dir, tmp_path, capsys):
    (releases / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    out = tmp_path / "o.jsonl"
    code = main(["tag", str(releases), str(tmp_path / "nope.txt"), "--model", str(tiny_model_dir), "--out", str(out), "--no-progress"])
    assert code == cli.EXIT_FILES_FAILED
    err = capsys.readouterr().err
    assert "error: " + str(releases / "broken.pdf") + ": corrupt or unreadable PDF" in err
    assert "nope.txt: no such file or directory" in err
    assert "Traceback" not in err
    assert {Path(r["source"]).name for r in _lines(out)} == {"a.txt", "b.md"}


def test_usage_and_model_errors_have_exit_codes(releases, tiny_model_dir, tmp_path, capsys):
    assert main(["tag", str(releases), "--model", str(tmp_path / "none"), "--no-progress"]) == cli.EXIT_MODEL
    assert "model directory does not exist" in capsys.readouterr().err
    assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--threshold", "drugs=0.3"]) == cli.EXIT_USAGE
    assert main(["tag", str(releases), "--format", "parquet"]) == cli.EXIT_USAGE
    assert "needs --out" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "missing.yaml")]) == cli.EXIT_USAGE
    assert "no such config file" in capsys.readouterr().err


def test_interrupted_run_keeps_valid_partial_and_resume_completes(releases, tiny_model_dir, tmp_path, monkeypatch, capsys):
    reference = tmp_path / "ref.jsonl"
    assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(reference), "--no-progress"]) == 0
    out = tmp_path / "o.jsonl"
    out.write_text("previous output\n")

    import bulletin_clf.tag as tag_mod

    real = tag_mod.iter_tagged_lines

    def interrupted(*args, **kwargs):
        gen = real(*args, **kwargs)
        yield next(gen)
        raise KeyboardInterrupt

    monkeypatch.setattr(tag_mod, "iter_tagged_lines", interrupted)
    code = main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(out), "--no-progress"])
    assert code == cli.EXIT_INTERRUPTED
    assert "--resume" in capsys.readouterr().err
    assert out.read_text() == "previous output\n"  # untouched until a run completes
    partial = out.with_name(out.name + ".partial")
    lines = _lines(partial)
    assert lines[0]["_format"] == "bulletin_clf.partial/1"  # header: the options that shape the records
    assert [Path(r["source"]).name for r in lines if "source" in r] == ["a.txt", "a.txt"]
    assert [Path(r["_done"]["source"]).name for r in lines if "_done" in r] == ["a.txt"]
    # a kill can also cut the last record in half; resume must drop it
    with open(partial, "a", encoding="utf-8") as fh:
        fh.write('{"source": "b.md", "doc_id": "x", "text": "cut')
    monkeypatch.setattr(tag_mod, "iter_tagged_lines", real)
    out.unlink()
    assert main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(out), "--resume", "--no-progress"]) == 0
    assert out.read_bytes() == reference.read_bytes()


def test_resume_without_a_partial_run_starts_afresh(releases, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "o.csv"
    args = ["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(out), "--format", "csv", "--no-progress"]
    assert main(args) == 0
    first = out.read_bytes()
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    assert "tagged 2 documents" in capsys.readouterr().err
    assert out.read_bytes() == first


def test_report_and_explain_commands(releases, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    main(["tag", str(releases), "--model", str(tiny_model_dir), "--out", str(out), "--no-progress"])
    assert main(["report", str(out), "--summary", str(tmp_path / "s.csv")]) == 0
    assert (tmp_path / "s.csv").read_text().count("\n") == 3
    assert main(["explain", str(tiny_model_dir), "--top", "3"]) == 0
    assert "medicine_supply:" in capsys.readouterr().out
    assert main(["explain", str(tiny_model_dir), "--text", "Se contrataron enfermeras."]) == 0
    assert "labels: human_resources" in capsys.readouterr().out


def test_train_and_evaluate_commands(tiny_data, tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: t\nfeatures: {word: {ngram_range: [1, 1], min_df: 1}}\nmodel: {type: logreg}\ncv: {folds: 2}\n")
    assert main(["train", str(cfg), "--out", str(tmp_path / "m"), "--data-dir", str(tiny_data), "--no-progress"]) == 0
    assert "CV macro-F1" in capsys.readouterr().out
    assert main(["evaluate", str(tmp_path / "m"), "--split", "temporal_test", "--data-dir", str(tiny_data)]) == 0
    assert "macro" in capsys.readouterr().out
    assert main(["data", "check", "--data-dir", str(tiny_data)]) == 0


def test_threshold_global_plus_per_label_overrides():
    assert cli._threshold_arg(["0.4", "governance=0.6"]) == {
        "medicine_supply": 0.4, "human_resources": 0.4, "infrastructure": 0.4, "governance": 0.6}
    assert cli._threshold_arg(["governance=0.6"]) == {"governance": 0.6}
    assert cli._threshold_arg(["0.3"]) == 0.3
    for bad, msg in ((["0.4", "0.5"], "one global value"), (["drugs=0.3"], "unknown label"), (["1.5"], "between 0 and 1"),
                     (["x"], "not a number")):
        with pytest.raises(cli.BulletinError, match=msg):
            cli._threshold_arg(bad)


def test_stdin_release_with_name_and_date(tiny_model_dir, monkeypatch, capsysbinary):
    import io

    text = "La convocatoria ofrece plazas para médicos especialistas.\n\nBuenas tardes.\n".encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
    assert main(["tag", "-", "--name", "boletin_2024.txt", "--date", "2024-06-12", "--model", str(tiny_model_dir),
                 "--no-progress"]) == 0
    recs = [json.loads(line) for line in capsysbinary.readouterr().out.decode().splitlines()]
    assert [r["source"] for r in recs] == ["boletin_2024.txt", "boletin_2024.txt"]
    assert {r["date"] for r in recs} == {"2024-06-12"} and recs[0]["labels"] == ["human_resources"]


def test_bad_date_and_stdin_name_are_one_line_errors(tiny_model_dir, capsys):
    assert main(["tag", "-", "--name", "x.rtf", "--model", str(tiny_model_dir)]) == 2
    assert main(["tag", "x.txt", "--date", "12/06/2024", "--model", str(tiny_model_dir)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "suffix must say the format" in err[0] and "YYYY-MM-DD" in err[1]


def test_every_option_has_help_text():
    import argparse

    def walk(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from walk(sub)
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                yield parser.prog, action

    missing = [f"{prog} {a.dest}" for prog, a in walk(cli.build_parser()) if not a.help]
    assert missing == []


def test_evaluate_a_users_own_labeled_file(tiny_model_dir, tmp_path, capsys):
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"text": "Se contrataron enfermeras para el turno nocturno.", "labels": ["human_resources"]})
                 + "\n" + json.dumps({"text": "Buenas tardes.", "labels": []}) + "\n")
    assert main(["evaluate", str(tiny_model_dir), "--data", str(f)]) == 0
    assert f"{f} (n=2)" in capsys.readouterr().out
    f.write_text(json.dumps({"text": "x", "labels": ["salud"]}) + "\n")
    assert main(["evaluate", str(tiny_model_dir), "--data", str(f)]) == 2
    assert "unknown label 'salud'" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(tiny_model_dir, releases, tmp_path, monkeypatch):
    """No bar (and no tqdm import) with --no-progress or when stderr is not a terminal; a bar on a terminal."""
    code = (
        "import sys; from bulletin_clf.cli import main; "
        f"rc = main(['tag', {str(releases)!r}, '--model', {str(tiny_model_dir)!r}, '--out', {str(tmp_path / 'o.jsonl')!r}]); "
        "assert rc == 0 and 'tqdm' not in sys.modules, sorted(m for m in sys.modules if 'tqdm' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    import argparse

    args = argparse.Namespace(no_progress=False, quiet=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    bar = cli._progress_bar(args, 3)
    assert type(bar).__name__ == "tqdm_asyncio" or "tqdm" in type(bar).__module__
    bar.close()
    assert isinstance(cli._progress_bar(argparse.Namespace(no_progress=True, quiet=False), 3), cli._NoProgress)
