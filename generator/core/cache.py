"""Entries of the user's cache folder: JSON files read back if sound, written atomically.

Why one home: every cached result (today, the parse cache) is kept the same way, and a
cache may only ever cost speed - an unreadable, corrupt or unwritable entry is treated as
absent, and a failed write leaves no temporary file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def read_json(path: Path) -> Any | None:
    """The entry's JSON value, or None if it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data: Any) -> bool:
    """Write an entry atomically (its folder created); False if the folder is not writable.

    The temporary file is removed whatever happens before the rename, a value that is not
    JSON (a bug, raised as TypeError) included.
    """
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        temporary = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
        temporary.replace(path)
        temporary = None
        return True
    except OSError:
        return False
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
