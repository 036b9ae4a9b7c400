"""One sub-package per config section; ``registry`` lists them in output order.

Kept empty on purpose: importing ``generator.sections.<name>`` must not import the others.
"""
