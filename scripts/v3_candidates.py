"""Find gold paragraphs that fall under the rules guide v3 added, for re-reading.

Guide v3's section "Written releases and news" settles ten kinds of paragraph.
This script finds, by word search over ``data/gold``, the paragraphs that may
fall under each rule; annotators then re-read every candidate against v3
(``data/annotation/raw5/v*.jsonl``), and ``build_dataset.py`` applies the
labels they give, recording ``guide_version: 3`` and the rule on each change.
The search only proposes; the labels come from reading.

Run from the repo root: ``python scripts/v3_candidates.py``.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_for_annotation import fold, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
BATCH = 300

# Rule name (as in data/README.md) -> folded-text patterns that may signal it.
RULES: dict[str, list[str]] = {
    "labour disputes": [r"\bparo", r"huelga", r"protest", r"manifestac", r"sindicat", r"bonos?\b", r"basifica",
                        r"no les han pagado", r"adeud", r"salarios? (atrasad|pendient)"],
    "shortage complaints": [r"no hay (insumos|medicament|medicina)", r"no (habia|hay|tienen) (medicina|medicament|insumo|material)",
                            r"compra(r|n) sus (propios )?medicament", r"falta(n|ba)? (de )?(medicament|insumo|material de curacion|reactivo)"],
    "regulatory alerts": [r"cofepris", r"alerta sanitaria", r"falsific", r"clausur", r"asegura(ron|miento)", r"fomento sanitario",
                          r"verificacion sanitaria", r"retiro del mercado", r"copri"],
    "vaccines available vs applied": [r"vacunas? (estan|esta) disponible", r"dosis aplicad", r"biologicos?", r"cobertura de vacunacion",
                                      r"dosis (recibid|distribuid|llegar)", r"jornada de vacunacion", r"\bdosis\b"],
    "officials named": [r"jurisdiccion sanitaria", r"inaugur", r"encabez", r"\b(jefa|jefe|director|directora|secretari[oa]|coordinador[a]?)\b.{0,60}(destaco|informo|encabezo|inaugur|visito|agradecio|reconocio)"],
    "buildings praised": [r"(orgullo|hermoso|moderno|gran|magnifico|extraordinario) hospital", r"red de \d+ (hospitales|centros|unidades)",
                          r"contara con \d+ camas", r"tendra \d+ (camas|quirofanos|consultorios)"],
    "staff counts inside programmes": [r"\d[\d,. ]*(mil )?(medicos|enfermeras|enfermeros|promotores|brigadistas|trabajadores de la salud).{0,60}(visita|recorr|casa por casa|brigada|domicili)"],
    "pharmacies": [r"farmacias? del bienestar", r"modulos? de (medicamentos|farmacia)", r"farmacias? gratuit"],
    "lists": [r"(abasto|medicamentos).{0,40}(personal|medicos).{0,40}(infraestructura|obra|equipamiento)",
              r"(infraestructura|equipamiento).{0,40}(personal|medicos).{0,40}(abasto|medicamentos)"],
    "audits": [r"auditor", r"\basf\b", r"funcion publica", r"anticorrup", r"buen gobierno"],
    "access schemes": [r"credencial", r"servicio universal", r"afiliaci", r"registro .{0,20}(imss|bienestar|servicio)"],
}
COMPILED = {rule: [re.compile(p) for p in pats] for rule, pats in RULES.items()}


def main() -> None:
    records = []
    for split in ("train", "validation", "test", "temporal_test"):
        path = ROOT / "data" / "gold" / f"{split}.jsonl"
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    per_rule: Counter[str] = Counter()
    for r in records:
        text = fold(r["text"])
        rules = [rule for rule, pats in COMPILED.items() if any(p.search(text) for p in pats)]
        if rules:
            out.append({"id": r["id"], "text": r["text"], "labels_v2": r["labels"], "rules": rules})
            per_rule.update(rules)
    write_jsonl(ROOT / "data" / "annotation" / "v3_candidates.jsonl", out)
    batches = ROOT / "data" / "annotation" / "batches"
    batches.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(out), BATCH):
        with open(batches / f"v{i // BATCH + 1:02d}.txt", "w", encoding="utf-8") as fh:
            for rec in out[i : i + BATCH]:  # the re-reader sees the current labels, not the search rule
                fh.write(f"[{rec['id']}] current: {json.dumps(rec['labels_v2'])}\n{rec['text']}\n\n")
    print(f"{len(out)} candidates of {len(records)} gold paragraphs; per rule: {dict(per_rule.most_common())}")


if __name__ == "__main__":
    main()
