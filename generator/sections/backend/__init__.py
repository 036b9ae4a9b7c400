"""The backend section: the S3 backend, state encrypted and locked with a lock file beside it.

It owns ``backend.tf``. Without it, a hand-written backend.tf is kept (the writer never
replaces a file it did not generate) or the state stays local.
"""

from __future__ import annotations

from typing import NamedTuple

from generator.sections.backend import model
from generator.sections.base import Section
from generator.sections.facts import ModuleFacts


class BackendView(NamedTuple):
    """What backend.tf needs."""

    files: tuple[str, ...]
    bucket: str
    key: str
    region: str
    kms_key_id: str | None


def build(facts: ModuleFacts) -> BackendView | None:
    """The S3 backend (no DynamoDB table: ``use_lockfile``)."""
    backend = facts.config.backend
    if backend is None:
        return None
    return BackendView(
        files=("backend",),
        bucket=backend.bucket,
        key=backend.key,
        region=backend.state_region(facts.config.trail.home_region),
        kms_key_id=backend.kms_key_id,
    )


SECTION = Section(
    name="backend",
    keys=("backend",),
    templates=("backend",),
    view=build,
    cross_field_issues=model.cross_field_issues,
)
