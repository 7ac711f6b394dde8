"""Reading the TOML files a team may replace: the lexicon and the ad and network weights.

Each is packaged with Amberline and may be overridden by a path; either way, errors name the
file (its `origin`) so that a user can fix it. One reader, so all three behave alike.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any


def read_toml(
    package: str, name: str, path: str | Path | None, error: type[Exception]
) -> tuple[dict[str, Any], str]:
    """(parsed document, origin) of `path`, or of the file `name` packaged in `package` when
    `path` is None. Invalid TOML raises `error` naming the file."""
    if path is None:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
        origin = f"{package.replace('.', '/')}/{name}"
    else:
        text, origin = Path(path).read_text(encoding="utf-8"), str(path)
    from amberline.disk_cache import toml

    try:
        return toml(text), origin
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise error(f"{origin}: not valid TOML ({exc})") from None
