"""Monitoring of the central log group: CIS metric filters, their grammar, Insights queries.

Why a package of its own: the CIS catalogue, the filter-pattern grammar that proves every
pattern it ships, and the saved Logs Insights queries are pure data and pure functions. They
know nothing about the config model or the templates, so they can be tested against
realistic CloudTrail records before any Terraform exists.
"""
