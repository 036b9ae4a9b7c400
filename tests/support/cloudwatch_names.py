"""CloudWatch's own name rules, for tests that hold the catalogue's names to them.

Why here: the product never checks a name against these (the catalogue's names are fixed and
custom names are validated by the config model); only the tests do, so the rules live with them.
"""

import re

_FILTER_NAME = re.compile(r"[^:*]{1,512}")
_METRIC_NAME = re.compile(r"[^:*$]{1,255}")


def is_valid_filter_name(name: str) -> bool:
    """Botocore ``FilterName``: 1-512 characters, none of them ``:`` or ``*``."""
    return bool(_FILTER_NAME.fullmatch(name))


def is_valid_metric_name(name: str) -> bool:
    """Botocore ``MetricName``: 1-255 characters (CloudWatch needs one), no ``:``, ``*``, ``$``."""
    return bool(_METRIC_NAME.fullmatch(name))
