"""Matching ads against alerts and watchlists: live through the scan hook, and retroactively.

The planted ad describes the fictional child of `amber_1_2.xml` (Mia, 14 at the alert, blonde,
blue eyes, 5'2, 110 lbs, Fairfax VA); the other ads share one trait each at most and must stay
below the threshold. All text is synthetic and clinical.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts_support import FIXTURES
from amberline.alerts.feeds import read_target
from amberline.alerts.matches import list_matches
from amberline.alerts.matching import MatchHook
from amberline.alerts.records import list_alerts
from amberline.alerts.scoring import MatchConfig
from amberline.alerts.service import ingest, watch, watch_alert
from amberline.alerts.watchlists import add_entry, import_csv, list_entries
from amberline.pipeline import ScreenConfig, Screener
from amberline.scan import run_scan
from amberline.scan_hooks import default_hooks
from amberline.store import Store

PLANTED = {"id": "planted", "title": "New in Fairfax", "posted_at": "2024-03-16T20:00:00-04:00",
           "city": "Fairfax", "region": "VA",
           "body": "Sweet new girl in town, ask for Mia, 15 years old, blonde hair, blue eyes, "
                   "5'2, 110 lbs. Visiting Fairfax, VA this week. Call 703 555 0142"}
OTHERS = [
    {"id": "other-name", "title": "Mia in Dallas", "posted_at": "2024-03-17T10:00:00-05:00",
     "city": "Dallas", "region": "TX",
     "body": "Hi I'm Mia, 24 years old, brown hair, in Dallas, TX. Call 214 555 0199"},
    {"id": "other-city", "title": "Fairfax visit", "posted_at": "2024-03-16T09:00:00-04:00",
     "city": "Fairfax", "region": "VA",
     "body": "Ask for Candy, 26 years old, black hair, now in Fairfax, VA. Text 571 555 0110"},
    {"id": "other-all", "title": "Seattle", "posted_at": "2024-03-18T09:00:00-07:00",
     "city": "Seattle", "region": "WA",
     "body": "Ruby here, 31 years old, red hair, green eyes, Seattle, WA. 206 555 0123"},
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(ScreenConfig())


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Records as JSON Lines in `path`'s own folder, named ads.jsonl (keys "ads:<id>")."""
    path = path.with_suffix("") / "ads.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def load_alert(store: Store, name: str = "amber_1_2.xml", cfg: MatchConfig | None = None):
    return ingest(store, read_target(FIXTURES / name), cfg)


def scan(store: Store, screener: Screener, path: Path, hook: MatchHook | None = None) -> None:
    run_scan([path], store, screener, on_stored=[hook or MatchHook(MatchConfig())])


def scores_by_key(store: Store) -> dict[str, float]:
    return {m.ad_key: m.score for m in list_matches(store)}


def test_ad_scanned_after_the_alert_is_matched_by_the_hook(tmp_path: Path,
                                                           screener: Screener) -> None:
    with Store(tmp_path / "live.db") as store:
        load_alert(store)
        scan(store, screener, write_jsonl(tmp_path / "ads.jsonl", [PLANTED, *OTHERS]))
        found = list_matches(store)
        assert [m.ad_key for m in found] == ["ads:planted"]
        [match] = found
        assert match.score >= 0.8 and match.via == "scan"
        terms = {t["term"]: t for t in match.terms}
        assert set(terms) >= {"name", "age", "place", "time", "height", "weight", "hair", "eyes"}
        assert terms["name"]["similarity"] == 1.0 and terms["place"]["similarity"] == 1.0
        assert terms["age"]["evidence"] == "stated age 15 vs 14"
        body = PLANTED["title"] + "\n" + PLANTED["body"]
        assert body[terms["name"]["start"]:terms["name"]["end"]] == "Mia"
        assert abs(sum(t["contribution"] for t in match.terms) - match.score) < 1e-3


def test_alert_loaded_after_the_ads_finds_them_retroactively(tmp_path: Path,
                                                             screener: Screener) -> None:
    with Store(tmp_path / "retro.db") as store:
        scan(store, screener, write_jsonl(tmp_path / "ads.jsonl", [PLANTED, *OTHERS]))
        assert list_matches(store) == []
        report = load_alert(store)
        assert [m.ad_key for m in report.matches] == ["ads:planted"]
        assert report.matches[0].via == "retro"


def test_live_and_retroactive_scores_agree(tmp_path: Path, screener: Screener) -> None:
    ads = write_jsonl(tmp_path / "ads.jsonl", [PLANTED, *OTHERS])
    with Store(tmp_path / "a.db") as live, Store(tmp_path / "b.db") as retro:
        cfg = MatchConfig(threshold=0.0)
        load_alert(live, cfg=cfg)
        scan(live, screener, ads, MatchHook(cfg))
        scan(retro, screener, ads)
        load_alert(retro, cfg=cfg)
        live_scores, retro_scores = scores_by_key(live), scores_by_key(retro)
        assert live_scores == retro_scores
        # Only ads naming the child or stating an age near hers are candidates at all.
        assert set(live_scores) == {"ads:planted", "ads:other-name"}
        assert all(s < 0.5 for k, s in live_scores.items() if k != "ads:planted")


def test_cancelled_alert_no_longer_matches_new_ads(tmp_path: Path, screener: Screener) -> None:
    with Store(tmp_path / "c.db") as store:
        for name in ("amber_1_2.xml", "update_1_2.xml", "cancel_1_2.xml"):
            load_alert(store, name)
        assert [a.state for a in list_alerts(store, state="active")] == []
        scan(store, screener, write_jsonl(tmp_path / "ads.jsonl", [PLANTED]))
        assert list_matches(store) == []


def test_rescanning_and_reloading_store_each_match_once(tmp_path: Path,
                                                        screener: Screener) -> None:
    ads = write_jsonl(tmp_path / "ads.jsonl", [PLANTED])
    with Store(tmp_path / "d.db") as store:
        load_alert(store)
        scan(store, screener, ads)
        scan(store, screener, ads)
        load_alert(store)
        assert len(list_matches(store)) == 1


def test_default_hooks_include_alert_matching(tmp_path: Path) -> None:
    with Store(tmp_path / "e.db") as store:
        assert any(isinstance(h, MatchHook) for h in default_hooks(store))


WATCH_CASES = [
    ("phone", "(703) 555-0142", {}, "ads:planted"),
    ("email", "Mia.Example@Mail.example", {}, "ads:mail"),
    ("handle", "@Mia_Sample_Handle", {}, "ads:mail"),
    ("name", "Ruby", {}, "ads:other-all"),
    ("name", "Mia", {"min_age": 13, "max_age": 19}, "ads:planted"),
    ("keyword", "visiting fairfax", {}, "ads:planted"),
    ("descriptors", "hair=red, eyes=green", {}, "ads:other-all"),
    ("descriptors", "height_cm=158", {}, "ads:planted"),
    ("descriptors", "ethnicity=hispanic", {}, "ads:mail"),
]
MAIL_AD = {"id": "mail", "title": "Contact", "posted_at": "2024-03-20T10:00:00-04:00",
           "body": "Latina girl, write to mia.example@mail.example or instagram "
                   "@mia_sample_handle"}


@pytest.mark.parametrize(("kind", "value", "options", "expected"), WATCH_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in WATCH_CASES])
def test_watchlist_entry_matches_live_and_retroactively(
        tmp_path: Path, screener: Screener, kind: str, value: str, options: dict,
        expected: str) -> None:
    records = [PLANTED, *OTHERS, MAIL_AD]
    with Store(tmp_path / "w1.db") as retro, Store(tmp_path / "w2.db") as live:
        scan(retro, screener, write_jsonl(tmp_path / "a.jsonl", records))
        _, found = watch(retro, kind, value, **options)
        assert [m.ad_key for m in found] == [expected]
        add_entry(live, kind, value, **options)
        scan(live, screener, write_jsonl(tmp_path / "b.jsonl", records))
        assert [m.ad_key for m in list_matches(live)] == [expected]


def test_name_age_range_excludes_ads_stating_other_ages(tmp_path: Path,
                                                        screener: Screener) -> None:
    with Store(tmp_path / "n.db") as store:
        scan(store, screener, write_jsonl(tmp_path / "a.jsonl", [PLANTED, *OTHERS]))
        _, found = watch(store, "name", "Mia", min_age=20, max_age=30)
        assert [m.ad_key for m in found] == ["ads:other-name"]


def test_pdq_entry_matches_near_hashes(tmp_path: Path, screener: Screener) -> None:
    base = "f0" * 32
    near = "f1" + "f0" * 31  # one bit away
    far = "0f" * 32
    records = [{**PLANTED, "id": "img1", "images": []}, {**OTHERS[0], "id": "img2"}]
    with Store(tmp_path / "p.db") as store:
        scan(store, screener, write_jsonl(tmp_path / "a.jsonl", records))
        import sqlalchemy as sa

        from amberline.store.schema import ads, image_hashes
        with store.engine.begin() as conn:
            ids = dict(conn.execute(sa.select(ads.c.key, ads.c.id)).all())
            conn.execute(image_hashes.insert(), [
                {"ad_id": ids["ads:img1"], "pdq": near, "quality": 90},
                {"ad_id": ids["ads:img2"], "pdq": far, "quality": 90}])
        _, found = watch(store, "pdq", base)
        assert [m.ad_key for m in found] == ["ads:img1"]


@pytest.mark.parametrize(("kind", "value", "reason"), [
    ("phone", "12", "not a possible phone number"), ("email", "nobody", "not an e-mail"),
    ("pdq", "abc", "64 hexadecimal"), ("colour", "red", "unknown watchlist kind"),
    ("descriptors", "shoe=9", "not one of"),
])
def test_bad_watchlist_values_are_rejected_with_a_reason(tmp_path: Path, kind: str,
                                                         value: str, reason: str) -> None:
    with Store(tmp_path / "v.db") as store, pytest.raises(ValueError, match=reason):
        add_entry(store, kind, value)


def test_csv_import_adds_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    csv_file = tmp_path / "watch.csv"
    csv_file.write_text("kind,value,label,min_age,max_age\n"
                        "phone,703 555 0142,case 7,,\n"
                        "name,Mia,case 7,13,19\n"
                        "email,not-an-email,case 8,,\n", encoding="utf-8")
    with Store(tmp_path / "csv.db") as store:
        added, bad = import_csv(store, csv_file)
        assert [(e.kind, e.value, e.min_age) for e in added] == [
            ("phone", "+17035550142", None), ("name", "Mia", 13)]
        assert len(bad) == 1 and bad[0].line == 4 and "e-mail" in bad[0].reason


def test_entries_created_from_an_alert_find_the_planted_ad(tmp_path: Path,
                                                          screener: Screener) -> None:
    with Store(tmp_path / "f.db") as store:
        scan(store, screener, write_jsonl(tmp_path / "a.jsonl", [PLANTED, *OTHERS]))
        report = load_alert(store)
        entries, found = watch_alert(store, report.alert_ids[0])
        kinds = {e.kind: e for e in entries}
        assert set(kinds) == {"name", "descriptors", "keyword"}
        assert kinds["name"].value == "Mia Jane Tester" and kinds["name"].min_age == 14
        assert kinds["keyword"].value == "abc1234"
        assert {m.ad_key for m in found} == {"ads:planted"}
        assert len(list_entries(store)) == 3
