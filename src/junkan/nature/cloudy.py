"""Scenes too cloudy (or too empty) over the sourcing areas, skipped on request.

By default a scene with no valid pixel over a sourcing area stops the run (the message names
the option below). With ``skip_scenes_above: <share>`` in the assessment, each scene's
*nodata share* — the share of the sourcing areas' pixels (inside the polygons, on the
scenes' grid) that are nodata or not finite in at least one band the assessment reads;
cloud-masked pixels are nodata in L2A products once the SCL mask is applied — is measured
first, and every scene above the share is left out of the run. The result lists each skipped
scene (``skipped_scenes``: path, date, nodata share, the limit) and the report names them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.nature.classify import Features
from junkan.nature.geo import Layer, NatureInputError
from junkan.nature.rasters import Raster, mask, window

TEXT = {
    "en": {"title": "Scenes skipped", "line": "{path} ({date}): {share} of the sourcing "
           "areas' pixels are nodata (clouds or no data), above skip_scenes_above {limit}"},
    "ja": {"title": "除外したシーン", "line": "{path}（{date}）：調達地域の画素の {share} が"
           "欠測（雲またはデータなし）で、skip_scenes_above {limit} を超えるため除外"},
}
OPTION_HINT = (
    "; or set skip_scenes_above (e.g. 0.5) in the assessment to leave out the scenes whose "
    "share of nodata pixels over the sourcing areas is above it (each is named in the result)"
)


def _counts(block: np.ndarray, inside: np.ndarray, nodata: float | None) -> np.ndarray:
    ok = np.isfinite(block).all(axis=0)
    if nodata is not None:
        ok &= (block != nodata).all(axis=0)
    return np.array([float((inside & ~ok).sum()), float(inside.sum())])


def nodata_shares(scenes: list[Raster], areas: Layer, feats: Features) -> list[float]:
    """Per scene: nodata pixels / pixels inside the sourcing areas (0 with no pixel)."""
    import dask

    tasks = []
    for poly in areas.polygons:
        win = window(poly, scenes[0])
        if win is None:
            continue
        inside = mask([poly], scenes[0], win)
        for s in scenes:
            data = s.data.sel(band=list(feats.bands)).isel(y=win[0], x=win[1]).data
            tasks.append(dask.delayed(_counts)(data, inside, feats.nodata))
    done = dask.compute(*tasks)
    n = len(scenes)
    tot = np.zeros((n, 2))
    for i, c in enumerate(done):
        tot[i % n] += c
    return [float(bad / total) if total > 0 else 0.0 for bad, total in tot]


def drop_cloudy(a: Any, scenes: list[Raster], areas: Layer, feats: Features
                ) -> tuple[Any, list[Raster], list[dict[str, Any]]]:
    """The assessment and scenes without those above ``skip_scenes_above``, and the skipped
    ones (path, date, nodata_share, skip_scenes_above). A skipped training or flood reference
    scene is refused when the assessment chose it (the default, the first scene, moves to the
    first scene kept); so is a run with no scene left."""
    limit = a.spec.skip_scenes_above
    shares = nodata_shares(scenes, areas, feats)
    keep = [i for i, s in enumerate(shares) if s <= limit]
    skipped = [
        {"path": sc.path, "date": sc.date.isoformat(), "nodata_share": shares[i],
         "skip_scenes_above": limit}
        for i, sc in enumerate(a.spec.scenes) if i not in keep
    ]
    if not skipped:
        return a, scenes, []
    if not keep:
        raise NatureInputError(
            f"{a.source}: every scene has more than {limit:g} of the sourcing areas' pixels "
            f"nodata ({', '.join(f'{s:.0%}' for s in shares)}); nothing is left to assess"
        )
    update: dict[str, Any] = {"scenes": [a.spec.scenes[i] for i in keep]}
    for key in ("training_scene", "flood_reference"):
        ref = getattr(a.spec, key, None)
        if ref is None or (key == "training_scene" and a.spec.training is None):
            continue
        if ref not in keep and key not in a.spec.model_fields_set:
            ref = keep[0]  # the default (first scene) moves to the first one kept
        elif ref not in keep:
            raise NatureInputError(
                f"{a.source}: {key}: {ref} ({a.spec.scenes[ref].path}) has "
                f"{shares[ref]:.0%} nodata over the sourcing areas, above skip_scenes_above "
                f"{limit:g}; choose a clearer scene for {key}"
            )
        update[key] = keep.index(ref)
    spec = a.spec.model_copy(update=update)
    return a.model_copy(update={"spec": spec}), [scenes[i] for i in keep], skipped


def report_lines(skipped: list[dict[str, Any]], lang: str) -> list[str]:
    """The report's words for the skipped scenes (title first), none when none."""
    if not skipped:
        return []
    t = TEXT["ja" if lang == "ja" else "en"]
    return [t["title"]] + [
        t["line"].format(path=s["path"], date=s["date"], share=f"{100 * s['nodata_share']:.0f} %",
                         limit=f"{s['skip_scenes_above']:g}")
        for s in skipped
    ]
