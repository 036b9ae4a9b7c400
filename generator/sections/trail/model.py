"""The trail section: the organization trail's name, regions and what it records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictStr

from generator.config.fields import Issue, Region, StrictModel, _key_prefix, _trail_name
from generator.config.regions import partition_of
from generator.sections.trail.event_issues import event_issues
from generator.sections.trail.events import Events

if TYPE_CHECKING:
    from generator.sections.registry import Config


class Trail(StrictModel):
    """The organization trail."""

    name: Annotated[StrictStr, AfterValidator(_trail_name)] = Field(
        description="3-128 of A-Z a-z 0-9 . _ -, CloudTrail's rules; part of the trail's ARN."
    )
    home_region: Region = Field(description="Region the trail is created in (its ARN's region).")
    regions: list[Region] | None = Field(
        default=None,
        min_length=1,
        description=(
            "Regions whose delivery the organization expects (verify and monitoring check them); "
            "must include home_region. Default: the home region only. The trail itself records "
            "every enabled region when is_multi_region is true."
        ),
    )
    s3_key_prefix: Annotated[StrictStr, AfterValidator(_key_prefix)] | None = Field(
        default=None, description="Optional prefix in front of AWSLogs/ in the bucket."
    )
    is_multi_region: StrictBool = Field(
        default=True, description="Record every enabled region; requires global service events."
    )
    include_global_service_events: StrictBool = Field(
        default=True, description="Record IAM, STS and CloudFront events."
    )
    enable_log_file_validation: StrictBool = Field(
        default=True, description="Write hourly signed digest files."
    )
    events: Events | None = Field(
        default=None,
        description=(
            "What the trail records: management events, data events, network activity events, "
            "Insights. Omit for CloudTrail's default: every management event, read and write."
        ),
    )

    @property
    def expected_regions(self) -> list[str]:
        """The regions whose delivery is expected: ``regions``, or the home region alone."""
        return list(self.regions) if self.regions else [self.home_region]


def cross_field_issues(config: Config) -> list[Issue]:
    """The trail's cross-field rules: regions, partition, global events, selectors."""
    issues: list[Issue] = []
    trail = config.trail
    regions = trail.regions or []
    if regions and trail.home_region not in regions:
        issues.append((("trail", "regions"), f"must include the home region {trail.home_region}"))
    for i, region in enumerate(regions):
        if region in regions[:i]:
            issues.append((("trail", "regions", i), f"{region} is listed twice"))
    home = partition_of(trail.home_region)
    for i, region in enumerate(regions):
        other = partition_of(region)
        if home and other and other.name != home.name:
            issues.append(
                (
                    ("trail", "regions", i),
                    f"{region} is in partition {other.name}, the home region in {home.name}: an "
                    "organization trail covers only its own partition",
                )
            )
    if trail.is_multi_region and not trail.include_global_service_events:
        issues.append(
            (
                ("trail", "include_global_service_events"),
                "must be true for a multi-region trail (AWS rejects the combination with "
                "InvalidParameterCombinationException)",
            )
        )
    if not trail.is_multi_region and regions and regions != [trail.home_region]:
        issues.append(
            (
                ("trail", "regions"),
                "a single-region trail logs only its home region; list only "
                f"{trail.home_region} or set is_multi_region: true",
            )
        )
    global_region = home.global_region if home else None
    if (
        not trail.is_multi_region
        and trail.include_global_service_events
        and global_region
        and trail.home_region != global_region
    ):
        issues.append(
            (
                ("trail", "is_multi_region"),
                f"a single-region trail in {trail.home_region} records NO global service events "
                f"(IAM, STS, CloudFront): since 22 November 2021 they are recorded in "
                f"{global_region} only. Set is_multi_region: true (recommended), or set "
                "include_global_service_events: false to accept that they are not recorded",
            )
        )
    issues.extend(event_issues(config))
    return issues
