"""The building blocks of every config section: the strict base model and the field types.

Why: every value the templates emit is checked here against the rules AWS applies
(aws-facts.md §8) before any Terraform exists, and a type used by two sections (an account id,
a bucket name, a role ARN) is defined once. Unknown keys are errors, because a misspelt
protection that silently falls back to its default is worse than no option.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictInt,
    StrictStr,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core.core_schema import CoreSchema

from generator.config.regions import partition_of
from generator.core.arns import arn_account

_BUCKET_RE = re.compile(
    r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)"
    r"(?!.*\.\.)(?!.*(?:\.-|-\.))[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
)


_TRAIL_RE = re.compile(r"^[A-Za-z0-9](?:[._-]?[A-Za-z0-9])+$")


_PREFIX_SEGMENT_RE = re.compile(r"^[A-Za-z0-9!_.'()-]+$")


_TAG_PUNCTUATION = set(" _.:/=+-@")


@dataclass(frozen=True)
class _Pattern(AfterValidator):
    """An AfterValidator that also puts its regular expression in the JSON Schema.

    Why: an editor with the schema then flags a bad account id as the user types, as
    ``validate`` does; the message stays ours (pydantic's own ``pattern`` would word it).
    """

    pattern: str = ""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result = handler(schema)
        result["pattern"] = self.pattern
        return result


def _match(pattern: str, rule: str) -> AfterValidator:
    compiled = re.compile(pattern, re.ASCII)  # AWS identifiers are ASCII: \d is [0-9] only

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not valid: {rule}")
        return value

    return _Pattern(check, pattern=f"^(?:{pattern})$")


def _bucket_name(value: str) -> str:
    if value != value.lower():
        fix = f" ({value.lower()!r})" if _BUCKET_RE.fullmatch(value.lower()) else ""
        raise ValueError(f"{value!r} has uppercase letters; S3 bucket names are lowercase{fix}")
    if not _BUCKET_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid S3 bucket name: 3-63 characters from a-z 0-9 . -, starting"
            " and ending with a letter or digit, no '..', '.-' or '-.', no reserved prefix"
            " (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3,"
            " --table-s3)"
        )
    if re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", value):
        raise ValueError(
            f"{value!r} is not a valid S3 bucket name: it is formatted as an IP address"
        )
    return value


def _trail_name(value: str) -> str:
    if not (3 <= len(value) <= 128 and _TRAIL_RE.fullmatch(value)):
        raise ValueError(
            f"{value!r} is not a valid trail name: 3-128 ASCII letters, digits, '.', '_' or '-',"
            " starting and ending with a letter or digit, no two separators in a row"
        )
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", value):
        raise ValueError(f"{value!r} is not a valid trail name: it is formatted as an IP address")
    return value


def _region(value: str) -> str:
    if partition_of(value) is None:
        import difflib

        from generator.config.regions import partitions, provenance

        known = sorted(region for partition in partitions() for region in partition.regions)
        close = difflib.get_close_matches(value, known, n=2, cutoff=0.75)
        hint = (
            f"did you mean {' or '.join(map(repr, close))}?"
            if close
            else "a region launched later needs a newer orgtrail-gen"
        )
        raise ValueError(
            f"{value!r} is not a region where CloudTrail runs (orgtrail-gen's region table,"
            f" from {provenance()}); {hint}"
        )
    return value


def _key_prefix(value: str) -> str:
    if not 1 <= len(value) <= 200:
        raise ValueError("must be 1-200 characters (CloudTrail API limit)")
    if value.startswith("/") or value.endswith("/"):
        raise ValueError(f"{value!r}: must not start or end with '/' (CloudTrail adds the '/')")
    for segment in value.split("/"):
        if segment in ("", ".", "..") or not _PREFIX_SEGMENT_RE.fullmatch(segment):
            raise ValueError(
                f"{value!r}: use S3-safe characters only (A-Z a-z 0-9 ! _ . ' ( ) -, '/' between"
                " non-empty segments); '*' is refused because it would widen the bucket policy"
            )
    return value


def _tag_text(value: str, *, is_key: bool) -> str:
    if unicodedata.normalize("NFC", value) != value:
        raise ValueError(
            f"{value!r} is not in Unicode NFC form; Terraform would send AWS a different string"
        )
    limit = 128 if is_key else 256
    if len(value) > limit or (is_key and not value):
        raise ValueError(f"tag {'key' if is_key else 'value'} must be {int(is_key)}-{limit} chars")
    bad = sorted({c for c in value if not (c.isalnum() or c in _TAG_PUNCTUATION)})
    if bad:
        raise ValueError(f"{value!r}: characters {''.join(bad)!r} are not allowed in AWS tags")
    if is_key and value.lower().startswith("aws:"):
        raise ValueError(f"{value!r}: the 'aws:' prefix is reserved for AWS")
    return value


AccountId = Annotated[
    StrictStr, _match(r"\d{12}", "an AWS account id is 12 digits, quoted in YAML ('012345678901')")
]


OrgId = Annotated[StrictStr, _match(r"o-[a-z0-9]{10,32}", "expected o- and 10-32 of a-z 0-9")]


Region = Annotated[StrictStr, AfterValidator(_region)]


BucketName = Annotated[StrictStr, AfterValidator(_bucket_name)]


LogGroupName = Annotated[
    StrictStr, _match(r"[.\-_/#A-Za-z0-9]{1,512}", "1-512 characters from a-z A-Z 0-9 _ - / . #")
]


IamRoleName = Annotated[
    StrictStr, _match(r"[\w+=,.@-]{1,64}", "1-64 characters [A-Za-z0-9+=,.@_-]")
]


class StrictModel(BaseModel):
    """Base of every config section: unknown keys are errors, values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


PositiveDays = Annotated[StrictInt, Field(ge=1, le=36500)]


Principal = Annotated[
    StrictStr,
    _match(
        r"\d{12}|arn:aws[a-z-]*:iam::\d{12}:(?:root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})",
        "an account id or an IAM role/user ARN",
    ),
]


_OneOrMore = (
    Annotated[StrictStr, Field(min_length=1)]
    | Annotated[list[Annotated[StrictStr, Field(min_length=1)]], Field(min_length=1)]
)


def as_list(value: str | list[str]) -> list[str]:
    """IAM JSON allows one string wherever a list is meant."""
    return [value] if isinstance(value, str) else list(value)


_ARN_PARTITION = r"arn:aws[a-z-]*"


_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"


TrailArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:cloudtrail:[a-z0-9-]+:\d{{12}}:trail/[A-Za-z0-9._-]{{3,128}}",
        "a trail ARN, arn:<partition>:cloudtrail:<home region>:<account>:trail/<name>",
    ),
]


KeyArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:kms:[a-z0-9-]+:\d{{12}}:key/{_KEY_ID}",
        "a symmetric key's ARN, arn:<partition>:kms:<region>:<account>:key/<key-id>",
    ),
]


LogGroupArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:logs:[a-z0-9-]+:\d{{12}}:log-group:[.\-_/#A-Za-z0-9]{{1,512}}(?::\*)?",
        "a log group ARN, arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]",
    ),
]


RoleArn = Annotated[
    StrictStr,
    _match(
        rf"{_ARN_PARTITION}:iam::\d{{12}}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}}",
        "a role ARN, arn:<partition>:iam::<account>:role/<name>",
    ),
]


def _sorted_tags(value: dict[str, str]) -> dict[str, str]:
    return dict(sorted(value.items()))


TagKey = Annotated[StrictStr, AfterValidator(lambda v: _tag_text(v, is_key=True))]


TagValue = Annotated[StrictStr, AfterValidator(lambda v: _tag_text(v, is_key=False))]


def _principal_key(principal: str) -> str:
    """A principal as an account id or ARN, normalised so that '1234' and its root ARN compare."""
    if principal.endswith(":root"):
        return arn_account(principal) or principal
    return principal


# One cross-field finding: the path of the key the user must change, and the message.
Issue = tuple[tuple[str | int, ...], str]
