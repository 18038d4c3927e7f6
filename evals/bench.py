"""Placeholder for `rag bench`: being written (see the issue)."""

from __future__ import annotations

import argparse

from rag.errors import ConfigError
from rag.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's flags."""


def main(args: argparse.Namespace, settings: Settings) -> int:
    """Not written yet."""
    raise ConfigError("rag bench is not available yet")
