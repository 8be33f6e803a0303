"""Batch output that loses nothing: checked paths, an append-only partial file, a lock.

``check_outputs`` refuses, before any work, outputs that would destroy what
the user did not name: a special file (device, pipe, socket), a directory,
an output that is also an input, two outputs at one path, a missing or
read-only folder.

``PartialRun`` is the ``OUT.partial`` file of a run. It is append-only:

* line 1 is a header with the options that shape the records (model,
  thresholds, explain), so ``--resume`` with other options is refused;
* each finished file adds its paragraph records, then a done marker
  ``{"_done": {"source": ..., "doc_id": ...}}``;
* a resume first appends ``{"_reset": true}``: records of a file that the
  interrupted run had not finished are dropped, and the file is redone.

Progress is derived from the markers, so no moment of a run, resume
included, has finished records that nothing points at; a kill can only cut
the last line, which resume trims. Resume is keyed by path *and* content
hash. An exclusive ``flock`` on ``OUT.lock`` refuses a second run on the
same output. ``finalize`` streams the committed records into the output
format (JSON Lines, CSV, or Parquet in row groups), fsyncs, and renames.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ._labels import LABELS
from .errors import BulletinError

PARTIAL_FORMAT = "bulletin_clf.partial/1"
CSV_HEADER = ["source", "doc_id", "para_idx", "text", "labels", *[f"score_{label}" for label in LABELS], "terms",
              "warnings"]
PARQUET_ROWS = 10_000  # records per Parquet row group, buffered as dicts: keeps memory flat at any size


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be printed and written as UTF-8.

    Bytes of a file name that are not valid UTF-8 (kept by Python as lone
    surrogates) are shown as ``\\xNN`` escapes.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(outputs: dict[str, str | None], inputs: Sequence[str | os.PathLike[str]],
                  suffixes: frozenset[str]) -> None:
    """Refuse unsafe output paths before any work; ``outputs`` maps flag -> path."""
    named = {flag: Path(p) for flag, p in outputs.items() if p is not None}
    seen: dict[Path, str] = {}
    for flag, path in named.items():
        shown = display_path(path)
        key = Path(os.path.abspath(path))
        if key in seen:
            raise BulletinError(f"{flag} {shown}: the same file as {seen[key]}; give each output its own path")
        seen[key] = flag
        for other_flag, other in named.items():
            if other_flag != flag and _same(path, other):
                raise BulletinError(f"{flag} {shown}: the same file as {other_flag}")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise BulletinError(f"{flag} {shown}: cannot inspect ({exc.strerror})") from None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise BulletinError(f"{flag} {shown}: is a folder; give a file path")
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise BulletinError(f"{flag} {shown}: not a regular file (device, pipe or socket); refusing to replace "
                                "it — write to standard output and redirect instead")
        parent = path.parent
        if not parent.is_dir():
            raise BulletinError(f"{flag} {shown}: folder {display_path(parent)} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise BulletinError(f"{flag} {shown}: folder {display_path(parent)} is not writable")
        for raw in inputs:
            src = Path(raw)
            if _same(path, src):
                raise BulletinError(f"{flag} {shown}: is also an input; refusing to overwrite it")
            if src.is_dir() and path.suffix.lower() in suffixes and key.is_relative_to(os.path.abspath(src)):
                raise BulletinError(f"{flag} {shown}: lies inside the input folder {display_path(src)} and would "
                                    "be read as a release by a later run; write it elsewhere")


def record_key(rec: dict[str, Any]) -> tuple[str, str]:
    return rec["source"], rec["doc_id"]


class PartialRun:
    """The append-only ``OUT.partial`` of a run, with its lock."""

    def __init__(self, out: Path, options: dict[str, Any]) -> None:
        self.out = out
        self.path = out.with_name(out.name + ".partial")
        self.lock_path = out.with_name(out.name + ".lock")
        self.options = options
        self._fh: IO[bytes] | None = None
        self._lock_fh: IO[str] | None = None

    # -- lock ------------------------------------------------------------
    def lock(self) -> None:
        import fcntl

        fh = open(self.lock_path, "a", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise BulletinError(f"{display_path(self.out)}: another bulletin-clf run is writing this output "
                                f"(it holds {display_path(self.lock_path)}); wait for it or choose another --out") from None
        self._lock_fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._lock_fh is not None:
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
            self._lock_fh.close()
            self._lock_fh = None

    # -- reading ---------------------------------------------------------
    def read(self) -> tuple[dict[str, Any] | None, set[tuple[str, str]]]:
        """Header and finished ``(source, doc_id)`` keys of an existing partial file."""
        header: dict[str, Any] | None = None
        done: set[tuple[str, str]] = set()
        for kind, obj in self._lines():
            if kind == "header":
                header = obj
            elif kind == "done":
                done.add((obj["source"], obj["doc_id"]))
        return header, done

    def _lines(self) -> Iterator[tuple[str, Any]]:
        with open(self.path, encoding="utf-8", newline="\n") as fh:
            for i, line in enumerate(fh):
                if not line.endswith("\n"):
                    return  # cut by a kill
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if i == 0 and isinstance(obj, dict) and obj.get("_format") == PARTIAL_FORMAT:
                    yield "header", obj
                elif isinstance(obj, dict) and isinstance(obj.get("_done"), dict):
                    yield "done", obj["_done"]
                elif isinstance(obj, dict) and obj.get("_reset") is True:
                    yield "reset", None
                elif isinstance(obj, dict) and "doc_id" in obj:
                    yield "record", obj

    def committed_raw(self) -> Iterator[bytes]:
        """The record lines of finished files as UTF-8 bytes, a finished file at a time, each file once.

        Records of one file are written together before its done marker, so the
        lines pending at a marker are that file's; a reset marker drops the
        lines of a file an interrupted run had not finished.
        """
        pending: list[bytes] = []
        emitted: set[bytes] = set()
        with open(self.path, "rb") as fh:
            for i, line in enumerate(fh):
                if not line.endswith(b"\n"):
                    return  # cut by a kill
                if line.startswith(b'{"_'):
                    try:
                        obj = json.loads(line)
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        continue
                    if i == 0 and obj.get("_format") == PARTIAL_FORMAT:
                        continue
                    if obj.get("_reset") is True:
                        pending = []
                    elif isinstance(obj.get("_done"), dict):
                        if line not in emitted:  # the same marker twice: the file was written twice
                            emitted.add(line)
                            yield b"".join(pending)
                        pending = []
                elif line.startswith(b"{"):
                    pending.append(line)

    def committed_records(self) -> Iterator[dict[str, Any]]:
        """Records of finished files, in the order their files finished (each file once)."""
        pending: list[dict[str, Any]] = []
        emitted: set[tuple[str, str]] = set()
        for kind, obj in self._lines():
            if kind == "record":
                pending.append(obj)
            elif kind == "reset":
                pending = []  # records of a file the interrupted run did not finish
            elif kind == "done":
                key = (obj["source"], obj["doc_id"])
                if key not in emitted:
                    emitted.add(key)
                    yield from (r for r in pending if record_key(r) == key)
                pending = []

    # -- writing ---------------------------------------------------------
    def start(self, *, resume: bool, force: bool) -> set[tuple[str, str]]:
        """Open the partial file for appending; returns the finished keys to skip."""
        done: set[tuple[str, str]] = set()
        if resume and self.path.exists():
            header, done = self.read()
            if header is None and not self._has_complete_line():
                header, done = {"options": self.options}, set()  # killed while writing the header
                self.path.write_bytes(b"")
                self._fh = open(self.path, "wb")  # noqa: SIM115
                self._write(json.dumps({"_format": PARTIAL_FORMAT, "options": self.options}).encode() + b"\n")
                return set()
            if header is None:
                raise BulletinError(f"{display_path(self.path)}: not a partial file of this bulletin-clf; "
                                    "remove it or run without --resume")
            changed = [k for k in self.options if header.get("options", {}).get(k) != self.options[k]]
            if changed and not force:
                raise BulletinError(
                    f"--resume: the interrupted run used other {', '.join(_FLAG.get(k, k) for k in changed)}; "
                    "rerun with the same options, or add --force to start afresh")
            if changed:
                done = set()
            else:
                self._trim_cut_line()
                self._fh = open(self.path, "ab")  # noqa: SIM115
                self._write(json.dumps({"_reset": True}).encode() + b"\n")  # what follows a cut file starts afresh
                return done
        self._fh = open(self.path, "wb")  # noqa: SIM115
        self._write(json.dumps({"_format": PARTIAL_FORMAT, "options": self.options}).encode() + b"\n")
        return set()

    def _has_complete_line(self) -> bool:
        with open(self.path, "rb") as fh:
            return b"\n" in fh.read(1 << 16) or False

    def _trim_cut_line(self) -> None:
        """Cut an incomplete last line (a record a kill interrupted); complete lines are never touched."""
        with open(self.path, "rb+") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            pos = size
            while pos > 0:
                step = min(65536, pos)
                fh.seek(pos - step)
                chunk = fh.read(step)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    pos = pos - step + nl + 1
                    break
                pos -= step
            if pos != size:
                fh.truncate(pos)

    def add(self, source: str, doc_id: str, lines: bytes) -> None:
        """Append one finished file: its record lines (UTF-8), then its done marker."""
        marker = json.dumps({"_done": {"source": source, "doc_id": doc_id}}, ensure_ascii=False).encode("utf-8")
        self._write(lines + marker + b"\n")

    def _write(self, data: bytes) -> None:
        assert self._fh is not None
        try:
            self._fh.write(data)
            self._fh.flush()
        except OSError as exc:
            raise _disk_error(exc, self.path) from None

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError as exc:
                raise _disk_error(exc, self.path) from None
            self._fh.close()
            self._fh = None

    def finalize(self, fmt: str, *, on_record: Callable[[dict[str, Any]], None] | None = None) -> int:
        """Write the committed records to ``out`` in ``fmt``, atomically; remove the partial file."""
        tmp = self.out.with_name(f".{self.out.name}.tmp")
        n = 0
        try:
            with open(tmp, "wb") as raw:
                if fmt == "jsonl":  # the lines are already the output: copy them, a finished file at a time
                    for block in self.committed_raw():
                        raw.write(block)
                        if on_record is not None:
                            for line in block.splitlines():
                                on_record(json.loads(line))
                        n += block.count(b"\n")
                else:
                    writer = _writer(fmt, raw)
                    for rec in self.committed_records():
                        writer.write(rec)
                        if on_record is not None:
                            on_record(rec)
                        n += 1
                    writer.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, self.out)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _disk_error(exc, self.out, keep=self.path) from None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self.path.unlink()
        return n


_FLAG = {"model": "--model", "thresholds": "--threshold", "explain": "--explain", "version": "bulletin-clf version"}


def _disk_error(exc: OSError, path: Path, keep: Path | None = None) -> BulletinError:
    what = "no space left on the device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    kept = f"; finished work is kept in {display_path(keep)}, rerun with --resume" if keep else \
        "; finished work is kept, rerun with --resume once there is room" if exc.errno == errno.ENOSPC else ""
    return BulletinError(f"{display_path(path)}: cannot write ({what}){kept}")


# --- streaming writers ----------------------------------------------------------


class _JsonlWriter:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw

    def write(self, rec: dict[str, Any]) -> None:
        self.raw.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))

    def close(self) -> None:
        pass


def csv_row(rec: dict[str, Any]) -> list[Any]:
    return [
        rec["source"], rec["doc_id"], rec["para_idx"], rec["text"], ";".join(rec["labels"]),
        *[rec["scores"][label] for label in LABELS],
        json.dumps(rec["terms"], ensure_ascii=False) if rec.get("terms") else "",
        " | ".join(rec.get("warnings", [])),
    ]


class _CsvWriter:
    def __init__(self, raw: IO[bytes]) -> None:
        self.text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text)
        self.csv.writerow(CSV_HEADER)

    def write(self, rec: dict[str, Any]) -> None:
        self.csv.writerow(csv_row(rec))

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class _ParquetWriter:
    def __init__(self, raw: IO[bytes]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = pa.schema([
            ("source", pa.string()), ("doc_id", pa.string()), ("para_idx", pa.int32()), ("text", pa.string()),
            ("labels", pa.list_(pa.string())), *[(f"score_{label}", pa.float64()) for label in LABELS],
            ("terms", pa.string()), ("warnings", pa.list_(pa.string())),
        ])
        self.writer = pq.ParquetWriter(raw, self.schema)
        self.rows: list[dict[str, Any]] = []

    def write(self, rec: dict[str, Any]) -> None:
        row = {k: rec[k] for k in ("source", "doc_id", "para_idx", "text", "labels")}
        row |= {f"score_{label}": rec["scores"][label] for label in LABELS}
        row["terms"] = json.dumps(rec["terms"], ensure_ascii=False) if rec.get("terms") else None
        row["warnings"] = list(rec.get("warnings", []))
        self.rows.append(row)
        if len(self.rows) >= PARQUET_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


def _writer(fmt: str, raw: IO[bytes]) -> Any:
    return {"jsonl": _JsonlWriter, "csv": _CsvWriter, "parquet": _ParquetWriter}[fmt](raw)


def stream_writer(fmt: str, raw: IO[bytes]) -> Any:
    """A writer with ``write(record)`` and ``close()`` for ``fmt`` on a binary stream."""
    return _writer(fmt, raw)
