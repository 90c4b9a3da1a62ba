"""Resource-circulation network and hub planning (seeds 004, 001), solved with HiGHS."""

from junkan.network.cflp import CFLPSolution, solve_cflp
from junkan.network.orlib import CFLPInstance, read_orlib

__all__ = ["CFLPInstance", "CFLPSolution", "read_orlib", "solve_cflp"]
