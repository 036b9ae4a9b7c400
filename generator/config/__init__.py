"""The config: the YAML source with positions, the validated model, its JSON Schema, regions.

The config model is the contract between ``generate``, ``discover`` and ``verify``.
"""
