"""AMBER alerts in the styles real US agencies write them: each corpus file parses to its record.

`alert_fixtures/agency_styles/*.toml` are invented, clinical alert texts (names, places and
plates made up) in the structures state agencies use: several children in one sentence, the
description in a later paragraph than the name, infants' ages in months, plates spelled letter
by letter or as "TX tag number", vehicles written every way, capitals, boilerplate, and alerts
ended in prose. Each file lists every field its text states; the test checks those values and
that every other field of every child, suspect and the vehicle stayed empty (precision). Each
text goes through `read_alert` as the description of a CAP 1.2 message, so `ends_alert` is
checked as `amberline alerts parse` prints it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from alerts_support import FIXTURES, SENDER, cap_xml
from amberline.alerts.cap import CapAlert, read_alert, xml_parser
from amberline.cli import app

CORPUS = sorted((FIXTURES / "agency_styles").glob("*.toml"))
PERSON = ("name", "age", "age_months", "dob", "sex", "race", "height_cm", "weight_kg", "hair",
          "eyes", "clothing")
VEHICLE = ("year", "make", "model", "body", "colour", "plate", "plate_state")
SENT = "2024-03-14T16:05:00-04:00"


def read(path: Path) -> tuple[dict[str, Any], CapAlert]:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    refs = "" if case["msg_type"] == "Alert" else f"{SENDER},EX-2024-0001,{SENT}"
    root = etree.fromstring(cap_xml(case["text"], case["msg_type"], case["headline"],
                                    references=refs, sent=SENT), xml_parser())
    return case, read_alert(root, path.name)


def test_the_corpus_covers_every_structure() -> None:
    cases = [read(p) for p in CORPUS]
    assert len(cases) >= 30
    got = [a.descriptors for _, a in cases]
    assert any(len(d.children) >= 3 for d in got) and any(len(d.suspects) >= 2 for d in got)
    assert any(c.age_months for d in got for c in d.children)
    assert sum(1 for case, _ in cases if case["ends_alert"]) >= 4
    assert any(case["msg_type"] != "Cancel" and case["ends_alert"] for case, _ in cases)
    assert any(case["msg_type"] == "Update" and not case["ends_alert"] for case, _ in cases)
    assert any(case["text"].isupper() for case, _ in cases)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_agency_style_alert_parses_to_its_record(path: Path) -> None:
    case, alert = read(path)
    expect: dict[str, Any] = case.get("expect", {})
    record = alert.descriptors.as_dict()
    got: dict[str, Any] = {}
    for group in ("children", "suspects"):
        for i, person in enumerate(record[group]):
            got |= {f"{group}.{i}.{k}": person[k] for k in PERSON if person[k] is not None}
    if record["vehicle"]:
        got |= {f"vehicle.{k}": record["vehicle"][k] for k in VEHICLE
                if record["vehicle"][k] is not None}
    assert got == expect
    assert alert.ends_alert is case["ends_alert"], alert.ends_reason
    assert record["child"] == (record["children"][0] if record["children"] else None)
    assert record["suspect"] == (record["suspects"][0] if record["suspects"] else None)


def test_cli_parse_prints_the_new_fields(tmp_path: Path) -> None:
    two = tmp_path / "two.xml"
    two.write_bytes(cap_xml((FIXTURES / "agency_styles" / "13_toddler_18_month.toml").read_text(
        encoding="utf-8").split('"""')[1]))
    result = CliRunner().invoke(app, ["alerts", "parse", str(FIXTURES / "amber_1_2.xml"),
                                      str(FIXTURES / "cancel_1_2.xml"), str(two)])
    assert result.exit_code == 0, result.output
    amber, cancel, toddler = [json.loads(line) for line in result.stdout.splitlines()]
    assert amber["ends_alert"] is False and cancel["ends_alert"] is True
    assert cancel["ends_reason"] == "msgType Cancel"
    assert amber["descriptors"]["suspects"][0]["name"] == "John Quincy Example"
    assert amber["descriptors"]["children"][0]["age_months"] is None
    child = toddler["descriptors"]["child"]
    assert (child["age"], child["age_months"]) == (1, 18)
    assert toddler["descriptors"]["suspect"]["name"] == "Corey Fakeley"
