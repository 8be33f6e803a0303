#!/usr/bin/env bash
# Round 5 of the labeling loop: the paragraphs chosen by `bulletin-clf select`
# (guide v3), and same-pool random controls to compare the choice with.
# Committee: the shipped model (word n-grams) and a character n-gram model
# trained on the round-4 data by `bulletin-clf train experiments/logreg_char25.yaml
# --out runs/committee_char25 --no-cv`. Run from the repo root.
set -euo pipefail
corpus=../shared/corpus/transcripts-health.jsonl.gz
out=data/annotation
model=src/bulletin_clf/models/default
common=(--data-dir data --committee runs/committee_char25 --exclude "$out/sample_round5_temporal.jsonl")
# Recent pool (the new administration, before the held-out months 2025-04..06).
bulletin-clf select "$model" "$corpus" "${common[@]}" --date-from 2024-10-01 --date-to 2025-03-31 \
    --per-doc 60 --random --seed 5 --n 150 --out "$out/select_round5_recent_random.jsonl"
bulletin-clf select "$model" "$corpus" "${common[@]}" --date-from 2024-10-01 --date-to 2025-03-31 \
    --per-doc 60 --n 2000 --exclude "$out/select_round5_recent_random.jsonl" --out "$out/select_round5_recent.jsonl"
# Older pool: topics the model misses, at most 2 paragraphs per document.
bulletin-clf select "$model" "$corpus" "${common[@]}" --date-to 2024-09-30 \
    --per-doc 2 --random --seed 5 --n 150 --out "$out/select_round5_older_random.jsonl"
bulletin-clf select "$model" "$corpus" "${common[@]}" --date-to 2024-09-30 \
    --per-doc 2 --n 2000 --exclude "$out/select_round5_older_random.jsonl" --out "$out/select_round5_older.jsonl"
# Second pass over the recent pool, after the first pass was labeled (it fell 54 short of the
# 2,000 recent paragraphs the round aimed at): the shipped model of commit d415c8f (trained on the
# first pass) chooses, same committee and filters.
bulletin-clf select "$model" "$corpus" "${common[@]}" --date-from 2024-10-01 --date-to 2025-03-31 \
    --per-doc 60 --n 200 --exclude "$out/select_round5_recent_random.jsonl" --out "$out/select_round5_recent2.jsonl"
