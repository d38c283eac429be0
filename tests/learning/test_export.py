"""`emotion-garden export-interactions DIR`: Personalize-schema CSVs, read back with csv."""
from __future__ import annotations

import csv
import json

from chalicelib import garden
from chalicelib.web import context
from chalicelib.cli import main
from tests.images import jpeg

INTERACTIONS = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "GENERATION", "FAVORITE", "GENDER"]
ITEMS = ["ITEM_ID", "EMOTION", "FAVORITE", "ORIENTATION", "CREATION_TIMESTAMP"]


def _garden(data):
    context.forget()
    context.reconfigure(data_dir=data)
    store, index = context.current().store, context.current().engagement
    store.put("emotions/HAPPY/rose/ah.jpeg", jpeg(prov={"prompt": "p", "createdAt": "2026-01-01T00:00:00Z"}))
    store.put("emotions/SAD/bv.jpeg", jpeg(prov={"prompt": "p", "createdAt": "2026-02-01T00:00:00Z"}))
    store.put("pool/SAD/cv.jpeg", jpeg())       # awaiting review: not an item of the garden
    a, b = "emotions/HAPPY/rose/ah.jpeg", "emotions/SAD/bv.jpeg"
    garden.impressions(index, {"id": "v1", "itemIds": [a], "context": {"generation": "adult"}})
    garden.impressions(index, {"id": "v2", "itemIds": [a], "context": {"generation": "adult"}})
    garden.like(index, {"id": "v2", "itemId": a, "context": {"generation": "adult"}})
    garden.impressions(index, {"id": "v3", "itemIds": [a, b], "context": {"emotion": "HAPPY"}})
    garden.like(index, {"id": "v4", "itemId": b, "context": {"generation": "elder", "favorite": "rose"}})
    context.forget()
    return a, b


def _read(path):
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_the_export_reads_back_with_personalizes_field_names(tmp_path, capsys):
    a, b = _garden(tmp_path / "garden")
    out = tmp_path / "export"
    assert main(["export-interactions", str(out), "--data-dir", str(tmp_path / "garden")]) == 0
    assert "7 interactions, 2 items" in capsys.readouterr().out
    fields, rows = _read(out / "interactions.csv")
    assert fields == INTERACTIONS
    events = sorted((r["USER_ID"], r["ITEM_ID"], r["EVENT_TYPE"], r["GENERATION"], r["FAVORITE"])
                    for r in rows)
    assert events == sorted([
        ("segment:g=adult", a, "view", "adult", ""), ("segment:g=adult", a, "view", "adult", ""),
        ("segment:g=adult", a, "like", "adult", ""),
        ("segment:any", a, "view", "", ""), ("segment:any", b, "view", "", ""),
        ("segment:g=elder|f=rose", b, "view", "elder", "rose"),
        ("segment:g=elder|f=rose", b, "like", "elder", "rose"),
    ])
    assert all(r["TIMESTAMP"].isdigit() and 1.7e9 < int(r["TIMESTAMP"]) < 4e9 for r in rows)
    # no person in it: only segment ids, never the visit ids
    assert not {"v1", "v2", "v3", "v4"} & {r["USER_ID"] for r in rows}
    fields, items = _read(out / "items.csv")
    assert fields == ITEMS
    assert sorted((i["ITEM_ID"], i["EMOTION"], i["FAVORITE"], i["ORIENTATION"]) for i in items) == [
        (a, "HAPPY", "rose", "landscape"), (b, "SAD", "", "portrait")]
    assert {i["ITEM_ID"]: int(i["CREATION_TIMESTAMP"]) for i in items}[a] == 1767225600
    schema = json.loads((out / "interactions-schema.json").read_text())
    assert [f["name"] for f in schema["fields"]] == INTERACTIONS
    assert [f["name"] for f in json.loads((out / "items-schema.json").read_text())["fields"]] == ITEMS


def test_since_keeps_later_counters_and_a_bad_since_is_refused(tmp_path, capsys):
    _garden(tmp_path / "garden")
    out = tmp_path / "export"
    assert main(["export-interactions", str(out), "--since", "2999-01-01",
                 "--data-dir", str(tmp_path / "garden")]) == 0
    assert _read(out / "interactions.csv")[1] == []
    assert main(["export-interactions", str(out), "--since", "last tuesday",
                 "--data-dir", str(tmp_path / "garden")]) == 2
    assert "ISO 8601" in capsys.readouterr().err
