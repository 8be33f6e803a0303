import shutil
import sys
from pathlib import Path

import numpy as np

import bulletin_clf


def test_every_public_name_imports():
    for name in bulletin_clf.__all__:
        assert hasattr(bulletin_clf, name), name
    assert bulletin_clf.LABELS == ("medicine_supply", "human_resources", "infrastructure", "governance")


def test_installed_command_exists():
    scripts = Path(sys.executable).parent
    assert shutil.which("bulletin-clf") or (scripts / "bulletin-clf").exists()


def test_shipped_model_loads_and_tags_a_seed_like_text():
    tagger = bulletin_clf.load()
    assert tagger.labels == bulletin_clf.LABELS
    proba = tagger.predict_proba(["Se distribuyeron medicamentos a los almacenes estatales.", "Buenas tardes."])
    assert proba.shape == (2, 4)
    assert np.all((proba >= 0) & (proba <= 1))
    assert tagger.manifest["name"] == "shipped"  # experiments/shipped.yaml: the chosen design on every split
    paragraphs = tagger.tag_text(
        "Anunció que pronto habrá convocatorias para la contratación de médicos especialistas.\n\n"
        "Se concluirá la construcción del hospital y se instalarán dos tomógrafos."
    )
    assert [p.index for p in paragraphs] == [0, 1]
    assert "human_resources" in paragraphs[0].labels
    assert "infrastructure" in paragraphs[1].labels
