"""The JSON Schema of the config, for editor completion and validation.

Why: ``# yaml-language-server: $schema=./schema.json`` in a config gives users completion and
inline errors while they type; the schema is generated from the same model that validates.
"""

from __future__ import annotations

import json

from pydantic import BaseModel


def config_schema(model: type[BaseModel]) -> str:
    """The schema as stable, pretty JSON text (ends with a newline)."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "orgtrail-gen config"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
