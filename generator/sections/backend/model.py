"""The backend section: where Terraform keeps this module's state."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, StrictStr

from generator.config.fields import BucketName, Issue, KeyArn, Region, StrictModel
from generator.config.regions import partition_of
from generator.core.arns import parse_arn

if TYPE_CHECKING:
    from generator.sections.registry import Config


_STATE_KEY_SEGMENT_RE = re.compile(r"^[A-Za-z0-9!_.'()=-]+$")


def _state_key(value: str) -> str:
    if not 1 <= len(value.encode("utf-8")) <= 1024:
        raise ValueError("must be 1-1024 bytes (the S3 object key limit)")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise ValueError(
            f"{value!r}: must not start or end with '/' or hold '//' (the S3 backend refuses it)"
        )
    for segment in value.split("/"):
        if segment in (".", "..") or not _STATE_KEY_SEGMENT_RE.fullmatch(segment):
            raise ValueError(
                f"{value!r}: use S3-safe characters only (A-Z a-z 0-9 ! _ . ' ( ) = -, '/' between"
                " segments; no '.' or '..' segment)"
            )
    return value


class Backend(StrictModel):
    """Where Terraform keeps this module's state: an S3 backend with native locking."""

    bucket: BucketName = Field(
        description="Existing, versioned bucket for Terraform state (not the log bucket)."
    )
    key: Annotated[StrictStr, AfterValidator(_state_key)] = Field(
        description="Object key of the state file, e.g. orgtrail/prod/terraform.tfstate."
    )
    region: Region | None = Field(
        default=None, description="Region of the state bucket. Default: trail.home_region."
    )
    kms_key_id: KeyArn | None = Field(
        default=None,
        description="Encrypt state with this KMS key (SSE-KMS) instead of S3-managed keys.",
    )

    def state_region(self, home_region: str) -> str:
        """The state bucket's region: as configured, else the trail's home region."""
        return self.region or home_region


def cross_field_issues(config: Config) -> list[Issue]:
    """Rules of the state backend that relate it to the rest of the config."""
    backend = config.backend
    if backend is None:
        return []
    issues: list[Issue] = []
    if backend.bucket == config.bucket.name:
        issues.append((("backend", "bucket"),
                       "keep state out of the log bucket: its policy, lifecycle and Object Lock "
                       "are made for logs; use a bucket of its own"))  # fmt: skip
    home = partition_of(config.trail.home_region)
    region = backend.state_region(config.trail.home_region)
    state = partition_of(region)
    if home and state and state.name != home.name:
        issues.append((("backend", "region"),
                       f"{region} is in partition {state.name}, the trail in {home.name}: one "
                       "set of credentials cannot reach both"))  # fmt: skip
    if backend.kms_key_id is not None:
        key = parse_arn(backend.kms_key_id)
        arn_partition, key_region = (key.partition, key.region) if key else ("", "")
        if key_region != region:
            issues.append((("backend", "kms_key_id"),
                           f"the key is in {key_region}, the state bucket in {region}: S3 needs "
                           "a key in the bucket's region"))  # fmt: skip
        if state and arn_partition != state.name:
            issues.append((("backend", "kms_key_id"), f"not in partition {state.name}"))
    return issues
