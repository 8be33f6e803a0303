import json
from pathlib import Path

import pytest
from conftest import tiny_records, write_split

from bulletin_clf.data import check_data, fingerprint, load_dataset, multi_hot, near_duplicate_pairs
from bulletin_clf.errors import DataError

REPO_DATA = Path(__file__).resolve().parents[1] / "data"


def test_load_dataset_has_typed_splits(tiny_data):
    ds = load_dataset(tiny_data)
    assert set(ds) == {"train", "validation", "test", "temporal_test", "written_test"}
    feats = ds["train"].features
    assert feats["labels"].feature.names == ["medicine_supply", "human_resources", "infrastructure", "governance"]
    assert feats["para_idx"].dtype == "int32"
    row = ds["train"][25]
    assert sorted(row["labels"]) == [0, 1, 3]  # medicine_supply, human_resources, governance as class ids


def test_check_data_accepts_clean_data(tiny_data):
    counts = check_data(tiny_data)
    assert counts["train"] == len(tiny_records())


def _rewrite(d, split, fn):
    path = d / "gold" / f"{split}.jsonl"
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fn(recs)))


@pytest.mark.parametrize(
    ("split", "fn", "message"),
    [
        ("train", lambda rs: [rs[0] | {"labels": ["drugs"]}, *rs[1:]], "unknown label 'drugs'"),
        ("train", lambda rs: [{k: v for k, v in rs[0].items() if k != "text"}, *rs[1:]], "missing field 'text'"),
        ("train", lambda rs: [rs[0] | {"extra": 1}, *rs[1:]], "unknown field 'extra'"),
        ("train", lambda rs: [rs[0] | {"labels": ["governance", "governance"]}, *rs[1:]], "sorted and unique"),
        ("train", lambda rs: [rs[0] | {"date": "23/05/2023"}, *rs[1:]], "not YYYY-MM-DD"),
        ("validation", lambda rs: [rs[0] | {"doc_id": "tr0"}, *rs[1:]], "document 'tr0' is in both train and validation"),
        ("test", lambda rs: [rs[0] | {"id": "tr0:0"}, *rs[1:]], "duplicate id 'tr0:0'"),
        ("temporal_test", lambda rs: [rs[0] | {"date": "2025-03-31"}, *rs[1:]], "before 2025-04-01"),
        ("train", lambda rs: [r | {"annotator": "silver:model"} for r in rs], "silver annotator in gold"),
        ("train", lambda rs: [r | {"labels": [x for x in r["labels"] if x != "infrastructure"]} for r in rs], "'infrastructure' has no positive"),
        ("validation", lambda rs: rs[:0], "split is empty"),
    ],
)
def test_check_data_finds_problems(tiny_data, split, fn, message):
    _rewrite(tiny_data, split, fn)
    with pytest.raises(DataError, match=message):
        check_data(tiny_data)


def test_near_duplicates_across_splits_are_leakage(tiny_data):
    # validation repeats train sentences with a few words changed, under other documents
    write_split(tiny_data, "validation", [r | {"text": r["text"].replace(".", ", dijo.")} for r in tiny_records(prefix="va")])
    with pytest.raises(DataError, match=r"near-duplicate paragraphs .*\(train\) and .*\(validation\)"):
        check_data(tiny_data)


def test_invalid_json_line_names_file_and_line(tiny_data):
    (tiny_data / "gold" / "test.jsonl").write_text('{"id": 1}\n{broken\n')
    with pytest.raises(DataError, match=r"test.jsonl:2: invalid JSON"):
        load_dataset(tiny_data)


def test_near_duplicate_pairs_and_fingerprint():
    texts = ["uno dos tres cuatro cinco seis siete ocho nueve diez", "Uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez.", "otra cosa totalmente distinta"]
    assert near_duplicate_pairs(texts) == [(0, 1)]
    recs = tiny_records()
    assert fingerprint(recs) == fingerprint(list(recs))
    assert fingerprint(recs) != fingerprint(recs[1:])
    assert multi_hot([["governance"], []]).tolist() == [[0, 0, 0, 1], [0, 0, 0, 0]]


def test_repository_dataset_is_valid_and_big_enough():
    counts = check_data(REPO_DATA)
    assert sum(counts.values()) >= 3000
    ds = load_dataset(REPO_DATA)
    for label_id in range(4):
        positives = sum(label_id in row for split in ds.values() for row in split["labels"])
        assert positives >= 300


def test_packaged_copy_equals_the_repo_data():
    """The gzipped splits inside the package are exactly data/gold (rebuild with scripts/build_dataset.py)."""
    import gzip
    from pathlib import Path

    from bulletin_clf.data import SPLITS, packaged_data_dir

    repo = Path(__file__).resolve().parents[1] / "data" / "gold"
    if not repo.is_dir():
        pytest.skip("not a source checkout")
    for split in SPLITS:
        packed = gzip.decompress((packaged_data_dir() / "gold" / f"{split}.jsonl.gz").read_bytes())
        assert packed == (repo / f"{split}.jsonl").read_bytes(), split
    assert (packaged_data_dir() / "labeling-guide.md").read_text(encoding="utf-8").startswith("# Labeling guide")


def test_load_dataset_from_any_directory_uses_the_packaged_copy(tmp_path, monkeypatch):
    """Outside a checkout (no ./data, no source tree) the shipped copy is found and loads."""
    from bulletin_clf import data as data_mod

    packed = data_mod.packaged_data_dir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BULLETIN_CLF_DATA", raising=False)
    fake_site = tmp_path / "site-packages" / "bulletin_clf"
    fake_site.mkdir(parents=True)
    monkeypatch.setattr(data_mod, "__file__", str(fake_site / "data.py"))
    monkeypatch.setattr(data_mod, "packaged_data_dir", lambda: packed)
    assert data_mod.default_data_dir() == packed
    ds = load_dataset(packed)
    assert ds["written_test"].num_rows > 0 and "register" in ds["train"].column_names
    assert data_mod.check_data(packed)["train"] == ds["train"].num_rows
