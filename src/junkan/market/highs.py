"""A quiet ``highspy.Highs``. HiGHS prints its banner ("Running HiGHS …") to the process's
C-level standard output the first time a ``Highs`` is constructed — before any option such
as ``output_flag`` can be set, and past :data:`sys.stdout`. ``junkan market … --format json``
must print only JSON, so each construction runs inside
:func:`junkan.core.quiet.c_stdout_silenced`."""

from __future__ import annotations

import highspy

from junkan.core.quiet import c_stdout_silenced


def quiet_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with ``output_flag`` off, its banner kept off standard output."""
    with c_stdout_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h
