"""Optional dependency groups (``pip install 'junkan[extra]'``) and the message shown when a
command needs one that is not installed.

``pip install junkan`` (the core) runs every capability from Python and the CLI's file-based
commands: ``validate``, ``simulate``, ``compare``, ``report``, ``indicators``, ``network
solve|pareto|cflp``, ``foresight run|analyse|report|describe``, ``alloy …``. The extras add:

- ``service``: the HTTP API and web UI (``junkan serve``), the database store (``junkan trace
  …``, ``junkan admin …``) and the PACT host;
- ``postgres``: the PostgreSQL driver for ``JUNKAN_DATABASE_URL=postgresql+psycopg://…``;
- ``distributed``: ``junkan foresight run --backend dask``;
- ``maps``: the PNG/SVG maps of ``junkan network report`` and ``network solve --out``;
- ``olca``: ``junkan olca import|export`` (openLCA JSON-LD through olca-schema);
- ``metering``: ``junkan meter segment|factors`` (change-point detection through ruptures),
  ``meter poll`` (Modbus TCP, pymodbus), ``meter identify|enrol|photos`` (pyzbar, pytesseract,
  scikit-image, Pillow, segno; zbar and Tesseract themselves are Debian packages);
- ``nature``: ``junkan nature …`` (rasters through rasterio/rioxarray/xarray, Dask, spyndex);
- ``vision``: ``junkan vision …`` (OpenCV, onnxruntime, onnx, skl2onnx, pycocotools);
- ``cnn``: ``junkan vision train --model cnn`` (JAX on the CPU; the trained network runs with
  ``vision`` alone);
- ``passport``: ``junkan.grading.to_aas|from_aas`` (Asset Administration Shell submodels
  through the Eclipse BaSyx Python SDK);
- ``bench``: the peers the benchmarks compare with (flodym, EMA Workbench);
- ``all``: every extra above but ``bench`` (passport included).

The table below lists the modules junkan imports from each extra; ``pyproject.toml`` lists the
distributions (``tests/packaging`` checks that the two agree).
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, tuple[str, ...]] = {
    "service": ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "argon2",
                "python_multipart", "fastapi_offline"),
    "postgres": ("psycopg",),
    "distributed": ("dask", "distributed"),
    "maps": ("matplotlib",),
    "sensitivity": ("SALib",),
    "sensing": ("paho", "asyncua"),
    "olca": ("olca_schema",),
    "metering": ("ruptures", "pymodbus", "pyzbar", "pytesseract", "skimage", "PIL", "segno"),
    "nature": ("rasterio", "rioxarray", "xarray", "pyproj", "zarr", "spyndex"),
    "vision": ("cv2", "onnxruntime", "onnx", "skl2onnx", "pycocotools"),
    "cnn": ("jax", "jaxlib"),
    "passport": ("basyx",),
    "bench": ("flodym", "ema_workbench"),
}
"""Top-level modules (import names) junkan uses from each extra."""

MODULE_EXTRA: dict[str, str] = {m: extra for extra, mods in EXTRAS.items() for m in mods}


def install_hint(extra: str, module: str) -> str:
    """"needs the 'x' extra (module 'm' is not installed): pip install 'junkan[x]'"."""
    return (f"needs the '{extra}' extra (module '{module}' is not installed): "
            f"pip install 'junkan[{extra}]'")


class MissingExtra(ModuleNotFoundError):
    """An optional dependency group is not installed (:func:`require`)."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(f"this {install_hint(extra, module)}", name=module)
        self.extra = extra

    def __reduce__(self) -> tuple[object, ...]:
        # pickled by its two fields: it crosses from a worker process (junkan.core.budget)
        # to the service, which says it as the missing extra, not as an internal error
        return (type(self), (self.extra, self.name))


def missing_extra(exc: BaseException | None) -> tuple[str, str] | None:
    """``(extra, module)`` when ``exc`` — or an exception it was raised from — is a
    :class:`ModuleNotFoundError` for a module of an extra; else ``None``."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MissingExtra) and exc.name:  # said by code that checked
            return exc.extra, exc.name
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            top = exc.name.split(".")[0]
            if top in MODULE_EXTRA and _absent(top):
                return MODULE_EXTRA[top], top
        exc = exc.__cause__ or exc.__context__
    return None


def _absent(module: str) -> bool:
    """Whether ``module`` cannot be imported here: a missing *submodule* of an installed
    package, or a bug inside one, is not a missing extra."""
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def require(extra: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` is importable; for entry
    points such as ``junkan.api.create_app`` that need a whole extra."""
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, module)
