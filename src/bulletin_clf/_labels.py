"""The label set, in the fixed order used by every array and file."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("medicine_supply", "human_resources", "infrastructure", "governance")
NONE_LABEL = "other"  # what users see for an empty label set

GUIDE_VERSION = 3
