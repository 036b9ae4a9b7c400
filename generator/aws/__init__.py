"""Everything that talks to AWS: the session seam, ``discover`` and ``verify``.

Why a package of its own: it is the only place that imports boto3, and nothing outside it
imports it at module level, so generating Terraform never pays for boto3. ``session`` builds
every client; the other modules only ask it for calls and pages.
"""
