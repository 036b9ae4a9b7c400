"""The config: the YAML source with positions, the validated model, its JSON Schema, regions.

The config model is the contract between ``generate``, ``discover`` and ``verify``.
"""

# The model first: sections in modules of their own (athena) build on its types and are
# imported by it, so importing one of them first must still load the model before it.
from generator.config import model as _model  # noqa: F401
