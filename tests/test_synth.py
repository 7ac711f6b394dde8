"""Tests for the synthetic corpus: it must be deterministic, clinical, and its ground truth
must really hold in the text it wrote (phones recoverable, templates shared, networks joined by
the keys the truth names, independents not joined by anything)."""

from __future__ import annotations

import base64
import io
import json
import re
import unicodedata
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import phonenumbers
import pytest
from PIL import Image

from amberline.synth import generate, truth_path, write_corpus
from amberline.synth import vocabulary as v
from amberline.synth.compose import skeleton_regex
from amberline.synth.phones import FORM_NAMES, OBFUSCATED_FORMS, PhonePool, render
from amberline.synth.places import CITIES, CITY_BY_NAME, ROUTES, load_area_codes

N = 2000  # small enough that every ad is in the planted sample

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_WORD_RE = re.compile("|".join(_WORDS))

# Terms that must never appear in the synthetic corpus (a small, clinical blocklist).
BLOCKLIST = ("sex", "sexy", "nude", "naked", "porn", "xxx", "erotic", "fetish", "kinky",
             "bbbj", "gfe", "pse", "orgasm", "happy ending", "oral", "topless", "lingerie",
             "escort", "hooker", "prostitut", "body rub", "nuru", "sensual", "intimate")
_BLOCK_RE = re.compile(r"\b(?:" + "|".join(re.escape(b) for b in BLOCKLIST) + r")\b", re.I)


def decode_phone(text: str) -> str:
    """A reference decoder for the obfuscations the generator uses: the national digits."""
    t = unicodedata.normalize("NFKC", text)
    t = _WORD_RE.sub(lambda m: str(_WORDS.index(m.group())), t)
    t = t.replace("O", "0").replace("o", "0").replace("l", "1")
    digits = re.sub(r"\D", "", t)
    return digits[1:] if len(digits) == 11 and digits[0] == "1" else digits


@pytest.fixture(scope="module")
def corpus():
    ads_iter, truth = generate(N, seed=11)
    ads = list(ads_iter)
    return ads, truth, {a["id"]: a for a in ads}


@pytest.fixture(scope="module")
def image_corpus():
    ads_iter, truth = generate(400, seed=3, with_images=True)
    ads = list(ads_iter)
    return ads, truth, {a["id"]: a for a in ads}


def _text(ad: dict) -> str:
    return ad["title"] + "\n" + ad["body"]


def test_same_seed_same_corpus_other_seed_other_corpus():
    a, ta = generate(300, seed=5)
    b, tb = generate(300, seed=5)
    c, _ = generate(300, seed=6)
    la, lb, lc = list(a), list(b), list(c)
    assert la == lb
    assert ta.to_dict() == tb.to_dict()
    assert [x["body"] for x in la] != [x["body"] for x in lc]


def test_images_do_not_change_who_posts_when():
    plain, t_plain = generate(300, seed=8)
    pics, t_pics = generate(300, seed=8, with_images=True)
    assert [a["posted_at"] for a in plain] == [a["posted_at"] for a in pics]
    assert [n.ads for n in t_plain.networks] == [n.ads for n in t_pics.networks]


def test_counts_ids_and_records(corpus):
    ads, truth, _ = corpus
    assert len(ads) == N and truth.complete
    ids = [a["id"] for a in ads]
    assert len(set(ids)) == N and all(re.fullmatch(r"syn-\d{6}", i) for i in ids)
    assert truth.network_ads + truth.independent == N
    assert 0.2 * N <= truth.network_ads <= 0.3 * N
    members = [ad for n in truth.networks for ad in n.ads]
    assert len(members) == len(set(members)) == truth.network_ads
    sizes = [len(n.ads) for n in truth.networks]
    assert min(sizes) >= 2 and max(sizes) <= 60 and sorted(sizes)[len(sizes) // 2] <= 4
    times = [a["posted_at"] for a in ads]
    assert times == sorted(times)
    for a in ads:
        assert a["source"] in v.SOURCES
        assert a["url"] == f"https://{a['source']}/ad/{a['id']}"
        assert datetime.fromisoformat(a["posted_at"].replace("Z", "+00:00")).year == 2026
        assert CITY_BY_NAME[a["city"]].region == a["region"]
        assert a["title"] and a["body"] and "{" not in a["body"] + a["title"]


def test_planted_phones_are_in_the_text_and_decode(corpus):
    _, truth, by_id = corpus
    assert len(truth.planted) == N
    seen_forms = set()
    for ad_id, facts in truth.planted.items():
        text = _text(by_id[ad_id])
        for number, surface, form in zip(facts["phones"], facts["phone_text"],
                                         facts["phone_forms"], strict=True):
            assert surface in text, (ad_id, surface)
            assert decode_phone(surface) == number[2:], (surface, number)
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_valid_number(parsed)
            assert number[5:9] == "5550" and 100 <= int(number[8:]) <= 199
            seen_forms.add(form)
        assert by_id[ad_id]["city"] == facts["city"]
        for name in facts["names"]:
            assert name in text
        for age in facts["ages"]:
            assert str(age) in by_id[ad_id]["body"]
        for handle in facts["handles"]:
            assert handle in text
        for cat, term in facts["indicators"]:
            assert term.lower() in text.lower(), (cat, term)
    assert seen_forms == set(FORM_NAMES)


def test_obfuscated_forms_really_obscure_the_digits():
    rng = __import__("random").Random(1)
    for form in OBFUSCATED_FORMS:
        for _ in range(20):
            s = render("+17035550142", form, rng)
            assert decode_phone(s) == "7035550142"
            assert "7035550142" not in s and "703-555-0142" not in s
    assert render("+17035550142", "spelled", rng) == (
        "seven zero three five five five zero one four two")


def test_every_network_is_joined_by_its_keys(corpus):
    _, truth, by_id = corpus
    facts = truth.planted
    kinds = defaultdict(int)
    for net in truth.networks:
        for k in net.link_kinds:
            kinds[k] += 1
        if "phone" in net.link_kinds:
            # every ad carries a network phone, and phone edges alone connect the network
            parent = {p: p for p in net.phones}

            def find(x, parent=parent):
                while parent[x] != x:
                    x = parent[x]
                return x
            for ad in net.ads:
                phones = facts[ad]["phones"]
                assert phones and set(phones) <= set(net.phones), net.id
                for p in phones[1:]:
                    parent[find(p)] = find(phones[0])
            assert len({find(p) for p in net.phones}) == 1, net.id
        else:
            phones = [p for ad in net.ads for p in facts[ad]["phones"]]
            assert len(phones) == len(set(phones)), net.id  # burner phones, never shared
        if "template" in net.link_kinds:
            body_re = re.compile(skeleton_regex(net.template.body), re.S)
            title_re = re.compile(skeleton_regex(net.template.title), re.S)
            for ad in net.ads:
                assert body_re.fullmatch(by_id[ad]["body"]), (net.id, ad)
                assert title_re.fullmatch(by_id[ad]["title"]), (net.id, ad)
        else:
            bodies = [by_id[ad]["body"] for ad in net.ads]
            assert len(set(bodies)) == len(bodies), net.id  # texts differ: no template edge
        if "handle" in net.link_kinds:
            for ad in net.ads:
                assert any(h in _text(by_id[ad]) for h in net.handles), net.id
        for ad in net.ads:
            assert by_id[ad]["city"] in net.route
        assert net.cities and set(net.cities) <= set(net.route)
    assert {"phone", "template", "handle"} <= set(kinds)
    assert any(n.link_kinds == ["template"] for n in truth.networks)
    assert any(n.link_kinds == ["phone"] for n in truth.networks)
    assert any(len(n.cities) >= 3 for n in truth.networks)
    assert any(len(n.names) >= 2 and len(n.phones) == 1 for n in truth.networks)
    assert sum(n.reposts for n in truth.networks) > 0


def test_networks_move_along_their_route_in_time(corpus):
    _, truth, by_id = corpus
    start = datetime(2026, 1, 5).timestamp()
    moved = 0
    for net in truth.networks:
        previous = None
        for ad_id in net.ads:
            ad = by_id[ad_id]
            t = datetime.fromisoformat(ad["posted_at"][:-1]).timestamp() - start
            expected = {net.city_at(t), net.city_at(t + 1)}  # posted_at is cut to the second
            if ad["city"] not in expected:
                assert previous is not None and ad["body"] == previous["body"], ad_id  # repost
            previous = ad
        moved += len(net.cities) > 1
        assert net.cities[0] == by_id[net.ads[0]]["city"]
    assert moved > 0


def test_independents_share_no_phone_or_handle(corpus):
    _, truth, _ = corpus
    network_of = truth.network_of()
    network_phones = {p for n in truth.networks for p in n.phones}
    owner: dict[str, str] = {}
    for ad_id, facts in truth.planted.items():
        keys = facts["phones"] + facts["handles"] + facts["emails"]
        if ad_id in network_of:
            continue
        assert "network" not in facts
        for key in keys:
            assert key not in owner, (key, owner.get(key), ad_id)
            assert key not in network_phones
            owner[key] = ad_id


def test_hub_boilerplate_is_on_many_independents_only(corpus):
    ads, truth, _ = corpus
    network_of = truth.network_of()
    texts = {t for hub in truth.hubs.values() for t in hub["texts"]}
    with_hub = [a for a in ads if any(t in a["body"] for t in texts)]
    assert len(with_hub) == sum(h["n_ads"] for h in truth.hubs.values()) > 0.2 * truth.independent
    assert not [a for a in with_hub if a["id"] in network_of]


def test_ages_minors_only_in_networks_and_rarely(corpus):
    _, truth, _ = corpus
    network_of = truth.network_of()
    ages_ind = [a for ad, f in truth.planted.items() if ad not in network_of for a in f["ages"]]
    ages_net = [a for ad, f in truth.planted.items() if ad in network_of for a in f["ages"]]
    assert min(ages_ind) >= 18
    assert sum(20 <= a <= 35 for a in ages_ind) > 0.8 * len(ages_ind)
    assert sum(a in (18, 19) for a in ages_net) / len(ages_net) > 3 * (
        sum(a in (18, 19) for a in ages_ind) / len(ages_ind))
    for ad in truth.minor_age_ads:
        assert ad in network_of and min(truth.planted[ad]["ages"]) < 18
    assert len(truth.minor_age_ads) < 0.05 * truth.network_ads


def test_indicators_are_planted_more_often_in_networks(corpus):
    _, truth, _ = corpus
    network_of = truth.network_of()
    rate = defaultdict(lambda: [0, 0])
    for ad, f in truth.planted.items():
        rate[ad in network_of][0] += bool(f["indicators"])
        rate[ad in network_of][1] += 1
    assert rate[True][0] / rate[True][1] > rate[False][0] / rate[False][1]


def test_vocabulary_and_corpus_are_clinical(corpus):
    ads, _, _ = corpus
    for s in v.all_strings():
        assert not _BLOCK_RE.search(s), s
    for ad in ads:
        assert not _BLOCK_RE.search(_text(ad)), ad["id"]
    assert _BLOCK_RE.search("an explicit NUDE term")  # the check itself can fail


def test_places_use_valid_area_codes_and_routes():
    codes = set(load_area_codes())
    assert len(codes) > 300
    for city in CITIES:
        assert set(city.area_codes) <= codes, city
    for route in ROUTES.values():
        assert all(name in CITY_BY_NAME for name in route) and len(route) >= 3


def test_phone_pool_never_repeats_and_reports_exhaustion(monkeypatch):
    import amberline.synth.phones as phones

    monkeypatch.setattr(phones, "load_area_codes", lambda: (703, 202))
    pool = PhonePool(seed=1)
    got = [pool.take((703,)) for _ in range(200)]
    assert len(set(got)) == 200 and all(g.startswith(("+1703", "+1202")) for g in got)
    assert sum(g.startswith("+1703") for g in got) == 100
    assert pool.take((703,)) is None


def test_images_are_generated_pngs_shared_within_networks(image_corpus):
    ads, truth, by_id = image_corpus
    owner_of_image: dict[str, set[str]] = defaultdict(set)
    network_of = truth.network_of()
    for ad in ads:
        for img in ad.get("images", []):
            with Image.open(io.BytesIO(base64.b64decode(img["base64"]))) as im:
                assert im.format == "PNG" and 64 <= im.width <= 128 and im.width == im.height
            owner_of_image[img["base64"]].add(network_of.get(ad["id"], ad["id"]))
    # an image never joins ads of different networks or independents
    assert all(len(owners) == 1 for owners in owner_of_image.values())
    image_nets = [n for n in truth.networks if "image" in n.link_kinds]
    assert image_nets
    for net in image_nets:
        shared = set.intersection(*({i["base64"] for i in by_id[a]["images"]} for a in net.ads))
        assert shared, net.id
    assert truth.n_images == sum(len(a.get("images", [])) for a in ads) > 0


def test_write_corpus_writes_jsonl_and_truth(tmp_path: Path):
    out = tmp_path / "demo.jsonl"
    summary = write_corpus(out, 250, seed=2)
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 250 and summary.n_ads == 250
    assert truth_path(out) == tmp_path / "demo.truth.json" == summary.truth
    truth = json.loads(summary.truth.read_text("utf-8"))
    assert truth["seed"] == 2 and truth["n_ads"] == 250 and truth["complete"]
    ids = {json.loads(line)["id"] for line in lines}
    for net in truth["networks"]:
        assert len(net["ads"]) >= 2 and set(net["ads"]) <= ids and net["link_kinds"]
    assert summary.network_ads + summary.independent == 250


@pytest.mark.slow
def test_hundred_thousand_ads_keep_a_bounded_truth_file(tmp_path: Path):
    """Speed of the generator is not asserted here (bench/ owns speed): this checks the large
    corpus's truth stays small and its phone-less ads are spread over time."""
    summary = write_corpus(tmp_path / "big.jsonl", 100_000, seed=1)
    truth = json.loads(summary.truth.read_text("utf-8"))
    assert len(truth["planted"]) <= 2000
    assert summary.truth.stat().st_size < 10_000_000
    # fictional numbers run out past ~40k ads: phone-less ads must be spread over time
    planted = list(truth["planted"].values())
    half = len(planted) // 2
    early = sum(not f["phones"] for f in planted[:half]) / half
    late = sum(not f["phones"] for f in planted[half:]) / (len(planted) - half)
    assert abs(early - late) < 0.1
    assert all(f["phones"] or f["handles"] for f in planted)
