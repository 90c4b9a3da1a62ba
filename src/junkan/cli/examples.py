"""``junkan examples``: the example files shipped inside the package (``junkan/data/examples``).

The guides run their commands on ``examples/…`` paths; in a clone of the repository
``examples`` links to the package's folder, but an installed junkan has no such folder.
``junkan examples list`` shows the files (path, size, the first line of their description)
and ``junkan examples copy DEST`` writes the whole tree to ``DEST/examples``, so that every
guide command runs from ``DEST``. The copy is written into a temporary folder beside it and
moved into place when complete (:func:`~junkan.cli.common.atomic_dir`).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated

import typer

from junkan.cli.common import Format, atomic_dir, fail, print_json, print_table, reported

app = typer.Typer(no_args_is_help=True, help="Shipped example files: list them, or copy them "
                                               "into a folder where the guides' commands run.")

HEAD = 4096
"""Bytes of each file read for its description (the comments that open it)."""


def examples_root() -> Traversable:
    """The package's examples folder, found as the rest of junkan finds it."""
    return resources.files("junkan.data") / "examples"


def _skipped(name: str) -> bool:
    """Byproducts that are not examples: hidden files, Python's byte-code caches."""
    return name.startswith(".") or name == "__pycache__" or name.endswith(".pyc")


def shipped_files(root: Traversable) -> list[tuple[str, Traversable]]:
    """Every example file under ``root``: (path relative to it, with ``/``; the file), in
    path order."""
    found: list[tuple[str, Traversable]] = []

    def walk(folder: Traversable, prefix: str) -> None:
        for item in folder.iterdir():
            if _skipped(item.name):
                continue
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.is_file():
                found.append((f"{prefix}{item.name}", item))

    walk(root, "")
    return sorted(found, key=lambda entry: entry[0])


def describe(head: str) -> str:
    """The first line of a file's description: a top-level YAML ``description:`` (one line),
    else the first line of the comments that open the file (a line that is only a command,
    ``junkan …``, is skipped), else the first line of a Python module's docstring; ``""`` if
    none."""
    lines = head.splitlines()
    for line in lines:
        if line.startswith("description:"):
            value = line.partition(":")[2].strip().strip("\"'").strip()
            if value and value[0] not in "|>":
                return value
    for line in lines:
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text and not text.startswith("junkan "):
            return text
    if lines and lines[0].startswith(('"""', "'''")):
        return lines[0][3:].strip().removesuffix('"""').removesuffix("'''").strip()
    return ""


@app.command("list")
def list_cmd(
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
) -> None:
    """The shipped example files: path (under the examples folder), size and the first line
    of each one's description."""
    rows = []
    for rel, item in shipped_files(examples_root()):
        data = item.read_bytes()
        rows.append({"path": rel, "bytes": len(data),
                     "description": describe(data[:HEAD].decode("utf-8", "replace"))})
    if fmt is Format.json:
        print_json(rows)
        return
    print_table("Shipped examples (junkan examples copy DEST writes them to DEST/examples)",
                ["path", "bytes", "description"],
                [[r["path"], f"{r['bytes']:,}", r["description"]] for r in rows],
                right={"bytes"})


def _is_shipped_folder(target: Path, root: Traversable) -> bool:
    """Whether ``target`` is (or links to) the package's own examples folder."""
    try:
        return target.resolve() == Path(str(root)).resolve()
    except (OSError, RuntimeError):
        return False


@app.command("copy")
def copy_cmd(
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="Folder to copy into: the "
                                         "examples go to DEST/examples (made if missing).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing DEST/examples (still refused if it holds files "
                        "that are not examples: replacing it would delete them).")] = False,
) -> None:
    """Copy the shipped examples into DEST/examples, so that the guides' commands
    (junkan validate examples/…) run from DEST."""
    name = f"DEST {dest}"
    target = dest / "examples"
    if (dest.exists() or dest.is_symlink()) and not dest.is_dir():
        kind = "a file" if dest.is_file() else "not a folder"
        fail(f"{name}: {dest} is {kind}; give a folder to copy the examples into")
    root = examples_root()
    if target.exists() or target.is_symlink():
        if not force:
            fail(f"{name}: {target} already exists; add --force to replace it, or give "
                 "another folder")
        if _is_shipped_folder(target, root):
            fail(f"{name}: {target} is junkan's own examples folder; give another folder")
    files = shipped_files(root)
    with reported(dest, OSError), atomic_dir(target, name) as tmp:
        for rel, item in files:
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item.read_bytes())
    print(f"wrote {target}: {len(files)} files; run the guides' commands from {dest}, "
          "e.g. junkan validate examples/compressor_magnet.yaml")
