"""The contact bridge rule: an ad listing two contacts that each have ads of their own is one
piece of evidence, and does not join their networks alone (copies of that ad add nothing);
and the contested clause through third ads: a copy without contacts does not chain two
posters with different contacts. All texts are invented, clinical notices."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from amberline.link import LinkRecord, link_records
from amberline.link.components import bridged_components, contact_groups
from amberline.link.linker import Linker
from amberline.link.record import REAL_TEXT, LinkConfig
from amberline.link.store_link import link_store
from amberline.pipeline import Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store.database import Store
from test_link_store import partition

WORDS = ["amber", "cedar", "willow", "harbour", "granite", "meadow", "lantern", "orchard",
         "pebble", "quartz", "saffron", "thistle", "velvet", "walnut", "yarrow", "zephyr",
         "basil", "clover", "dune", "ember", "fern", "glacier", "hazel", "iris", "juniper",
         "kestrel", "lichen", "maple", "nectar", "olive", "poplar", "rowan"]
CONTACTS = LinkConfig(bridge_contacts=True)
PHONE_A, PHONE_B, PHONE_C = "+17035550142", "+13125550110", "+12025550177"


def notice(k: int) -> str:
    """Tutoring notice k: thirty words no other notice uses (letters only: digits are masked
    before shingling), so that only contacts link the notices."""
    tag = chr(97 + k // 26) + chr(97 + k % 26)
    words = " ".join(f"{WORDS[(k * 5 + m) % len(WORDS)]}{tag}" for m in range(30))
    return f"Tutoring notice {words}."


def rec(key: str, text: str, *phones: str) -> LinkRecord:
    return LinkRecord(ad_key=key, text=text, keys=[("phone", p) for p in phones])


def groups(result) -> list[list[str]]:
    return sorted(sorted(n.ads) for n in result.networks)


def two_posters(bridges: list[str]) -> list[LinkRecord]:
    """Three notices under phone A, two under phone B, then the `bridges` texts listing both."""
    own = [rec("a0", notice(0), PHONE_A), rec("a1", notice(1), PHONE_A),
           rec("a2", notice(2), PHONE_A), rec("b0", notice(3), PHONE_B),
           rec("b1", notice(4), PHONE_B)]
    return own + [rec(f"x{k}", t, PHONE_A, PHONE_B) for k, t in enumerate(bridges)]


def test_one_ad_listing_two_contacts_does_not_join_their_posters() -> None:
    records = two_posters([notice(10)])
    # without the rule the two phones' ads are one network through the ad listing both
    assert groups(link_records(records)) == [["a0", "a1", "a2", "b0", "b1", "x0"]]
    # with it, the listing ad stays with the larger group (phone A's) and B's ads apart
    assert groups(link_records(records, CONTACTS)) == [["a0", "a1", "a2", "x0"], ["b0", "b1"]]


def test_copies_of_the_listing_ad_add_no_evidence_two_texts_do() -> None:
    copies = two_posters([notice(10), notice(10), notice(10)])
    assert groups(link_records(copies, replace(CONTACTS, kinds=("phone",)))) == [
        ["a0", "a1", "a2", "x0", "x1", "x2"], ["b0", "b1"]]
    distinct = two_posters([notice(10), notice(11)])
    assert groups(link_records(distinct, CONTACTS)) == [
        ["a0", "a1", "a2", "b0", "b1", "x0", "x1"]]
    # a higher support asks for more distinct texts
    assert len(groups(link_records(distinct, replace(CONTACTS, bridge_support=3)))) == 2


def test_a_contact_seen_only_in_the_listing_ad_chains_nothing() -> None:
    # phone C appears only in the ad listing all three: it goes with that ad, and does not
    # chain phone A's and phone B's ads together
    records = [rec("a0", notice(0), PHONE_A), rec("a1", notice(1), PHONE_A),
               rec("b0", notice(3), PHONE_B), rec("x0", notice(10), PHONE_A, PHONE_B, PHONE_C)]
    assert groups(link_records(records, CONTACTS)) == [["a0", "a1", "x0"]]
    # two distinct notices listing B and C make them one poster, still apart from A, and now
    # the larger one: the listing ad goes with it
    records.append(rec("x1", notice(11), PHONE_B, PHONE_C))
    records.append(rec("x2", notice(12), PHONE_B, PHONE_C))
    assert groups(link_records(records, CONTACTS)) == [["a0", "a1"], ["b0", "x0", "x1", "x2"]]


def test_contact_groups_directly() -> None:
    # ads 0, 1 carry key 0; ad 2 key 1; ad 3 keys 0 and 1 (one text); ad 4 no contact
    ad, key = np.array([0, 1, 2, 3, 3]), np.array([0, 0, 1, 0, 1])
    text = np.arange(5)
    out = contact_groups(5, ad, key, text, 2)
    assert out.tolist() == [0, 0, 2, 0, -1]
    # the same rows in another order, repeated: the same groups
    assert contact_groups(5, ad[::-1].copy(), key[::-1].copy(), text, 2).tolist() == out.tolist()
    # ad 4 lists both as well, with another text: two texts vouch, one group
    out = contact_groups(5, np.r_[ad, 4, 4], np.r_[key, 0, 1], text, 2)
    assert out.tolist() == [0, 0, 0, 0, 0]
    # ... unless ad 4 is a copy of ad 3
    same = np.array([0, 1, 2, 3, 3])
    out = contact_groups(5, np.r_[ad, 4, 4], np.r_[key, 0, 1], same, 2)
    assert out[2] == 2 and out[0] == out[3] == out[4] == 0
    assert contact_groups(3, np.array([], int), np.array([], int), np.arange(3), 2).tolist() \
        == [-1, -1, -1]


def test_an_ad_listing_many_contacts_is_paired_linearly_and_bridges_nothing() -> None:
    # a listing of 40 contacts, each of which has two ads of its own elsewhere
    n_keys = 40
    ad = [0] * n_keys + [1 + k for k in range(2 * n_keys)]
    key = list(range(n_keys)) + [k // 2 for k in range(2 * n_keys)]
    n = 1 + 2 * n_keys
    out = contact_groups(n, np.array(ad), np.array(key), np.arange(n), 2)
    own = out[1:].reshape(n_keys, 2)
    assert (own[:, 0] == own[:, 1]).all()  # each contact's own two ads together
    assert len(set(own[:, 0].tolist())) == n_keys  # and no two contacts joined
    assert out[0] in set(own[:, 0].tolist())


def test_not_linked_decision_splits_a_contact_group() -> None:
    linker = Linker(CONTACTS)
    linker.add([rec(f"a{k}", notice(k), PHONE_A) for k in range(3)])
    assert len(set(linker.labels().tolist())) == 1
    linker.not_linked = [(0, 2)]
    labels = linker.labels()
    assert labels[0] != labels[2]


def test_copy_without_contacts_does_not_chain_two_posters() -> None:
    # 0-1 share a phone, 3-4 another; ad 2 has no contact and is a copy of ad 1 (0.95) and
    # of ad 3 (0.8): it joins the nearer poster, and does not chain the two
    a, b = np.array([0, 3, 1, 2]), np.array([1, 4, 2, 3])
    text = np.array([False, False, True, True])
    weak = np.zeros(4, dtype=bool)
    ids = np.array([True, True, False, True, True])
    strength = np.array([2.0, 2.0, 0.95, 0.8])
    labels, used = bridged_components(5, a, b, text, weak, None, 3, 2, strength)
    assert len(set(labels.tolist())) == 1  # without the contested clause: one network
    labels, used = bridged_components(5, a, b, text, weak, ids, 3, 2, strength)
    assert labels[0] == labels[1] == labels[2] != labels[3] == labels[4]
    assert used.tolist() == [True, True, True, False]
    # the stronger link wins: the other way round, ad 2 goes with ads 3 and 4
    labels, _ = bridged_components(5, a, b, text, weak, ids, 3, 2, np.array([2, 2, 0.8, 0.95]))
    assert labels[0] == labels[1] != labels[2] == labels[3] == labels[4]


def test_ties_are_decided_by_the_ads_not_the_order_of_the_edges() -> None:
    # ad 2 (no contact) is an exact copy of ad 1 and of ad 3: the same strength both ways;
    # an incremental run sees edges in another order than a rebuild, and must decide alike
    a, b = np.array([0, 3, 1, 2]), np.array([1, 4, 2, 3])
    text = np.array([False, False, True, True])
    weak = np.zeros(4, dtype=bool)
    ids = np.array([True, True, False, True, True])
    strength = np.array([2.0, 2.0, 1.0, 1.0])
    labels, _ = bridged_components(5, a, b, text, weak, ids, 3, 2, strength)
    assert labels[0] == labels[2] != labels[3]  # the lower ads' edge first
    back = np.arange(4)[::-1]
    again, _ = bridged_components(5, a[back], b[back], text[back], weak, ids, 3, 2,
                                  strength[back])
    assert again.tolist() == labels.tolist()


def test_real_text_through_the_store_incremental_equals_rebuild(tmp_path: Path) -> None:
    store = Store(tmp_path / "contacts.db")

    def scan(rows: list[tuple[str, str]], name: str) -> None:
        path = tmp_path / name
        path.write_text("".join(json.dumps({"id": i, "source": "board.example", "body": b})
                                + "\n" for i, b in rows), encoding="utf-8")
        run_scan([path], store, Screener(), on_stored=default_hooks(store))

    a, b = "call 703 555 0142", "call 312 555 0110"
    scan([("a0", f"{notice(0)} {a}"), ("a1", f"{notice(1)} {a}"), ("a2", f"{notice(2)} {a}"),
          ("b0", f"{notice(3)} {b}"), ("b1", f"{notice(4)} {b}")], "one.jsonl")
    link_store(store, REAL_TEXT)
    assert partition(store) == [["a0", "a1", "a2"], ["b0", "b1"]]
    scan([("x0", f"{notice(10)} {a} or {b}")], "two.jsonl")
    link_store(store, REAL_TEXT)
    incremental = partition(store)
    assert incremental == [["a0", "a1", "a2", "x0"], ["b0", "b1"]]
    link_store(store, REAL_TEXT, rebuild=True)
    assert partition(store) == incremental
    # a second, different notice listing both numbers joins the two posters
    scan([("x1", f"{notice(11)} {b} or {a}")], "three.jsonl")
    link_store(store, REAL_TEXT)
    assert partition(store) == [["a0", "a1", "a2", "b0", "b1", "x0", "x1"]]
    store.close()
