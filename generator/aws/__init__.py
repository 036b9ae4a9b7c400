"""Everything that talks to AWS: the session seam, ``discover`` and ``verify``.

Why a package of its own: it is the only place that imports boto3, and nothing imports boto3
at module level, so generating Terraform never pays for it.

- ``session``: the one seam (clients, retries, paginators, call counts, AWS errors -> exit 3)
- ``options``: the ``--profile/--region/--endpoint-url`` arguments both commands share
- ``discover`` reads the organization and its trails; ``config_yaml`` writes them as a config
- ``verify`` holds the list of checks; ``live`` the state they share; ``accounts`` the checks
  that every account delivers, over the listings in ``delivery``; ``report`` prints results
- ``progress``: the terminal-only progress line
"""
