"""bulletin_clf against fastText, side by side in one run on this machine.

Measures, for the shipped model and for a fastText supervised model trained
on exactly our training data (one-vs-all loss, word bigrams):

* macro-F1 on the test and temporal-test splits;
* training time (ours: the default config through ``bulletin-clf train``'s
  code path, without the extra CV that only reports figures);
* tagging throughput, end to end from Python strings to label sets, over
  1k, 10k and 100k transcript paragraphs;
* peak resident memory of a process that loads the model and tags 100k
  paragraphs;
* model size on disk;
* cold start: a new process imports the package, loads the model and tags
  one seed bulletin (wall time, median of 5);
* training time at 25 %, 50 % and 100 % of the training data.

Also: batch tagging through the CLI over many files, with the peak memory of
the process tree, to show that it streams.

Run: ``pip install '.[bench]' && python benchmarks/bench.py`` (about 5 minutes
on 2 cores). Writes ``benchmarks/RESULTS.md`` and ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
CORPUS = ROOT.parent / "shared" / "corpus" / "transcripts-health.jsonl.gz"
SEED = ROOT / "examples" / "seeds" / "000_ce69f7b727d09816.txt"
LABELS = ("medicine_supply", "human_resources", "infrastructure", "governance")
_FT_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def ft_text(text: str) -> str:
    """fastText's usual preprocessing: lowercase, punctuation split off."""
    return " ".join(_FT_TOKEN.findall(text.lower()))


def corpus_paragraphs(n: int) -> list[str]:
    out: list[str] = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            for turn in json.loads(line)["turns"]:
                out.extend(turn["paragraphs"])
            if len(out) >= n:
                break
    if len(out) < n:  # repeat if the corpus is smaller than asked
        out = (out * (n // len(out) + 1))
    return out[:n]


def gold(split: str) -> list[dict]:
    from bulletin_clf.data import load_split

    return load_split(split, ROOT / "data")


def write_ft_train(records: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            tags = " ".join(f"__label__{x}" for x in r["labels"]) or "__label__none"
            fh.write(f"{tags} {ft_text(r['text'])}\n")


def train_fasttext(records: list[dict], path: Path) -> tuple[object, float]:
    import fasttext

    train_file = WORK / "ft_train.txt"
    write_ft_train(records, train_file)
    t0 = time.perf_counter()
    model = fasttext.train_supervised(
        input=str(train_file), loss="ova", wordNgrams=2, epoch=25, lr=0.5, dim=100, minCount=1,
        thread=os.cpu_count() or 1, seed=0, verbose=0,
    )
    seconds = time.perf_counter() - t0
    model.save_model(str(path))
    return model, seconds


def ft_predict(model: object, texts: list[str], threshold: float = 0.5) -> list[tuple[str, ...]]:
    labels, _ = model.predict([ft_text(t) for t in texts], k=-1, threshold=threshold)  # type: ignore[attr-defined]
    return [tuple(x[len("__label__"):] for x in labs if x != "__label__none") for labs in labels]


def macro_f1(records: list[dict], predicted: list[tuple[str, ...]]) -> float:
    from sklearn.metrics import f1_score

    from bulletin_clf.data import multi_hot

    return float(f1_score(multi_hot(r["labels"] for r in records), multi_hot(predicted), average="macro", zero_division=0))


def train_ours(config: Path, fraction: float = 1.0) -> tuple[object, float]:
    from bulletin_clf.config import load_config
    from bulletin_clf.data import multi_hot
    from bulletin_clf.train import build_estimator

    cfg = load_config(config)
    recs = [r for s in cfg.data.train for r in gold(s)]
    recs = recs[: int(len(recs) * fraction)]
    t0 = time.perf_counter()
    model = build_estimator(cfg).fit([r["text"] for r in recs], multi_hot(r["labels"] for r in recs))
    return model, time.perf_counter() - t0


def timed_tagging(kind: str, model_path: str, n: int, jobs: int) -> dict:
    """Tag n corpus paragraphs in a fresh process; report paragraphs/s and peak RSS."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT / 'benchmarks')!r})
from bench import PssSampler, corpus_paragraphs, ft_predict, peak_rss_mb
texts = corpus_paragraphs({n})
with PssSampler() as pss:
    if {kind!r} == "ours":
        import bulletin_clf
        tagger = bulletin_clf.load({model_path or None!r})
        tagger.predict(texts[:200])
        t0 = time.perf_counter(); out = tagger.predict(texts, n_jobs={jobs}); dt = time.perf_counter() - t0
    else:
        import fasttext
        model = fasttext.load_model({model_path!r})
        ft_predict(model, texts[:200])
        t0 = time.perf_counter(); out = ft_predict(model, texts); dt = time.perf_counter() - t0
assert len(out) == len(texts)
print(json.dumps({{"seconds": dt, "per_second": len(texts) / dt, "peak_rss_mb": peak_rss_mb(), "peak_pss_mb": pss.peak_mb}}))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def _vm_hwm_mb(pid: int | str) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")), None)


def peak_rss_mb() -> float:
    """Peak resident memory of this process plus its live worker processes.

    Linux ``VmHWM`` per process (``ru_maxrss`` would report the benchmark
    parent's peak, which a child inherits across fork+exec). Summing each
    process's own peak over-counts when peaks were not simultaneous, so the
    figure is an upper bound.
    """
    import psutil

    own = _vm_hwm_mb("self")
    if own is None:  # not Linux: this process only
        import resource

        # ru_maxrss is in bytes on macOS, KiB elsewhere
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
    workers = [_vm_hwm_mb(child.pid) for child in psutil.Process().children(recursive=True)]
    return own + sum(w for w in workers if w is not None)


class PssSampler:
    """Peak of the summed PSS of this process and its children, sampled every 20 ms.

    PSS splits each shared page between the processes that map it, so the sum
    is the physical memory the process tree uses; sampling can miss a peak
    shorter than the interval. Linux only (``None`` elsewhere).
    """

    def __enter__(self) -> PssSampler:
        import threading

        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> float | None:
        import psutil

        total = 0.0
        for pid in [os.getpid(), *(c.pid for c in psutil.Process().children(recursive=True))]:
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                if pid == os.getpid():
                    return None
                continue  # a child that just exited
            total += next(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")) / 1024
        return total

    def _run(self) -> None:
        while True:
            now = self._sample()
            if now is None:
                return
            self.peak_mb = max(self.peak_mb or 0.0, now)
            if self._stop.wait(0.02):
                return


def batch_cli(n_paragraphs: int, jobs: int | None = None, per_file: int = 50) -> dict:
    """`bulletin-clf tag DIR --out FILE` over n paragraphs split into files.

    Measures end-to-end throughput (read, segment, tag, write) and the peak
    memory of the whole process tree, to show that batch tagging streams.
    """
    texts = corpus_paragraphs(n_paragraphs)
    folder = Path(tempfile.mkdtemp(dir=WORK)) / "releases"
    folder.mkdir()
    for i in range(0, len(texts), per_file):
        (folder / f"{i // per_file:06d}.txt").write_text("\n\n".join(texts[i : i + per_file]), encoding="utf-8")
    jobs_args = [] if jobs is None else ["--jobs", str(jobs)]
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT / 'benchmarks')!r})
from bench import peak_rss_mb
from bulletin_clf.cli import main
t0 = time.perf_counter()
rc = main(["tag", {str(folder)!r}, "--out", {str(folder.parent / 'out.jsonl')!r}, "--no-progress", *{jobs_args!r}])
dt = time.perf_counter() - t0
print(json.dumps({{"rc": rc, "seconds": dt, "peak_rss_mb": peak_rss_mb()}}))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    with open(folder.parent / "out.jsonl", encoding="utf-8") as fh:
        out["paragraphs_out"] = sum(1 for _ in fh)
    out["files"] = len(list(folder.iterdir()))
    out["per_second"] = out["paragraphs_out"] / out["seconds"]
    out["jobs"] = "default" if jobs is None else jobs
    return out


def cold_start(kind: str, model_path: str) -> float:
    if kind == "ours":
        code = f"import bulletin_clf; t = bulletin_clf.load({model_path or None!r}); t.tag_text(open({str(SEED)!r}, encoding='utf-8').read())"
    else:
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import fasttext; from bench import ft_predict; "
            f"from bulletin_clf.segment import segment; m = fasttext.load_model({model_path!r}); "
            f"ft_predict(m, segment(open({str(SEED)!r}, encoding='utf-8').read()).paragraphs)"
        )
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="bulletin_clf vs fastText benchmark")
    parser.add_argument("--config", type=Path, default=ROOT / "experiments" / "default.yaml",
                        help="config whose training time is measured (the shipped model's)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--jobs", type=int, default=-1, help="worker processes for our tagging (-1: all cores)")
    args = parser.parse_args(argv)

    import bulletin_clf
    from bulletin_clf.config import load_config
    from bulletin_clf.tag import _default_model_dir

    WORK.mkdir(parents=True, exist_ok=True)
    cfg = load_config(args.config)
    train_recs = [r for s in cfg.data.train for r in gold(s)]
    shipped = _default_model_dir()
    results: dict = {"machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                                 "python": platform.python_version(), "platform": platform.platform()},
                     "model": str(shipped.relative_to(ROOT)) if shipped.is_relative_to(ROOT) else str(shipped)}
    print("training ...", file=sys.stderr)
    ours_train = statistics.median(train_ours(args.config)[1] for _ in range(3))
    ft_path = WORK / "fasttext.bin"
    ft_model, ft_train = train_fasttext(train_recs, ft_path)
    results["train_seconds"] = {"ours": ours_train, "fasttext": ft_train}
    results["train_scaling"] = {f"{int(f * 100)}%": train_ours(args.config, f)[1] for f in (0.25, 0.5, 1.0)}
    # The shipped model, loaded as users load it (the default backend).
    tagger = bulletin_clf.load()
    results["macro_f1"] = {}
    for split in ("test", "temporal_test"):
        recs = gold(split)
        texts = [r["text"] for r in recs]
        results["macro_f1"][split] = {"ours": macro_f1(recs, tagger.predict(texts)),
                                      "fasttext": macro_f1(recs, ft_predict(ft_model, texts))}
    results["model_bytes"] = {"ours": dir_size(shipped), "fasttext": dir_size(ft_path)}
    results["throughput"] = {}
    for n in args.sizes:
        print(f"tagging {n} paragraphs ...", file=sys.stderr)
        results["throughput"][str(n)] = {
            "ours": timed_tagging("ours", "", n, args.jobs),
            "ours_1_core": timed_tagging("ours", "", n, 1),
            "fasttext": timed_tagging("fasttext", str(ft_path), n, 1),
        }
    print("batch tagging through the CLI ...", file=sys.stderr)
    results["batch_cli"] = [batch_cli(n, jobs) for jobs in (1, None) for n in (500, max(args.sizes))]
    print("cold start ...", file=sys.stderr)
    results["cold_start_seconds"] = {"ours": cold_start("ours", ""), "fasttext": cold_start("fasttext", str(ft_path))}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)
    print((ROOT / "benchmarks" / "RESULTS.md").read_text())


def write_markdown(r: dict) -> None:
    big = str(max(int(k) for k in r["throughput"]))
    t = r["throughput"][big]
    rows = [
        ("macro-F1, test", r["macro_f1"]["test"]["ours"], r["macro_f1"]["test"]["fasttext"], "≥ 1.0", "{:.3f}"),
        ("macro-F1, temporal test", r["macro_f1"]["temporal_test"]["ours"], r["macro_f1"]["temporal_test"]["fasttext"], "≥ 1.0", "{:.3f}"),
        (f"tagging, paragraphs/s ({big}, all cores)", t["ours"]["per_second"], t["fasttext"]["per_second"], "≥ 1.5", "{:,.0f}"),
        (f"tagging, paragraphs/s ({big}, 1 core)", t["ours_1_core"]["per_second"], t["fasttext"]["per_second"], "", "{:,.0f}"),
        (f"peak memory while tagging, MB ({big}, all cores)", t["ours"]["peak_rss_mb"], t["fasttext"]["peak_rss_mb"], "< 300 MB", "{:.0f}"),
        (f"peak memory while tagging, MB ({big}, 1 core)", t["ours_1_core"]["peak_rss_mb"], t["fasttext"]["peak_rss_mb"], "< 300 MB", "{:.0f}"),
        (f"peak physical memory (summed PSS) while tagging, MB ({big}, all cores)", t["ours"]["peak_pss_mb"] or float("nan"),
         t["fasttext"]["peak_pss_mb"] or float("nan"), "< 300 MB", "{:.0f}"),
        ("model size, MB", r["model_bytes"]["ours"] / 2**20, r["model_bytes"]["fasttext"] / 2**20, "< 20 MB", "{:.2f}"),
        ("cold start, s", r["cold_start_seconds"]["ours"], r["cold_start_seconds"]["fasttext"], "< 0.5 s", "{:.2f}"),
        ("training, s", r["train_seconds"]["ours"], r["train_seconds"]["fasttext"], "< 60 s", "{:.1f}"),
    ]
    m = r["machine"]
    lines = [
        "# Benchmark: bulletin_clf vs fastText",
        "",
        "Generated by `python benchmarks/bench.py`; do not edit by hand.",
        f"Ours: the shipped model (`{r['model']}`) loaded with `bulletin_clf.load()`; training time is",
        "the fit of `experiments/default.yaml` on its data (median of 3), without the report-only CV.",
        "Peak memory is the sum of each process's peak (the caller, joblib's workers and helpers), an",
        "upper bound since shared pages count once per process; it includes the input strings. *Physical",
        "memory* is the peak of the processes' summed PSS (shared pages split between them), sampled every 20 ms.",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['platform']}.",
        "fastText: `fasttext-numpy2`, supervised, `loss=ova`, `wordNgrams=2`, 25 epochs, trained on exactly",
        "our training data (paragraphs with none of the four topics get a `__label__none` that is",
        "dropped at prediction), predicted with threshold 0.5, one process (its Python API).",
        "",
        "| measure | ours | fastText | ours / fastText | target |",
        "|---|---|---|---|---|",
    ]
    for name, ours, ft, target, fmt in rows:
        ratio = ours / ft if ft else float("nan")
        lines.append(f"| {name} | {fmt.format(ours)} | {fmt.format(ft)} | {ratio:.2f} | {target} |")
    lines += ["", "Throughput by input size (paragraphs/s):", "", "| paragraphs | ours, all cores | ours, 1 core | fastText | ratio (all cores) |", "|---|---|---|---|---|"]
    for n, v in sorted(r["throughput"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"| {int(n):,} | {v['ours']['per_second']:,.0f} | {v['ours_1_core']['per_second']:,.0f} | {v['fasttext']['per_second']:,.0f} | {v['ours']['per_second'] / v['fasttext']['per_second']:.2f} |")
    lines += ["", "Batch tagging through the CLI (`bulletin-clf tag DIR --out FILE`: read, segment, tag, write;",
              "one process, and default workers: all cores from 64 files), peak memory as above:", "",
              "| workers | files | paragraphs out | paragraphs/s | peak memory, MB |", "|---|---|---|---|---|"]
    for v in r["batch_cli"]:
        lines.append(f"| {v['jobs']} | {v['files']:,} | {v['paragraphs_out']:,} | {v['per_second']:,.0f} | {v['peak_rss_mb']:.0f} |")
    lines += ["", "Training time of our default config by share of the training data:", "", "| share | seconds |", "|---|---|"]
    for k, v in r["train_scaling"].items():
        lines.append(f"| {k} | {v:.2f} |")
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
