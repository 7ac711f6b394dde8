"""The documentation cannot drift from the code (after datasette's tests/test_docs.py and spaCy's
registration snapshot): the reference pages and the registry snapshot are regenerated in memory
and compared with the checked-in copies, and every key of every packaged configuration file is
documented. A new, renamed, dropped or unmounted command, route, extractor or identifier type
fails here until `make docs` is run and the diff reviewed."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

FIX = "run `make docs` and review the diff"


@pytest.mark.parametrize("page", sorted(generate.PAGES))
def test_reference_pages_match_the_code(page: str) -> None:
    written = (ROOT / "docs" / "reference" / page).read_text(encoding="utf-8")
    assert written == generate.PAGES[page](), f"docs/reference/{page} is stale: {FIX}"


def test_registry_snapshot_matches_what_is_built_in_and_mounted() -> None:
    snapshot = json.loads((ROOT / "tests" / "snapshots" / "registry.json").read_text("utf-8"))
    current = generate.registry()
    for kind in snapshot.keys() | current.keys():
        assert current.get(kind) == snapshot.get(kind), f"{kind} changed: {FIX}"


def _toml(package: str, name: str) -> dict:
    return tomllib.loads(resources.files(package).joinpath(name).read_text("utf-8"))


def _format_keys() -> set[str]:
    """The keys of the packaged configuration files that a user writes (not the category and
    rule names, which are the files' own data)."""
    keys: set[str] = set()
    for package in ("amberline.indicators", "amberline.chats"):
        lexicon = _toml(package, "lexicon.toml")
        keys |= set(lexicon) | {k for entry in lexicon["entry"] for k in entry}
        keys |= {k for rule in lexicon.get("derived", {}).values() for k in rule}
        keys |= {k for k in lexicon.get("scoring", {})}
    for package, name in (("amberline.score", "weights.toml"),
                          ("amberline.link", "network_weights.toml")):
        weights = _toml(package, name)
        keys |= set(weights) | set(weights.get("params", {}))
    keys |= set(_toml("amberline.link", "network_weights.toml")["weights"])
    return keys


def test_every_configuration_key_is_documented() -> None:
    page = (ROOT / "docs" / "reference" / "formats.md").read_text(encoding="utf-8")
    missing = sorted(k for k in _format_keys() if f"`{k}`" not in page)
    assert not missing, f"undocumented keys in docs/reference/formats.md: {missing}"


def test_the_readme_names_every_reference_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in (*generate.PAGES, "formats.md"):
        assert f"docs/reference/{page}" in readme
