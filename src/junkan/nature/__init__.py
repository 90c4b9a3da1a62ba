"""Nature (TNFD LEAP) assessment of sourcing areas from satellite data (seed 000, theme 2):
sourcing areas (GeoJSON), scenes read lazily (GeoTIFF/COG/Zarr, Dask), spectral indices
(spyndex), random-forest land cover validated on held-out polygons, land-cover change and
TNFD C1.0/C1.1 and C3.0 (water withdrawal in water-stressed areas), surface water and flood
frequency (Gumbel/GEV return levels), surface water and flooding per pixel (Otsu thresholds
against a reference scene), protected-area overlap, SPI and VCI, an integrated
indicator with stated weights, and each indicator's responsiveness (trend test, minimum
detectable change); your own land-cover maps per date (C1.1 from them, or a check of the
classifier); your ENCORE export's dependency and pressure ratings per commodity (ISIC Rev.4)
in Evaluate and weighing the risk rating; LEAP report as HTML or PDF, with a risk rating per
area in Assess; field-survey observations and photos exported as a Darwin Core Archive,
checked against site species checklists, with species richness per area. Needs the ``nature`` extra.

    a = nature.load("assessment.yaml")     # Assessment
    res = nature.run(a)                     # NatureResult: to_frame/to_json/report
    clf = nature.classify(a)                # Classifier: accuracy, kappa, F1, confusion
"""

from junkan.nature.api import classify, classify_tile, load, run, service_job, shown_paths
from junkan.nature.checklist import (
    Checklist,
    Checklists,
    Species,
    parse_checklist,
    read_checklist,
    stored_checklist,
)
from junkan.nature.checklist import bundled as bundled_checklist
from junkan.nature.classify import Classifier, Features
from junkan.nature.climate import Trend, mann_kendall, min_detectable_change, spi, vci
from junkan.nature.fieldwork import read_observations
from junkan.nature.flood import flood_frequency
from junkan.nature.floodmap import flood_areas
from junkan.nature.geo import Layer, NatureInputError, Polygon, parse_layer, read_layer
from junkan.nature.inundation import flood_map, otsu
from junkan.nature.photo import Photo, PhotoError, PhotoTooLarge, check_photo, distance_m
from junkan.nature.rasters import Raster, open_raster
from junkan.nature.results import NatureResult
from junkan.nature.sample import write_sample
from junkan.nature.schema import Assessment, AssessmentSpec, EncoreSpec
from junkan.nature.survey import (
    Observation,
    check_species,
    darwin_core,
    darwin_core_archive,
    darwin_core_chunks,
    richness,
    richness_of,
)

__all__ = [
    "Assessment",
    "bundled_checklist",
    "Checklist",
    "Checklists",
    "parse_checklist",
    "read_checklist",
    "stored_checklist",
    "read_observations",
    "Species",
    "check_species",
    "darwin_core",
    "darwin_core_archive",
    "darwin_core_chunks",
    "distance_m",
    "flood_areas",
    "check_photo",
    "Photo",
    "PhotoError",
    "PhotoTooLarge",
    "Observation",
    "richness",
    "richness_of",
    "AssessmentSpec",
    "EncoreSpec",
    "classify",
    "classify_tile",
    "Classifier",
    "Features",
    "flood_frequency",
    "flood_map",
    "otsu",
    "Layer",
    "load",
    "mann_kendall",
    "min_detectable_change",
    "NatureInputError",
    "NatureResult",
    "open_raster",
    "parse_layer",
    "Polygon",
    "Raster",
    "read_layer",
    "run",
    "service_job",
    "shown_paths",
    "spi",
    "Trend",
    "vci",
    "write_sample",
]
