"""Where a CIS flavour's pattern deliberately differs from the events its control names.

Shared by the catalogue tests and the render tests, which check the same deviations on the
patterns the module writes.
"""

from __future__ import annotations

# Genuine overlaps, each one a known property of the published string:
EXTRA: dict[tuple[str, str], set[str]] = {
    # Security Hub's 4.1 has no exclusion for AWS log delivery probing the bucket.
    ("4.1", "securityhub"): {"s3-HeadBucket-delivery-AccessDenied"},
    # The basic MFA pattern also counts failed sign-ins and SSO (federated) sign-ins.
    ("4.2", "cis-basic"): {"signin-ConsoleLogin-failed", "signin-ConsoleLogin-sso-federated"},
    # 4.4 has no eventSource: Organizations' CreatePolicy/DeletePolicy (SCPs) match too.
    ("4.4", "securityhub"): {"organizations-CreatePolicy", "organizations-DeletePolicy"},
    # Without the ec2 eventSource, API Gateway v2's CreateRoute looks like a route change.
    ("4.13", "securityhub"): {"apigateway-CreateRoute"},
}
# Events a flavour deliberately does not cover (why it is not the default):
MISSING: dict[tuple[str, str], set[str]] = {
    ("4.10", "securityhub"): {"ec2-ModifySecurityGroupRules"},
    ("4.15", "cis"): {
        "organizations-CancelHandshake",
        "organizations-CreateOrganization",
        "organizations-EnableAllFeatures",
    },
}
