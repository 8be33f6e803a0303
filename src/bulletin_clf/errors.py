"""Exceptions with messages meant to be shown to users as one line."""

from __future__ import annotations


class BulletinError(Exception):
    """Base class of every error bulletin_clf raises on purpose."""


class ReadError(BulletinError):
    """A file could not be turned into text (message names the file and the reason)."""


class ConfigError(BulletinError):
    """An experiment config is malformed; the message names the key path."""


class DataError(BulletinError):
    """The labeled data is malformed, leaks between splits or cannot train a model."""


class ModelLoadError(BulletinError):
    """A saved model directory is missing, tampered with or from another version."""
