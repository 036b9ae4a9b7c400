"""The bottom layer: errors, paths, ARNs and AWS constants that every other layer shares.

Nothing here imports from the rest of the package, so anything may import it.
"""
