"""The commented ``athena:`` section that ``discover`` writes into a config.

Why apart from config_yaml: it is the one section discover cannot fill in for good (it cannot
choose a results bucket), so it is written as a comment to uncomment, with the account enum of
a small organization already listed.
"""

from __future__ import annotations

from generator.aws.discover import Discovery
from generator.sections.athena.model import MAX_ENUM_ACCOUNTS


def athena_section(found: Discovery) -> list[str]:
    """A commented ``athena:`` section: the account enum filled in for a small organization.

    Commented out because it needs a results bucket discover cannot choose. An organization of
    at most MAX_ENUM_ACCOUNTS active accounts gets their ids as the enum; a larger one
    ``injected`` (every query then names its accounts).
    """
    accounts = list(found.active_account_ids)
    small = 0 < len(accounts) <= MAX_ENUM_ACCOUNTS
    account_lines = (
        [f"#   accounts:  # every active account ({len(accounts)})"]
        + [f'#     - "{account}"' for account in accounts]
        if small
        else [f"#   accounts: injected  # {len(accounts)} active accounts: queries name theirs"]
    )
    return [
        "",
        '# Query every account with Athena (orgtrail-gen docs, "Querying every account"):',
        "# uncomment and name a bucket of its own for query results.",
        "# athena:",
        '#   start_date: "YYYY/MM/DD"  # the first day of logs to query',
        *account_lines,
        "#   results:",
        "#     bucket: RESULTS-BUCKET",
    ]
