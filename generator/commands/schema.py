"""``orgtrail-gen schema``: the config's JSON Schema, for editors and ``configs/schema.json``.

Why: ``# yaml-language-server: $schema=./schema.json`` gives completion and inline errors
while typing; the schema comes from the same model that validates.
"""

from __future__ import annotations

import argparse
import sys

from generator.core.errors import EXIT_OK

HELP = "print the config's JSON Schema (configs/schema.json is generated from it)"


def configure(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def run(args: argparse.Namespace) -> int:
    """Print the schema."""
    from generator.config.schema import config_schema
    from generator.sections.registry import Config

    sys.stdout.write(config_schema(Config))
    return EXIT_OK
