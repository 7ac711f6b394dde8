"""Reading the TOML files a team may replace: the lexicon and the ad and network weights;
and finding the data files packaged with Amberline and the packages it reads (`packaged`).

Each TOML file is packaged with Amberline and may be overridden by a path; either way, errors
name the file (its `origin`) so that a user can fix it. One reader, so all three behave alike.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import machinery
from pathlib import Path
from typing import Any


def packaged(package: str) -> Path:
    """The directory of `package`'s files, found without importing it (a data package's own
    imports are not needed to read its files) and without `importlib.resources` (which
    imports zipfile and tempfile) where it is installed as plain files, as it is here; else,
    in a zip, `importlib.resources.files(package)` (which reads like a Path)."""
    module = sys.modules.get(package)
    spec = module.__spec__ if module is not None else importlib.util.find_spec(package)
    files = machinery.SourceFileLoader | machinery.SourcelessFileLoader
    if (spec is not None and spec.origin and spec.submodule_search_locations is not None
            and isinstance(spec.loader, files)):
        return Path(spec.origin).parent
    from importlib import resources

    return resources.files(package)  # type: ignore[return-value]


def read_toml(
    package: str, name: str, path: str | Path | None, error: type[Exception]
) -> tuple[dict[str, Any], str]:
    """(parsed document, origin) of `path`, or of the file `name` packaged in `package` when
    `path` is None. Invalid TOML raises `error` naming the file."""
    if path is None:
        text = packaged(package).joinpath(name).read_text(encoding="utf-8")
        origin = f"{package.replace('.', '/')}/{name}"
    else:
        text, origin = Path(path).read_text(encoding="utf-8"), str(path)
    from amberline.disk_cache import toml

    try:
        return toml(text), origin
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise error(f"{origin}: not valid TOML ({exc})") from None
