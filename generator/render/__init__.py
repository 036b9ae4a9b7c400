"""From a validated config to Terraform text: views, policies, HCL filters, the template engine.

Every decision is made in Python (views, policies); templates only loop and look up, and every
value reaches HCL through the filters in :mod:`generator.render.hcl`.
"""
