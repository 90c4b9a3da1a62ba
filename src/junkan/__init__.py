"""junkan (循環): an open Python platform for the circular economy.

Capabilities live in sub-packages (``lifecycle``, ...); shared domain types in ``model``.
"""

__version__ = "0.1.0"
