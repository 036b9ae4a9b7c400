"""The owner_trail section: the companion layout beside an organization trail owned elsewhere.

It renders no file of its own: the other sections read ``facts.owner`` and generate only what
this tool adds on top of the owner's trail (metric filters and alarms on its log group, Athena
over its bucket, a trail of data events only), and rule OTG110 refuses any resource that would
manage the owner's trail, bucket, key or log group.
"""

from __future__ import annotations

from generator.sections.base import Section
from generator.sections.facts import ModuleFacts
from generator.sections.owner import model, rules


def build(facts: ModuleFacts) -> None:
    """Nothing to render: the owner's resources are read, never declared."""
    return None


def warnings(facts: ModuleFacts) -> list[str]:
    """What the companion layout leaves to the owner, said before anyone applies."""
    owner = facts.owner
    if owner is None:
        return []
    result = [
        f"owner_trail: {owner.manager}'s organization trail {owner.arn} records the management "
        "events; this module manages none of its trail, bucket, bucket policy, key or log group "
        "(rule OTG110), and `orgtrail-gen verify` checks that they still deliver"
    ]
    if not facts.creates_trail:
        result.append(
            "owner_trail: trail.events is not set, so this module creates no trail of its own; "
            "set trail.events (management read_write: none, with data or network activity "
            "events) for a trail of data events beside the owner's"
        )
    return result


SECTION = Section(
    name="owner",
    keys=("owner_trail",),
    templates=(),
    view=build,
    cross_field_issues=model.cross_field_issues,
    warnings=warnings,
    rules=rules,
)
