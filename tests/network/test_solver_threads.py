"""A past bug (highspy 1.16): after another HiGHS solve in the same process had started the
solver's thread scheduler with another thread count (junkan.market's column generation, say),
every network solve ended with status "Not Set" — 'no feasible plan'. Each network solve now
starts the scheduler afresh with its one thread."""

from __future__ import annotations

import highspy
import numpy as np
import yaml

from junkan import network
from tests.network.test_plan import SMALL


def _another_solve_with_two_threads() -> None:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 2)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 1, 0
    lp.col_cost_ = np.array([1.0])
    lp.col_lower_, lp.col_upper_ = np.array([0.0]), np.array([1.0])
    h.passModel(lp)
    h.run()


def test_a_network_solve_after_another_highs_solve_in_the_process() -> None:
    _another_solve_with_two_threads()
    plan = network.run(network.load(text=yaml.safe_dump(SMALL)))
    assert plan.to_json()["open_hubs"]
    _another_solve_with_two_threads()  # and the other way round


def test_a_solve_prints_nothing_on_stdout(capfd) -> None:  # type: ignore[no-untyped-def]
    """highspy 1.16 prints a banner on stdout when a solver is constructed: `junkan network
    periods --format json` then printed it before the JSON."""
    from junkan.network.multiperiod import solve_periods

    capfd.readouterr()
    plan = solve_periods(network.load("examples/network_solar_periods.yaml"))
    assert plan.schedule
    assert capfd.readouterr().out == ""
