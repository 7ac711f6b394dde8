"""Extraction quality on real, hand-annotated ads, beside a naive reference run on the same ads.

The synthetic corpus only tells us that the extractors undo the forms we thought of; real ads
are where they meet forms we did not. This script reads the project's reference data at run
time (`../shared/data/ads-dev/`, next to the repository; never copied into it) and prints:

1. For every gold file in `ads-dev/gold/`: precision, recall and F1 per entity kind and the
   macro F1, as `../shared/eval/score_gold.py` computes them (the script is run from there, so
   both sides use one scoring method), for Amberline and for a naive reference (a handful of
   plain regular expressions) scored by the same script on the same ads.
2. The poster's age: over every ad of `backpage-dev.jsonl`, the share of ads whose extracted
   ages contain the age the poster typed into the site's age field (`age_field`, screened from
   title and body only, so the field itself is not handed to the extractor), and the ages found
   beyond it per ad.
3. With `--flags`: per lexicon category, the 20 terms that matched most often on the real ads
   (counted once per ad), to audit entries that fire on ordinary language.

Nothing here prints ad text: only figures, and with `--flags` the lexicon's own matched terms.

Usage: python bench/real_quality.py [--flags] [--data PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from amberline.extract_command import extract_lines
from amberline.model import Ad, Screening
from amberline.pipeline import Screener

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "ads-dev"
SCORER = SHARED / "eval" / "score_gold.py"
# gold file -> the input file with the same ids
INPUTS = {
    "backpage-dev-gold.jsonl": "backpage-dev-annotated.jsonl",
    "dig-ads-dev-gold.jsonl": "dig-ads-dev.jsonl",
}
_LINE = re.compile(r"^(\w+)\s+gold\s+(\d+)\s+precision ([\d.]+) recall ([\d.]+) F1 ([\d.]+)")
_MACRO = re.compile(r"^macro F1 ([\d.]+) over (\d+) kinds")


# --------------------------------------------------------------------------- naive reference
# What a first attempt with plain regular expressions finds: the floor a screening tool must beat.
_N_PHONE = re.compile(r"(?<!\d)\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)")
_N_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_N_AGE = re.compile(r"\b(?:age:?\s*(\d\d)|(\d\d)\s*(?:yrs|years old|yo)\b|i'?m\s+(\d\d)\b)", re.I)
_N_PRICE = re.compile(r"\$\s?(\d{2,4})\b")
_N_NAME = re.compile(r"\b(?:I'?m|my name is|ask for)\s+([A-Z][a-z]+)")
_N_HAIR = {"blonde": "blond", "blond": "blond", "brunette": "brown", "redhead": "red"}
_N_ETHNIC = ("latina", "asian", "ebony", "white", "black", "caucasian", "indian")
_N_BUILD = ("petite", "slim", "curvy", "thick", "athletic", "bbw")
_N_WORD = re.compile(r"[a-z]+")


def naive_record(ad_id: Any, text: str) -> dict[str, Any]:
    """The naive reference's entities for one ad, in `amberline extract`'s shape."""
    words = set(_N_WORD.findall(text.lower()))
    descriptors = [{"kind": "hair", "value": v} for k, v in _N_HAIR.items() if k in words]
    descriptors += [{"kind": "ethnicity", "value": w} for w in _N_ETHNIC if w in words]
    descriptors += [{"kind": "build", "value": w} for w in _N_BUILD if w in words]
    return {
        "id": ad_id,
        "phones": sorted({"".join(m.groups()) for m in _N_PHONE.finditer(text)}),
        "emails": sorted({m.group(0).lower() for m in _N_EMAIL.finditer(text)}),
        "handles": [],
        "ages": sorted({int(next(g for g in m.groups() if g)) for m in _N_AGE.finditer(text)}),
        "prices": [{"amount": int(m.group(1)), "currency": "USD", "minutes": None}
                   for m in _N_PRICE.finditer(text)],
        "names": sorted({m.group(1) for m in _N_NAME.finditer(text)}),
        "places": [],
        "descriptors": descriptors,
    }


# --------------------------------------------------------------------------- scoring
def score(gold: Path, predictions: Path) -> tuple[dict[str, tuple[int, float, float, float]],
                                                  float]:
    """Run the shared scorer; per kind (gold count, precision, recall, F1) and the macro F1."""
    out = subprocess.run([sys.executable, str(SCORER), str(gold), str(predictions)],
                         check=True, capture_output=True, text=True).stdout
    kinds: dict[str, tuple[int, float, float, float]] = {}
    macro = float("nan")
    for line in out.splitlines():
        if m := _LINE.match(line):
            kinds[m.group(1)] = (int(m.group(2)), *(float(m.group(i)) for i in (3, 4, 5)))
        elif m := _MACRO.match(line):
            macro = float(m.group(1))
    return kinds, macro


def gold_section(screener: Screener, keep: Path) -> None:
    for gold in sorted((DATA / "gold").glob("*.jsonl")):
        source = DATA / INPUTS.get(gold.name, gold.name.replace("-gold", ""))
        if not source.exists():
            print(f"\n{gold.name}: no input file {source.name}, skipped")
            continue
        ours, naive = keep / f"{gold.stem}.amberline.jsonl", keep / f"{gold.stem}.naive.jsonl"
        lines = source.read_text(encoding="utf-8").splitlines()
        with ours.open("w", encoding="utf-8") as out:
            extract_lines(lines, out, screener, source.name)
        with naive.open("w", encoding="utf-8") as out:
            for line in filter(str.strip, lines):
                obj = json.loads(line)
                out.write(json.dumps(naive_record(obj.get("id"), obj.get("text", ""))) + "\n")
        (kinds, macro), (nkinds, nmacro) = score(gold, ours), score(gold, naive)
        print(f"\n{gold.name} ({len(lines)} ads)")
        print(f"{'kind':12s} {'gold':>5s} | {'amberline P':>11s} {'R':>5s} {'F1':>5s}"
              f" | {'naive P':>7s} {'R':>5s} {'F1':>5s}")
        for kind, (n, p, r, f) in kinds.items():
            _, np_, nr, nf = nkinds.get(kind, (n, 0.0, 0.0, 0.0))
            print(f"{kind:12s} {n:5d} | {p:11.3f} {r:5.3f} {f:5.3f}"
                  f" | {np_:7.3f} {nr:5.3f} {nf:5.3f}")
        print(f"{'macro F1':12s} {'':5s} | {'':17s} {macro:5.3f} | {'':13s} {nmacro:5.3f}")


# --------------------------------------------------------------------------- screening
def screen_all(screener: Screener, ads: list[Ad]) -> tuple[list[Screening | None], int]:
    """Screenings in order (None for an ad that raised) and the count of ads that raised.

    A batch that raises is screened again ad by ad, so one bad ad costs itself only.
    """
    out: list[Screening | None] = []
    failed = 0
    for start in range(0, len(ads), 500):
        chunk = ads[start:start + 500]
        try:
            out.extend(screener.screen_batch(chunk))
            continue
        except Exception:  # measured and reported below, never hidden
            pass
        for ad in chunk:
            try:
                out.append(screener.screen(ad))
            except Exception:
                out.append(None)
                failed += 1
    return out, failed


# --------------------------------------------------------------------------- poster's age
def backpage_ads() -> Iterable[tuple[Ad, int | None]]:
    """The Backpage ads with the age the poster typed into the site's field (held apart)."""
    with (DATA / "backpage-dev.jsonl").open(encoding="utf-8") as fh:
        for line in filter(str.strip, fh):
            row = json.loads(line)
            ad = Ad(source="backpage-dev", source_id=str(row["id"]),
                    title=row.get("title") or "", body=row.get("body") or "")
            field = row.get("age_field")
            yield ad, field if isinstance(field, int) else None


def poster_age_section(screener: Screener) -> None:
    path = DATA / "backpage-dev.jsonl"
    if not path.exists():
        print(f"\n{path.name}: absent, poster-age recall skipped")
        return
    pairs = list(backpage_ads())
    screenings, failed = screen_all(screener, [ad for ad, _ in pairs])
    found = with_field = extra = naive_found = naive_extra = 0
    for (ad, field), screening in zip(pairs, screenings, strict=True):
        spans = screening.spans if screening is not None else []
        ages = {s.value for s in spans if s.kind == "age"}
        naive = set(naive_record(None, ad.text)["ages"])
        if field is not None:
            with_field += 1
            found += field in ages
            naive_found += field in naive
        extra += len(ages - {field})
        naive_extra += len(naive - {field})
    n = len(pairs)
    print(f"\nposter's age ({path.name}, {n} ads, {with_field} with an age field; "
          "title and body screened, the field itself withheld)")
    if failed:
        print(f"  {failed} ads raised while screened (counted as finding no age)")
    print(f"  amberline: recall {found / max(with_field, 1):.3f}, "
          f"other ages per ad {extra / max(n, 1):.3f}")
    print(f"  naive:     recall {naive_found / max(with_field, 1):.3f}, "
          f"other ages per ad {naive_extra / max(n, 1):.3f}")


# --------------------------------------------------------------------------- flags audit
def real_texts() -> Iterable[str]:
    path = DATA / "backpage-dev.jsonl"
    if path.exists():
        for ad, _ in backpage_ads():
            yield ad.text
    path = DATA / "dig-ads-dev.jsonl"
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for line in filter(str.strip, fh):
                yield json.loads(line).get("text", "")


def _shown(category: str, text: str) -> str:
    """A matched term as printed; a disguised contact only as its shape (digits "d", letters
    "a"), since it is a real person's number, not a lexicon term."""
    text = " ".join(text.lower().split())
    if category == "obscured_contact":
        return re.sub(r"\d", "d", re.sub(r"[^\W\d_]", "a", text))
    return text


def flags_section(screener: Screener) -> None:
    texts = list(real_texts())
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    ads_with: Counter[str] = Counter()
    ads = [Ad(source="audit", body=t) for t in texts]
    screenings, failed = screen_all(screener, ads)
    for ad, screening in zip(ads, screenings, strict=True):
        if screening is not None:
            seen = {(f.category, f"{f.rule}: {_shown(f.category, ad.text[f.start:f.end])}")
                    for f in screening.flags}
            for category, term in seen:
                counts[category][term] += 1
            ads_with.update({c for c, _ in seen})
    if failed:
        print(f"{failed} ads raised while screened (left out)")
    print(f"\nflags on {len(texts)} real ads: per category, the ads it fired on and the 20 most "
          "frequent matched terms (rule: matched text; counted once per ad)")
    for category in sorted(counts, key=lambda c: -ads_with[c]):
        print(f"\n{category} ({ads_with[category]} ads)")
        for term, n in counts[category].most_common(20):
            print(f"  {n:5d}  {term}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flags", action="store_true", help="audit the lexicon on real ads")
    parser.add_argument("--keep", type=Path, help="keep the prediction files in this folder")
    args = parser.parse_args()
    if not DATA.exists() or not SCORER.exists():
        print(f"no reference data at {DATA} (or no scorer at {SCORER}): nothing to measure; "
              "this benchmark needs the project's ../shared folder next to the repository")
        return
    screener = Screener()
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    if args.flags:
        flags_section(screener)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        gold_section(screener, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            gold_section(screener, Path(tmp))
    poster_age_section(screener)


if __name__ == "__main__":
    main()
