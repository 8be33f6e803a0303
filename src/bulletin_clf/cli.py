"""The ``bulletin-clf`` command.

Exit codes: 0 success; 1 some input files could not be tagged (the others
were); 2 usage, config or data error; 3 the model could not be loaded;
130 interrupted (partial output kept, continue with ``--resume``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._labels import LABELS
from ._version import __version__
from .errors import BulletinError, ConfigError, DataError, ModelLoadError

EXIT_OK, EXIT_FILES_FAILED, EXIT_USAGE, EXIT_MODEL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- tag ----------------------------------------------------------------------


def _threshold_arg(values: list[str] | None) -> float | dict[str, float] | None:
    """``--threshold X`` (every label), ``--threshold LABEL=X`` (one label), or both:
    a global value with per-label overrides, in any order."""
    if not values:
        return None
    glob: float | None = None
    per: dict[str, float] = {}
    for v in values:
        label, sep, num = v.partition("=")
        try:
            value = float(num if sep else label)
        except ValueError:
            raise BulletinError(f"--threshold {v!r}: not a number; use X or LABEL=X") from None
        if not 0 < value < 1:
            raise BulletinError(f"--threshold {v!r}: must be strictly between 0 and 1")
        if not sep:
            if glob is not None:
                raise BulletinError("--threshold: give one global value at most (and LABEL=X overrides)")
            glob = value
        elif label not in LABELS:
            raise BulletinError(f"--threshold {v!r}: unknown label {label!r}; labels are {', '.join(LABELS)}")
        else:
            per[label] = value
    if not per:
        return glob
    if glob is not None:
        return {label: per.get(label, glob) for label in LABELS}
    return per


def _add_allow_pickle(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help="allow unpickling model.joblib when the model has no array copy: this RUNS CODE "
        "from the model directory; only for models whose author you trust",
    )


def add_tag_parser(sub: Any) -> None:
    p = sub.add_parser(
        "tag",
        help="tag every paragraph of release files (txt, md, html, pdf, docx)",
        description="Tag every paragraph of release files with its topics. Folders are searched "
        "recursively. Output: one JSON object per paragraph (source, doc_id, para_idx, text, labels, scores).",
        epilog="examples:\n  bulletin-clf tag releases/ --out tagged.jsonl --summary summary.csv\n"
        "  bulletin-clf tag a.pdf b.docx --format csv --threshold governance=0.6\n"
        "  bulletin-clf tag releases/ --out tagged.jsonl --resume   # after an interruption",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files or folders; '-' reads one release from standard input (see --name)")
    p.add_argument("--name", metavar="NAME", default="stdin.txt",
                   help="with '-': the source name recorded for the release; its suffix (.txt, .html, .pdf, "
                   ".docx) says how to read it (default: stdin.txt)")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="the releases' date, recorded in every record and used by the summary and trends "
                   "(otherwise taken from the text, then from a date in the file name)")
    p.add_argument("--model", metavar="DIR", help="model directory (default: the shipped model)")
    _add_allow_pickle(p)
    p.add_argument(
        "--format",
        choices=("jsonl", "csv", "parquet"),
        default="jsonl",
        help="output format (default: jsonl)",
    )
    p.add_argument("--out", metavar="FILE", help="output file (default: stdout; required for parquet)")
    p.add_argument("--summary", metavar="FILE", help="also write one row per document (CSV) to FILE")
    p.add_argument(
        "--html", metavar="FILE", help="also write an HTML report with per-release topics and trends"
    )
    p.add_argument(
        "--threshold",
        action="append",
        metavar="X|LABEL=X",
        help="decision threshold for every label (X), for one label (LABEL=X), or both: "
        "'--threshold 0.4 --threshold governance=0.6' (repeatable)",
    )
    p.add_argument(
        "--explain", type=int, default=0, metavar="K", help="add the top K terms behind each predicted label"
    )
    p.add_argument(
        "--resume", action="store_true",
        help="continue an interrupted run from OUT.partial: finished files are kept, the rest are tagged",
    )
    p.add_argument(
        "--force", action="store_true",
        help="with --resume: start afresh when the interrupted run used other options",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: 1 for small inputs, all cores for large)",
    )
    p.add_argument(
        "--max-mb", type=float, default=64, metavar="MB", help="refuse files larger than this (default: 64)"
    )
    p.add_argument("--include-dropped", action="store_true", help="print dropped boilerplate lines to stderr")
    p.add_argument("--include-hidden", action="store_true",
                   help="also read hidden files and folders (names starting with '.') inside folders")
    p.add_argument("--verbose", action="store_true", help="name every file skipped inside folders")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no closing summary; errors only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(run=run_tag)


def _record(doc: Any, para: Any, *, date: str | None = None) -> dict[str, Any]:
    rec = {
        "source": doc.path,
        "doc_id": doc.doc_id,
        "para_idx": para.index,
        "text": para.text,
        "labels": list(para.labels),
        "scores": para.scores,
    }
    if para.terms is not None:
        rec["terms"] = para.terms
    if doc.warnings:
        rec["warnings"] = list(doc.warnings)
    if date is not None:
        rec["date"] = date
    return rec


def _read_output(path: Path) -> list[dict[str, Any]]:
    """Records of a tagged file: JSON Lines, CSV or Parquet (by its suffix)."""
    from .report import read_records

    return read_records(path)


def _options_fingerprint(tagger: Any, args: argparse.Namespace) -> dict[str, Any]:
    """What shapes the records: a resume with other values would mix two kinds of records."""
    return {
        "model": tagger.manifest.get("files", {}).get("linear.npz") or tagger.manifest.get("name"),
        "thresholds": [round(float(t), 6) for t in tagger.thresholds],
        "explain": args.explain,
        "version": __version__,
    }


def run_tag(args: argparse.Namespace) -> int:
    from .output import PartialRun, check_outputs, display_path
    from .read import SUPPORTED_SUFFIXES
    from .tag import load, tag_files

    thresholds = _threshold_arg(args.threshold)
    if args.format == "parquet" and not args.out:
        raise BulletinError("--format parquet needs --out FILE")
    if args.resume and not args.out:
        raise BulletinError("--resume needs --out FILE")
    if args.explain < 0:
        raise BulletinError("--explain must be 0 or more")
    if args.date is not None:
        import datetime

        try:
            datetime.date.fromisoformat(args.date)
        except ValueError:
            raise BulletinError(f"--date {args.date!r}: not a date in the form YYYY-MM-DD") from None
    check_outputs({"--out": args.out, "--summary": args.summary, "--html": args.html}, args.paths,
                  frozenset(SUPPORTED_SUFFIXES))
    tagger = load(args.model, thresholds=thresholds, allow_pickle=args.allow_pickle)
    out = Path(args.out) if args.out else None
    run: PartialRun | None = None
    done: set[tuple[str, str]] = set()
    if out is not None:
        run = PartialRun(out, _options_fingerprint(tagger, args))
        run.lock()
    try:
        if run is not None:
            done = run.start(resume=args.resume, force=args.force)
        return _tag_loop(args, tagger, run, done, tag_files, display_path)
    finally:
        if run is not None:
            run.release()


def _tag_loop(args: argparse.Namespace, tagger: Any, run: Any, done: set[tuple[str, str]],
              tag_files: Any, display_path: Any) -> int:
    from .output import stream_writer
    from .tag import collect_input_files

    stdin_dir = None
    paths = list(args.paths)
    if "-" in paths:
        stdin_dir, stdin_file = _stdin_release(args)
        paths = [str(stdin_file) if p == "-" else p for p in paths]
    inputs = collect_input_files(paths, include_hidden=args.include_hidden)
    if stdin_dir is not None:
        inputs.names[str(stdin_file)] = args.name
    try:
        return _tag_inputs(args, tagger, run, done, tag_files, display_path, inputs, stream_writer)
    finally:
        if stdin_dir is not None:
            stdin_dir.cleanup()


def _stdin_release(args: argparse.Namespace) -> tuple[Any, Path]:
    """Standard input saved to a private temporary file named like --name, so every reader applies."""
    import tempfile

    from .read import SUPPORTED_SUFFIXES

    if args.paths.count("-") > 1:
        raise BulletinError("'-' (standard input) can be given once")
    name = Path(args.name).name
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BulletinError(f"--name {args.name!r}: the suffix must say the format ({', '.join(SUPPORTED_SUFFIXES)})")
    limit = int(args.max_mb * 2**20)
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise BulletinError(f"standard input: over the --max-mb limit of {args.max_mb:g} MB")
    tmp = tempfile.TemporaryDirectory(prefix="bulletin-clf-stdin-")
    path = Path(tmp.name) / name
    path.write_bytes(data)
    return tmp, path


class _NoProgress:
    """The progress bar when none is shown: tqdm (75 ms to import) is not loaded for it."""

    def update(self, n: int = 1) -> None:
        pass

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(args: argparse.Namespace, total: int) -> Any:
    # As tqdm's disable=None: no bar when standard error is not a terminal.
    if args.no_progress or args.quiet or not sys.stderr.isatty():
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(desc="tagging", unit="file", total=total, file=sys.stderr)


def _tag_inputs(args: argparse.Namespace, tagger: Any, run: Any, done: set[tuple[str, str]],
                tag_files: Any, display_path: Any, inputs: Any, stream_writer: Any) -> int:
    if inputs.skipped and not args.quiet:
        _err(f"note: {inputs.skipped_summary()}" + ("" if args.verbose else " (--verbose names them)"))
        if args.verbose:
            for path, reason in inputs.skipped:
                _err(f"  skipped ({reason}): {display_path(path)}")
    stdout_writer = None
    if run is None and args.format != "jsonl":
        stdout_writer = stream_writer(args.format, sys.stdout.buffer)
    failed = n_docs = 0
    from .tag import iter_tagged_lines

    bar = _progress_bar(args, len(inputs.files))
    out_fh = sys.stdout.buffer if run is None and args.format == "jsonl" else None
    live_extras = _Extras(args) if run is None and (args.summary or args.html) else None
    try:
        for doc in iter_tagged_lines(
            inputs,
            tagger=tagger,
            explain=args.explain,
            n_jobs=args.jobs,
            skip=frozenset(done),
            max_bytes=int(args.max_mb * 2**20),
            date=args.date,
            debug=args.debug,
        ):
            bar.update(1)
            for w in doc.warnings:
                bar.clear()
                _err(f"warning: {w}")
            if args.include_dropped:
                for d in doc.dropped:
                    _err(f"dropped: {doc.path}: {d.reason}: {d.text[:80]}")
            if doc.error:
                failed += 1
                bar.clear()
                _err(f"error: {doc.error}")
                continue
            n_docs += 1
            if run is not None:
                run.add(doc.path, doc.doc_id, doc.lines)
            elif out_fh is not None:
                out_fh.write(doc.lines)
                out_fh.flush()
            else:
                for line in doc.lines.splitlines():
                    stdout_writer.write(json.loads(line))  # type: ignore[union-attr]
                sys.stdout.buffer.flush()
            if live_extras is not None:
                for line in doc.lines.splitlines():
                    live_extras.add(json.loads(line))
    except KeyboardInterrupt:
        bar.close()
        if run is not None:
            run.close()
            _err(f"interrupted: {_n(n_docs, 'document')} saved in {display_path(run.path)}; "
                 "rerun with --resume to continue")
        else:
            _err("interrupted")
        return EXIT_INTERRUPTED
    bar.close()
    if stdout_writer is not None:
        stdout_writer.close()
        sys.stdout.buffer.flush()
    if live_extras is not None:
        try:
            live_extras.write()
        finally:
            live_extras.close()
    if run is not None:
        run.close()
        extras = _Extras(args)
        try:
            run.finalize(args.format, on_record=extras.add if extras.wanted else None)
            extras.write()
        finally:
            extras.close()
    if not args.quiet:
        _err(f"tagged {_n(n_docs, 'document')}" + (f"; {_n(failed, 'file')} failed" if failed else ""))
    return EXIT_FILES_FAILED if failed else EXIT_OK


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class _Extras:
    """The summary CSV and HTML report, built from records as they stream past (flat memory)."""

    def __init__(self, args: argparse.Namespace) -> None:
        from .report import ReportBuilder

        self.args = args
        self.wanted = bool(args.summary or args.html)
        self.builder = ReportBuilder(html=bool(args.html)) if self.wanted else None

    def add(self, rec: dict[str, Any]) -> None:
        assert self.builder is not None
        self.builder.add(rec)

    def write(self) -> None:
        if self.builder is None:
            return
        if self.args.summary:
            self.builder.write_summary(Path(self.args.summary))
        if self.args.html:
            self.builder.write_html(Path(self.args.html))

    def close(self) -> None:
        if self.builder is not None:
            self.builder.close()


# --- train / evaluate / explain / compare -------------------------------------------


def add_train_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a model from a YAML experiment config",
        description="Train from an experiment config and write a model directory "
        "(model.joblib, manifest.json, metrics.json, report.md, plots).",
    )
    p.add_argument("config", help="experiments/NAME.yaml")
    p.add_argument("--out", metavar="DIR", help="model directory (default: runs/NAME)")
    p.add_argument("--data-dir", metavar="DIR", help="labeled data directory (default: ./data)")
    p.add_argument(
        "--no-cv",
        action="store_true",
        help="skip the report-only cross-validation (faster; CV still runs when the config tunes thresholds by CV)",
    )
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not a model directory (only the model's own files are replaced)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from .config import load_config
    from .train import train

    cfg = load_config(args.config)
    out = Path(args.out) if args.out else Path("runs") / cfg.name
    if args.no_cv and cfg.thresholds.strategy == "cv":
        _err(f"note: {args.config} tunes thresholds on cross-validation, so --no-cv still runs the folds")
    result = train(cfg, out, data_dir=args.data_dir, progress=not args.no_progress, cv=not args.no_cv, force=args.force)
    m = result.metrics
    parts = [
        f"{s} macro-F1 {m[s]['macro']['f1']:.3f}" for s in ("validation", "test", "temporal_test") if s in m
    ]
    if "cv" in m:
        parts.insert(0, f"CV macro-F1 {m['cv']['mean']:.3f} ± {m['cv']['std']:.3f}")
    print(f"{cfg.name}: " + "; ".join(parts) + f" -> {out}")
    return EXIT_OK


def add_evaluate_parser(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="re-score a saved model on a labeled split")
    p.add_argument("model_dir", help="model directory to score")
    p.add_argument("--split", default="test", choices=("validation", "test", "temporal_test", "written_test"),
                   help="labeled split to score (default: test); per-register figures follow the total")
    p.add_argument("--data-dir", metavar="DIR",
                   help="labeled data directory (default: ./data, else the copy shipped with the package)")
    p.add_argument("--data", metavar="JSONL",
                   help="score your own labeled file instead of a split (records with text and labels)")
    _add_allow_pickle(p)
    p.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from .train import evaluate, evaluate_file

    if args.data:
        m = evaluate_file(args.model_dir, args.data, allow_pickle=args.allow_pickle)
        what = args.data
    else:
        m = evaluate(args.model_dir, args.split, data_dir=args.data_dir, allow_pickle=args.allow_pickle)
        what = args.split
    _print_scores(f"{what} (n={m['n']})", m)
    for register, rm in m.get("by_register", {}).items():
        _print_scores(f"{what}, register {register} (n={rm['n']})", rm)
    return EXIT_OK


def _print_scores(title: str, m: dict[str, Any]) -> None:
    print(title)
    for label, v in m["per_label"].items():
        print(
            f"  {label:16s} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  support {v['support']}"
        )
    for avg in ("macro", "micro"):
        v = m[avg]
        print(f"  {avg:16s} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}")
    print(f"  none given a topic: {m['none_given_topic']:.1%} of {m['n_none']}")


def add_explain_parser(sub: Any) -> None:
    p = sub.add_parser("explain", help="list the strongest features of each label")
    p.add_argument("model_dir", nargs="?", help="model directory (default: the shipped model)")
    p.add_argument("--top", type=int, default=20, help="how many terms per label (default: 20)")
    p.add_argument("--text", help="instead, explain the labels of this paragraph")
    _add_allow_pickle(p)
    p.set_defaults(run=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from .tag import load

    tagger = load(args.model_dir, allow_pickle=args.allow_pickle)
    if args.text:
        para = tagger.tag_paragraphs([args.text], explain=args.top)[0]
        print("labels:", ", ".join(para.labels) or "other")
        for label, s in para.scores.items():
            terms = ", ".join((para.terms or {}).get(label, []))
            print(f"  {label:16s} {s:.3f}  {terms}")
        return EXIT_OK
    for label, feats in tagger.top_features(args.top).items():
        print(f"{label}:")
        print("  " + ", ".join(f"{name} ({w:+.2f})" for name, w in feats))
    return EXIT_OK


def add_compare_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="train several configs and write a results table",
        description="Train every config on the training split, score it, write "
        "RESULTS.md, and (with --select) write the default config for the best "
        "validation macro-F1.",
    )
    p.add_argument("configs", nargs="+", help="experiment configs (YAML) to train and compare")
    p.add_argument("--results", default="experiments/RESULTS.md", help="where the table goes (default: %(default)s)")
    p.add_argument("--runs", default="runs", help="where model directories go")
    p.add_argument("--select", metavar="YAML", help="write the chosen default config here")
    p.add_argument("--min-speed", type=float, default=20_000, metavar="N",
                   help="only configs tagging at least N paragraphs/s on one core can be chosen (default: 20000)")
    p.add_argument("--data-dir", metavar="DIR", help="labeled data directory (default: ./data)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from .experiments import compare

    compare(
        args.configs,
        results=Path(args.results),
        runs=Path(args.runs),
        select=Path(args.select) if args.select else None,
        data_dir=args.data_dir,
        progress=not args.no_progress,
        min_speed=args.min_speed,
    )
    print(f"wrote {args.results}")
    return EXIT_OK


# --- select (active learning) ------------------------------------------------


def add_select_parser(sub: Any) -> None:
    p = sub.add_parser(
        "select",
        help="pick the paragraphs most worth labeling next",
        description="Rank unlabeled paragraphs by how uncertain the model is (scores near the "
        "thresholds) and how much a committee of models disagrees, then keep a diverse batch: "
        "near duplicates of chosen or already labeled paragraphs are skipped, at most --per-doc "
        "per document. Sources: JSONL corpora (.jsonl/.jsonl.gz, records with 'text', tagged "
        "output, or documents with 'turns'), release files or folders.",
        epilog="example:\n  bulletin-clf select runs/default ../corpus/transcripts-health.jsonl.gz "
        "--n 300 --data-dir data --out batch.jsonl\n  # label batch.jsonl (labels, annotator, "
        "guide_version), then:\n  bulletin-clf data add batch.jsonl --data-dir data",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model_dir", help="model directory whose uncertainty guides the choice ('default': the "
                   "shipped model, unless a folder of that name exists)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="JSONL corpora, tagged files, release files or folders")
    p.add_argument("--n", type=int, default=200, help="how many paragraphs to pick (default: 200)")
    p.add_argument("--out", required=True, metavar="FILE", help="where the batch goes (JSON Lines, written atomically)")
    p.add_argument("--committee", action="append", default=[], metavar="DIR",
                   help="another model directory; disagreement between models adds to the score (repeatable)")
    p.add_argument("--per-doc", type=int, default=3, metavar="K", help="at most K paragraphs per document (default: 3)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="labeled data to skip: its ids and texts, and whole documents of its evaluation splits")
    p.add_argument("--exclude", action="append", default=[], metavar="JSONL",
                   help="skip the ids and texts of this JSONL file, e.g. an earlier draw (repeatable)")
    p.add_argument("--date-from", metavar="YYYY-MM-DD", help="only paragraphs dated on or after this day")
    p.add_argument("--date-to", metavar="YYYY-MM-DD", help="only paragraphs dated on or before this day")
    p.add_argument("--min-chars", type=int, default=40, metavar="N", help="skip paragraphs shorter than N characters")
    p.add_argument("--random", action="store_true",
                   help="draw uniformly instead (same filters): the control to compare selection with")
    p.add_argument("--seed", type=int, default=0, help="seed of --random (default: 0)")
    _add_allow_pickle(p)
    p.set_defaults(run=run_select)


def run_select(args: argparse.Namespace) -> int:
    from .active import exclusions_from, filter_pool, iter_pool, random_draw, select_paragraphs
    from .persist import atomic_write_bytes
    from .tag import load

    if args.n < 1 or args.per_doc < 1:
        raise BulletinError("select: --n and --per-doc must be at least 1")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise BulletinError(f"--out {out}: folder {out.parent} does not exist")
    first = None if args.model_dir == "default" and not Path("default").exists() else args.model_dir
    taggers = [load(d, allow_pickle=args.allow_pickle) for d in [first, *args.committee]]
    ex = exclusions_from(args.data_dir, args.exclude)
    problems: list[str] = []
    pool = filter_pool(iter_pool(args.sources, problems=problems), ex, date_from=args.date_from,
                       date_to=args.date_to, min_chars=args.min_chars)
    for line in problems:
        _err(f"warning: {line}")
    if args.random:
        chosen = random_draw(taggers[0], pool, n=args.n, per_doc=args.per_doc, seed=args.seed, exclusions=ex)
    else:
        chosen = select_paragraphs(taggers, pool, n=args.n, per_doc=args.per_doc, exclusions=ex)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen)
    atomic_write_bytes(out, body.encode("utf-8"))
    how = "drew at random" if args.random else "selected"
    _err(f"{how} {len(chosen)} of {len(pool)} candidate paragraph{'s' if len(pool) != 1 else ''} -> {out}")
    return EXIT_FILES_FAILED if problems else EXIT_OK


# --- data ------------------------------------------------------------------


def add_data_parser(sub: Any) -> None:
    p = sub.add_parser("data", help="check or export the labeled dataset")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="{check,add,parquet}")
    c = dsub.add_parser("check", help="validate schema, labels, duplicates and split leakage")
    c.add_argument("--data-dir", metavar="DIR", help="data directory (default: ./data, else the packaged copy)")
    c.set_defaults(run=run_data_check)
    a = dsub.add_parser(
        "add",
        help="validate a labeled batch and append it to a split",
        description="Check a labeled batch (label names, ids, duplicates against the existing "
        "data, annotator, guide_version, documents already in another split) and append it "
        "to DATA_DIR/gold/SPLIT.jsonl. Nothing is written if any record fails.",
    )
    a.add_argument("batch", help="JSON Lines: records with id, doc_id, para_idx, text, labels, source, date, "
                   "annotator, guide_version (the 'select' field of a selected batch is dropped)")
    a.add_argument("--data-dir", metavar="DIR", help="labeled data directory (default: ./data)")
    a.add_argument("--split", default="train", help="split to append to (default: train)")
    a.add_argument("--dry-run", action="store_true", help="only validate")
    a.set_defaults(run=run_data_add)
    q = dsub.add_parser("parquet", help="write data/parquet/SPLIT.parquet from the JSON Lines files")
    q.add_argument("--data-dir", metavar="DIR", help="data directory (default: ./data)")
    q.set_defaults(run=run_data_parquet)


def run_data_check(args: argparse.Namespace) -> int:
    from .data import check_data

    counts = check_data(args.data_dir)
    print("ok: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return EXIT_OK


def run_data_add(args: argparse.Namespace) -> int:
    from .active import add_batch
    from .data import default_data_dir

    d = Path(args.data_dir) if args.data_dir else default_data_dir()
    n = add_batch(args.batch, d, split=args.split, dry_run=args.dry_run)
    verb = "would add" if args.dry_run else "added"
    print(f"{verb} {n} record{'s' if n != 1 else ''} to {d / 'gold' / (args.split + '.jsonl')}")
    return EXIT_OK


def run_data_parquet(args: argparse.Namespace) -> int:
    from .data import default_data_dir, load_dataset

    d = Path(args.data_dir) if args.data_dir else default_data_dir()
    ds = load_dataset(d)
    (d / "parquet").mkdir(exist_ok=True)
    for split, dset in ds.items():
        dset.to_parquet(str(d / "parquet" / f"{split}.parquet"))
    print(f"wrote {d / 'parquet'}")
    return EXIT_OK


def add_report_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="summaries and an HTML report from a tagged file")
    p.add_argument("tagged", help="output of 'bulletin-clf tag' (.jsonl, .csv or .parquet)")
    p.add_argument("--summary", metavar="CSV", help="write one row per release (CSV) to this file")
    p.add_argument("--html", metavar="FILE", help="write the HTML report to this file")
    p.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    from .output import check_outputs
    from .report import read_records

    if not args.summary and not args.html:
        raise BulletinError("report: give --summary and/or --html")
    check_outputs({"--summary": args.summary, "--html": args.html}, [args.tagged], frozenset())
    extras = _Extras(args)
    try:
        for rec in read_records(Path(args.tagged)):
            extras.add(rec)
        extras.write()
    finally:
        extras.close()
    return EXIT_OK


# --- main ------------------------------------------------------------------

SUBCOMMANDS: tuple[Callable[[Any], None], ...] = (
    add_tag_parser,
    add_train_parser,
    add_evaluate_parser,
    add_explain_parser,
    add_compare_parser,
    add_select_parser,
    add_data_parser,
    add_report_parser,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bulletin-clf",
        description="Tag paragraphs of Mexican health-sector press releases by topic: "
        "medicine_supply, human_resources, infrastructure, governance (or none: 'other').",
        epilog="exit codes: 0 ok; 1 some files failed; 2 usage/config/data error; "
        "3 model cannot be loaded; 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"bulletin-clf {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return int(args.run(args))
    except ModelLoadError as exc:
        _err(f"error: {exc}")
        return EXIT_MODEL
    except (ConfigError, DataError, BulletinError, argparse.ArgumentTypeError, ValueError) as exc:
        if debug:
            traceback.print_exc()
        _err(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): not an error. Point stdout at devnull so
        # the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
