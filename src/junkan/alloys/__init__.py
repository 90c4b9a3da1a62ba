"""ELV aluminium (seed 002): predict the composition of recovered scrap from the feed mix,
the parts removed and the shred size; sort it; plan feed and removal to meet a buyer's window
with a chosen probability; grade and price lots; learn from measured analyses."""

from junkan.alloys.data import Library, load_library
from junkan.alloys.predict import FeedPlan, Prediction, predict

__all__ = ["FeedPlan", "Library", "Prediction", "load_library", "predict"]
