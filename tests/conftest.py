"""Shared fixtures: a tiny labeled corpus written here, and a model trained on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulletin_clf.config import parse_config

# (text, labels). Short but real-looking sentences, in the style of the bulletins.
TINY: list[tuple[str, list[str]]] = [
    ("Se distribuyeron 12 mil cajas de insulina a los almacenes estatales.", ["medicine_supply"]),
    ("El abasto de medicamentos en las farmacias llegó al 96 por ciento.", ["medicine_supply"]),
    ("La compra consolidada de medicamentos oncológicos garantiza el surtimiento de recetas.", ["medicine_supply"]),
    ("Llegaron dos millones de dosis de vacuna y se entregaron a los estados.", ["medicine_supply"]),
    ("Hay desabasto de medicamentos para el cáncer en algunos hospitales.", ["medicine_supply"]),
    ("Las recetas surtidas al cien por ciento muestran el buen abasto de insumos.", ["medicine_supply"]),
    ("La convocatoria ofrece 800 plazas para médicos especialistas en hospitales rurales.", ["human_resources"]),
    ("Se contrataron cinco mil enfermeras y enfermeros para cubrir el déficit.", ["human_resources"]),
    ("La basificación de los trabajadores de la salud avanza en todos los estados.", ["human_resources"]),
    ("Los médicos residentes recibirán becas y mejores salarios.", ["human_resources"]),
    ("Faltan médicos especialistas en las comunidades rurales y se abrirán plazas.", ["human_resources"]),
    ("Se capacitó al personal de enfermería en los turnos nocturnos.", ["human_resources"]),
    ("Se concluirá la construcción de la torre médica y se instalarán dos tomógrafos.", ["infrastructure"]),
    ("La rehabilitación de 40 centros de salud terminará este año.", ["infrastructure"]),
    ("El nuevo hospital tendrá 120 camas y seis quirófanos equipados.", ["infrastructure"]),
    ("Se entregaron ambulancias y ventiladores a los hospitales generales.", ["infrastructure"]),
    ("Las obras de ampliación de la clínica incluyen un área de urgencias.", ["infrastructure"]),
    ("Se dio mantenimiento a los elevadores y al equipo médico de la unidad.", ["infrastructure"]),
    ("El gobierno del estado firmó el convenio de adhesión al IMSS-Bienestar.", ["governance"]),
    ("La federalización de los servicios de salud se coordina en mesas de trabajo.", ["governance"]),
    ("El doctor fue nombrado coordinador estatal del programa.", ["governance"]),
    ("La ley general de salud fue reformada por decreto.", ["governance"]),
    ("La auditoría revisó el presupuesto ejercido por el instituto.", ["governance"]),
    ("Los estados acordaron integrarse al nuevo modelo de atención.", ["governance"]),
    ("Con 300 millones de pesos se rehabilitarán los hospitales, informó la secretaria.", ["governance", "infrastructure"]),
    ("Se instalaron mesas de trabajo sobre abasto de medicamentos y contratación de personal.", ["governance", "human_resources", "medicine_supply"]),
    ("Buenas tardes a todos, agradezco la presencia del gobernador.", []),
    ("Se registraron 1,200 casos nuevos y la ocupación hospitalaria es de 35 por ciento.", []),
    ("Pidió a la población lavarse las manos y acudir a vacunarse.", []),
    ("Muchas gracias, señor presidente, con mucho gusto.", []),
    ("La curva epidémica muestra un descenso en la mayoría de los estados.", []),
    ("Recomendamos quedarse en casa y usar cubrebocas en lugares cerrados.", []),
]


# Different sentences for the evaluation splits, so no split repeats another.
TINY_EVAL: list[tuple[str, list[str]]] = [
    ("Faltaron vacunas contra la influenza en varias farmacias del instituto.", ["medicine_supply"]),
    ("Se contratarán tres mil médicos generales para los centros de salud.", ["human_resources"]),
    ("Terminaron los trabajos de remodelación del área de hospitalización.", ["infrastructure"]),
    ("Firmaron un acuerdo de coordinación entre el instituto y la secretaría estatal.", ["governance"]),
    ("Hoy amaneció soleado en la capital del país y hubo mucho tráfico.", []),
    ("Los almacenes recibieron el medicamento para el tratamiento de la diabetes.", ["medicine_supply"]),
    ("Las enfermeras recibirán su plaza definitiva y mejores prestaciones.", ["human_resources"]),
    ("Se compró un tomógrafo y un equipo de rayos X para la clínica.", ["infrastructure"]),
    ("El nuevo decreto reorganiza el sistema nacional de salud.", ["governance"]),
    ("Agradezco a todas y todos por su atención, buenas noches.", []),
    ("Hay entrega oportuna de insumos y medicamentos en los hospitales rurales.", ["medicine_supply"]),
    ("El presupuesto del programa fue aprobado por el congreso estatal.", ["governance"]),
]


# Written releases for the written_test split.
TINY_WRITTEN: list[tuple[str, list[str]]] = [
    ("La Secretaría de Salud informa que llegaron cien mil dosis de vacuna contra la influenza al estado.", ["medicine_supply"]),
    ("Trabajadores del hospital iniciaron un paro indefinido para exigir el pago de bonos atrasados.", ["human_resources"]),
    ("El gobernador inauguró el nuevo centro de salud con consultorios y sala de rayos X.", ["infrastructure"]),
    ("El jefe de la jurisdicción sanitaria destacó la participación de las familias en la jornada.", []),
]


def tiny_records(
    offset: int = 0, date: str = "2023-05-01", prefix: str = "doc", rows: list[tuple[str, list[str]]] | None = None
) -> list[dict]:
    out = []
    for i, (text, labels) in enumerate(TINY if rows is None else rows):
        doc = f"{prefix}{(i + offset) % 8}"
        out.append({
            "id": f"{doc}:{i}", "doc_id": doc, "para_idx": i, "text": text, "labels": sorted(labels),
            "source": "test", "date": date, "annotator": "test-author", "guide_version": 2,
        })
    return out


def write_split(data_dir: Path, split: str, records: list[dict]) -> None:
    (data_dir / "gold").mkdir(parents=True, exist_ok=True)
    (data_dir / "gold" / f"{split}.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A data dir with all four splits; the same sentences under different documents."""
    d = tmp_path / "data"
    write_tiny_splits(d)
    return d


def write_tiny_splits(d: Path) -> None:
    write_split(d, "train", tiny_records(prefix="tr"))
    write_split(d, "validation", tiny_records(prefix="va", rows=TINY_EVAL[0:4]))
    write_split(d, "test", tiny_records(prefix="te", rows=TINY_EVAL[4:8]))
    write_split(d, "temporal_test", tiny_records(prefix="tt", date="2025-05-01", rows=TINY_EVAL[8:12]))
    write_split(d, "written_test", tiny_records(prefix="wr", rows=TINY_WRITTEN))


TINY_CONFIG = {
    "name": "tiny",
    "seed": 0,
    "features": {"word": {"ngram_range": [1, 1], "min_df": 1}},
    "model": {"type": "logreg", "C": 10.0},
    "thresholds": {"strategy": "fixed", "value": 0.4},
    "cv": {"folds": 2},
}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved model directory trained on the tiny corpus (session-wide: tests must not modify it)."""
    from bulletin_clf.train import train

    root = tmp_path_factory.mktemp("tiny")
    d = root / "data"
    write_tiny_splits(d)
    out = root / "model"
    train(parse_config(TINY_CONFIG), out, data_dir=d, progress=False)
    return out


@pytest.fixture
def model_copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny model directory that a test may tamper with."""
    import shutil

    dst = tmp_path / "model"
    shutil.copytree(tiny_model_dir, dst)
    return dst
