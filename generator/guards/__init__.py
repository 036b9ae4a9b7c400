"""Cross-cutting preflight rules: they read the whole module, not one section.

``evidence`` (OTG040, OTG041): a regeneration neither replaces nor removes what holds the logs,
and what holds them refuses a destroy. ``retention`` (OTG042): no retention gets shorter.
``placement`` (OTG070): every resource runs in the account its section says it belongs in.
"""
