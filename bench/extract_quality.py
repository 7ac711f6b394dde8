"""Extraction quality on the synthetic corpus: precision and recall per field against the
values the generator planted (its ground truth), broken down by how a phone was written.

The synthetic ads are clinical and made by us, so this measures that the extractors undo the
obfuscation forms we know of; it says nothing about forms we have not thought of. So, when
`../shared/data/ads-dev/dig-ads-training.csv` exists (494 real ads, read at run time, never
copied into the repository), a second section compares our phones on those ads with
`phonenumbers.PhoneNumberMatcher` (slow, a reference) and prints the disagreements only as
anonymised forms (digits as "d", letters as "a"), never a number.

Usage: python bench/extract_quality.py [--ads 5000] [--seed 5] [--real PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

from amberline.model import Ad
from amberline.pipeline import Screener
from amberline.synth.generate import write_corpus

_CITY_NAMES = {"New York City": "New York"}
REAL_ADS = Path(__file__).resolve().parents[1].parent / "shared/data/ads-dev/dig-ads-training.csv"
FIELDS = ("phones", "ages", "names", "handles", "emails", "city")


def found_values(record: dict, field: str, screening) -> set:
    kind = {"phones": "phone", "ages": "age", "names": "name", "handles": "handle",
            "emails": "email", "city": "place"}[field]
    spans = [s for s in screening.spans if s.kind == kind]
    if field == "city":  # the gazetteer's "New York City" is the generator's "New York"
        return {_CITY_NAMES.get(s.attrs.get("city"), s.attrs.get("city")) for s in spans}
    if field == "handles":
        return {s.value for s in spans}
    return {s.value for s in spans}


def expected_values(planted: dict, field: str) -> set:
    if field == "city":
        return {planted["city"]} if planted.get("city") else set()
    if field == "handles":
        return {h["handle"].lower() if isinstance(h, dict) else str(h).lower().lstrip("@")
                for h in planted.get("handles", [])}
    values = set(planted.get(field, []))
    if field == "ages" and any(phrase.lower() == "just turned 18"
                               for _, phrase in planted.get("indicators", [])):
        values.add(18)  # a planted indicator phrase that states an age ("Just turned 18")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ads", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--real", type=Path, default=REAL_ADS, help="real dev ads (CSV)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ads.jsonl"
        write_corpus(out, args.ads, args.seed)
        truth = json.loads(out.with_name("ads.truth.json").read_text(encoding="utf-8"))
        planted = truth["planted"]
        # Site disclaimers carry a real address (safety@site): found, but not planted per ad.
        boilerplate = {word.lower() for hub in truth.get("hubs", []) for text in hub["texts"]
                       for word in text.split() if "@" in word}
        ads = []
        with out.open(encoding="utf-8") as handle:
            for line in handle:
                obj = json.loads(line)
                if obj["id"] in planted:
                    ads.append(Ad(source=obj["source"], source_id=obj["id"],
                                  title=obj.get("title", ""), body=obj.get("body", "")))
    screenings = Screener().screen_batch(ads)
    tp, fp, fn = Counter(), Counter(), Counter()
    by_form = Counter()
    by_form_hit = Counter()
    for ad, screening in zip(ads, screenings, strict=True):
        expect = planted[ad.source_id]
        for field in FIELDS:
            want, got = expected_values(expect, field), found_values(expect, field, screening)
            if field == "city":
                got &= want | got  # other places in the text are not errors of the city field
                fp_here = 0
            else:
                fp_here = len(got - want - boilerplate)
            tp[field] += len(want & got)
            fn[field] += len(want - got)
            fp[field] += fp_here
        got_phones = found_values(expect, "phones", screening)
        for phone, form in zip(expect.get("phones", []), expect.get("phone_forms", []),
                               strict=False):
            by_form[form] += 1
            by_form_hit[form] += phone in got_phones
    print(f"{len(ads):,} ads with planted values (seed {args.seed})")
    print(f"{'field':10} {'precision':>9} {'recall':>7} {'found':>6} {'missed':>6} {'extra':>6}")
    for field in FIELDS:
        p = tp[field] / max(tp[field] + fp[field], 1)
        r = tp[field] / max(tp[field] + fn[field], 1)
        print(f"{field:10} {p:9.3f} {r:7.3f} {tp[field]:6} {fn[field]:6} {fp[field]:6}")
    print("phone recall by written form:")
    for form, count in sorted(by_form.items()):
        print(f"  {form:12} {by_form_hit[form] / count:6.3f}  ({count})")
    real_section(args.real)


def load_real_ads(path: Path = REAL_ADS) -> list[Ad]:
    """The real dev ads as `Ad`s (body = extracted_text), or [] when the file is absent."""
    if not path.exists():
        return []
    csv.field_size_limit(1 << 28)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return [Ad(source="ads-dev", source_id=str(i), body=row["extracted_text"] or "")
                for i, row in enumerate(csv.DictReader(handle))]


def anonymised(form: str) -> str:
    """The shape of a phone as written: digits "d", letters "a", the rest kept, spaces "_"."""
    form = re.sub(r"\d", "d", re.sub(r"[^\W\d_]", "a", form))
    return form.replace(" ", "_").replace("\n", "/")


def reference_phones(text: str) -> dict[str, str]:
    """E.164 -> the text as written, from `phonenumbers.PhoneNumberMatcher` (US, VALID)."""
    import phonenumbers  # (not with this module: `bench/screen.py`'s cold runs import it)

    out: dict[str, str] = {}
    for m in phonenumbers.PhoneNumberMatcher(text, "US", phonenumbers.Leniency.VALID):
        out.setdefault(phonenumbers.format_number(
            m.number, phonenumbers.PhoneNumberFormat.E164), m.raw_string)
    return out


def real_section(path: Path) -> None:
    ads = load_real_ads(path)
    if not ads:
        print(f"(no real dev ads at {path}: section skipped)")
        return
    screenings = Screener().screen_batch(ads)
    both = only_ours = only_ref = ours_total = ref_total = 0
    ours_forms: Counter[str] = Counter()
    ref_forms: Counter[str] = Counter()
    for ad, screening in zip(ads, screenings, strict=True):
        text = ad.text
        ours = {s.value: text[s.start:s.end] for s in screening.spans if s.kind == "phone"}
        ref = reference_phones(text)
        ours_total += len(ours)
        ref_total += len(ref)
        both += len(ours.keys() & ref.keys())
        for number in ours.keys() - ref.keys():
            only_ours += 1
            ours_forms[anonymised(ours[number])] += 1
        for number in ref.keys() - ours.keys():
            only_ref += 1
            ref_forms[anonymised(ref[number])] += 1
    print(f"\nreal dev ads: {len(ads)} ads, {sum(len(a.text) for a in ads):,} characters")
    print(f"phones: ours {ours_total}, reference (phonenumbers VALID) {ref_total}; "
          f"both {both}, only ours {only_ours}, only reference {only_ref}")
    for title, forms in (("only ours", ours_forms), ("only reference", ref_forms)):
        if forms:
            print(f"  {title}, as written (digits 'd', letters 'a'):")
            for form, count in forms.most_common(8):
                print(f"    {count:3}  {form[:60]}")


if __name__ == "__main__":
    main()
