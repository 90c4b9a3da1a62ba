"""Stage-level nodes of a lifecycle model's mass-flow graph (each sink process adds one node,
named by its title).

Recovered products, parts and secondary material wait one year in the three inventory nodes
before they re-enter supply."""

from __future__ import annotations

VIRGIN = "Virgin material"
SECONDARY = "Secondary material"
MANUFACTURING = "Manufacturing"
USE = "Use"
EOL_COLLECTION = "End-of-life collection"
MAINT_COLLECTION = "Maintenance returns"
REFURBISHMENT = "Product refurbishment"
REPROCESSING = "Part reprocessing"
DISMANTLING = "Dismantling & sorting"
SECOND_HAND = "Second-hand market"
SECONDARY_MARKET = "Secondary-material market"

INVENTORY_NODES = (REFURBISHMENT, REPROCESSING, SECONDARY)
"""Nodes that hold recovered items until the next year."""
REUSE_NODES = (REFURBISHMENT, REPROCESSING)
"""Nodes whose inflow is recovered for reuse or remanufacture."""
SECONDARY_NODES = (SECONDARY, SECONDARY_MARKET)
"""Nodes that receive recycled (secondary) material."""
