"""Rehearse a module's apply: real Terraform against a local AWS emulator, before AWS sees it.

Why a product package and not a test harness: what the tests prove about the shipped modules
(``init``, ``validate``, a plan that destroys nothing, an ``apply`` that succeeds, a second plan
that finds nothing) is what a user wants proved about their own module before the first apply.
``orgtrail-gen rehearse`` and the test suite run the same code (:func:`rehearsal.rehearse_module`).

The pieces, bottom up: :mod:`tools` finds terraform and a provider mirror (else the registry);
:mod:`hcl_spans` reads statement spans of generated HCL; :mod:`adapt` fits a copy of a module to
an older provider, naming each change; :mod:`plan` summarises and judges a saved plan;
:mod:`workspace` runs the Terraform steps in a scratch folder; :mod:`seed`,
:mod:`moto_checks`, :mod:`moto_patches` and :mod:`emulator` make the seeded moto server (moto is
imported only in the server's own process); :mod:`rehearsal` runs one module through all of it
and renders the report. Importing this package imports none of them, and nothing here needs moto
until a server starts.
"""
