"""Review aids: what a regeneration changes, told to the reviewer of a pull request (issue 18).

Why a package of its own: the summary reads the generated module the way the preflight rules
do (``generator.check``), but it judges nothing and refuses nothing: it describes.
"""
