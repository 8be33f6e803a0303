"""bulletin_clf: topic tags for paragraphs of Mexican health-sector press releases.

>>> import bulletin_clf
>>> tagger = bulletin_clf.load()                       # the shipped model
>>> tagger.predict(["Se distribuyeron 12 mil cajas de insulina a los almacenes."])
[('medicine_supply',)]

Labels: ``medicine_supply``, ``human_resources``, ``infrastructure``,
``governance``; an empty tuple means none of the four.
"""

from __future__ import annotations

from ._labels import LABELS
from ._version import __version__
from .errors import BulletinError, ConfigError, DataError, ModelLoadError, ReadError
from .tag import BatchTagger, TaggedDocument, TaggedParagraph, Tagger, load, tag_files

__all__ = [
    "LABELS",
    "BatchTagger",
    "BulletinError",
    "ConfigError",
    "DataError",
    "ModelLoadError",
    "ReadError",
    "TaggedDocument",
    "TaggedParagraph",
    "Tagger",
    "__version__",
    "load",
    "tag_files",
]
