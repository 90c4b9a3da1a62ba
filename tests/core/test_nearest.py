"""``core.errors.nearest``: the one "did you mean …?" of the procurement declarations, the
soil grades and the market's partners."""

from junkan.core.errors import nearest


def test_a_misspelling_finds_the_name_meant() -> None:
    assert nearest("soil-clas-1", ["soil-class-2x", "soil-class-1", "landfill"]) == \
        "soil-class-1"


def test_nothing_close_enough_is_no_suggestion() -> None:
    assert nearest("zzz", ["soil-class-1", "landfill"]) is None
    assert nearest("anything", []) is None


def test_the_cutoff_decides_how_close_is_close() -> None:
    assert nearest("dismantler-mjo", {"dismantler-moji"}, 0.6) == "dismantler-moji"
    assert nearest("mojo", ["dismantler-moji"], 0.8) is None
