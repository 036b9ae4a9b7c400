"""Templates only loop and look up: references and derived values come from the views.

A reference spelled in a template (``"aws_s3_bucket." ~ label ~ ".id"``) or a value cut out of
another (``trail.arn.split(":")[3]``) is logic the views' tests never see; the views hand the
templates typed :class:`~generator.render.hcl.Ref` values and plain fields instead.
"""

from __future__ import annotations

import re

from generator.core.paths import templates_dir

_LOGIC = re.compile(r"~|\.split\(|\.replace\(|\.join\(|\[-?\d+\]")


def test_no_template_concatenates_references_or_cuts_values() -> None:
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(templates_dir().glob("*.j2"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for expression in re.findall(r"\{[{%](.*?)[%}]\}", line)
        if _LOGIC.search(expression)
    ]
    assert found == []
