"""Errors of the bottom layer that every layer may raise or catch."""

from __future__ import annotations


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""
