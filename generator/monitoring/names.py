"""Terraform labels of the monitoring resources, derived from what they are.

Why a module of its own: the config refuses two filters or subscriptions that would share a
label (two resources with one address), and the views name the resources; both must derive
labels the same way, and neither should own the rule.
"""

from __future__ import annotations

import re


def monitoring_label(name: str) -> str:
    """A filter's name as its Terraform label: ``IAMPolicyChanges`` -> ``iam_policy_changes``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def subscription_label(protocol: str, endpoint: str) -> str:
    """A subscription's Terraform label, from what it is rather than where it is listed.

    Reordering the list must not move a subscription to another address: Terraform would
    delete and re-create it, and an email subscription would need confirming again.
    """
    return f"{protocol}_" + re.sub(r"[^a-z0-9]+", "_", endpoint.lower()).strip("_")
