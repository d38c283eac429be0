"""The pool of one emotion and favorite as a whole: GET /pool's favorite filter and size, GET
/admin/whole-pool (what the desk's "publish / remove the whole pool" acts on) and the CLI's --all —
images the moderation marked are never taken by them."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from chalicelib import curation
from chalicelib.web import context
from tests.pools.conftest import call, plant
from tests.pools.test_cli import run

FAV = "spring,cloudy,day"
MARK = {"status": "flagged", "labels": ["Violence"]}


def fill() -> dict[str, list[str]]:
    plain = [f"pool/HAPPY/p{n}h.jpeg" for n in range(3)] + ["pool/HAPPY/p9v.jpeg"]
    favored = [f"pool/HAPPY/{FAV}/f{n}h.jpeg" for n in range(2)] + [f"pool/HAPPY/{FAV}/f5v.jpeg"]
    rose = ["pool/HAPPY/rose/r0h.jpeg"]
    for n, key in enumerate(plain + favored + rose):
        plant(key, f"2026-01-01T00:00:{n:02d}Z")
    flagged = f"pool/HAPPY/{FAV}/f7h.jpeg"
    plant(flagged, "2026-01-01T00:01:00Z", moderation=MARK)
    plant("pool/SAD/sh.jpeg")
    plant("emotions/HAPPY/gh.jpeg")
    return {"plain": plain, "favored": favored, "rose": rose, "flagged": [flagged]}


def keys_of(page: dict) -> list[str]:
    return [i["key"] for i in page["landscape"] + page["portrait"]]


def test_the_pool_page_filters_by_favorite_and_says_its_whole_size(client):
    made = fill()
    status, page = call(client, "GET", f"/pool?emotion=HAPPY&favorite={quote(FAV)}&limit=1")
    assert status == 200 and page["favorite"] == FAV and page["total"] == 4
    seen = keys_of(page)
    while page.get("cursor"):
        page = call(client, "GET", f"/pool?emotion=HAPPY&favorite={quote(FAV)}&limit=1"
                                   f"&cursor={page['cursor']}")[1]
        assert page["total"] == 4
        seen += keys_of(page)
    assert sorted(seen) == sorted(made["favored"] + made["flagged"])
    # the original kiosk's spelling, in any case, is the same filter
    _, same = call(client, "GET", f"/pool?emotion={quote('happy/Spring,Cloudy,Day')}")
    assert sorted(keys_of(same)) == sorted(seen) and same["total"] == 4
    _, whole = call(client, "GET", "/pool?emotion=HAPPY&limit=1")
    assert whole["total"] == 9 and "favorite" not in whole
    assert call(client, "GET", "/pool?emotion=HAPPY&favorite=tulip")[1]["total"] == 0
    assert call(client, "GET", "/pool?emotion=HAPPY&favorite=%21%21")[0] == 400


def test_the_whole_pool_leaves_out_and_counts_what_the_moderation_marked(client):
    made = fill()
    status, whole = call(client, "GET", f"/admin/whole-pool?emotion=happy&favorite={quote(FAV)}")
    assert status == 200
    assert sorted(whole["keys"]) == sorted(made["favored"]) and whole["count"] == 3
    assert (whole["marked"], whole["truncated"], whole["favorite"]) == (1, False, FAV)
    _, everything = call(client, "GET", "/admin/whole-pool?emotion=HAPPY")
    assert sorted(everything["keys"]) == sorted(made["plain"] + made["favored"] + made["rose"])
    assert everything["marked"] == 1 and "favorite" not in everything
    # landscape first, newest first within each
    assert everything["keys"][:3] == [made["rose"][0], made["favored"][1], made["favored"][0]]
    # acting on them leaves the marked one where it was
    assert call(client, "POST", "/pool/publish", {"keys": whole["keys"]})[1]["succeeded"] == 3
    _, after = call(client, "GET", f"/admin/whole-pool?emotion=HAPPY&favorite={quote(FAV)}")
    assert (after["keys"], after["marked"]) == ([], 1)
    assert context.current().store.exists(made["flagged"][0])
    for bad in ("/admin/whole-pool", "/admin/whole-pool?emotion=nope", "/admin/whole-pool?emotion=HAPPY&favorite=%21"):
        assert call(client, "GET", bad)[0] == 400
    assert call(client, "GET", "/admin/whole-pool?emotion=HAPPY", key=None)[0] == 401


def test_the_whole_pool_stops_at_its_most_and_says_so(client):
    fill()
    whole = curation.whole_pool(context.current().image_index, {"emotion": "HAPPY"}, most=5)
    assert whole["count"] == 5 and whole["truncated"] is True


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GARDEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GARDEN_DEMO", "0")
    context.rebuild()
    import app  # noqa: F401 - the index handler
    return tmp_path


def test_the_cli_acts_on_a_favorite_s_whole_pool_and_leaves_marked_images(data_dir, capsys):
    made = fill()
    assert run(["pool", "remove", "--all", "--emotion", "HAPPY", "--favorite", "Spring,Cloudy,Day",
                      "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert sorted(line.split("\t")[1] for line in out.splitlines()) == sorted(made["favored"])
    assert "1 image(s) the moderation marked stay in the pool" in err and "remove: 3 removed, 0 failed" in err
    index = context.current().image_index
    assert index.favorites("pool", "HAPPY") == {FAV: 1, "rose": 1}
    with pytest.raises(SystemExit, match="no image in that pool"):
        run(["pool", "publish", "--all", "--emotion", "HAPPY", "--favorite", "tulip",
             "--data-dir", str(data_dir)])


def test_the_published_garden_s_provenance_is_the_operator_s_only(client):
    plant("emotions/CALM/lotus/gh.jpeg", endpoint="painter:", width=64, height=48)
    status, page = call(client, "GET", "/pool?emotion=CALM&area=garden&favorite=lotus")
    assert status == 200 and page["total"] == 1
    item = page["landscape"][0]
    assert item["key"] == "emotions/CALM/lotus/gh.jpeg" and "signature=" not in item["url"]   # public link
    assert item["provenance"]["prompt"] == "A flower, test" and item["provenance"]["seed"] == 7
    assert item["provenance"]["endpoint"] == "painter:"
    assert call(client, "GET", "/pool?emotion=CALM&area=garden", key=None)[0] == 401
    assert call(client, "GET", "/pool?emotion=CALM&area=text2image")[0] == 400
    # the visitors' garden carries none of it, with the admin key or without
    for key in (None, "test-admin-key-0123456789"):
        _, garden = call(client, "GET", "/garden?emotion=CALM&order=rank", key=key)
        shown = garden["landscape"] + garden["portrait"]
        assert [i["key"] for i in shown] == ["emotions/CALM/lotus/gh.jpeg"]
        assert not any({"provenance", "prompt", "seed", "endpoint"} & set(i) for i in shown)
