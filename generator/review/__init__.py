"""Review aids: what a module satisfies (``controls``) and what a change does (``summary``).

Why a package of its own: both read the generated module the way the preflight rules do
(``generator.check``), but they judge nothing and refuse nothing: they describe, for the
reviewer of a pull request and for an auditor.
"""
