"""The operator's overview: per emotion, the best and least liked images by like-rate."""
from __future__ import annotations

import json

from chalicelib import garden
from chalicelib.web import context
from tests.images import jpeg

ADMIN = {"x-api-key": "overview-test-key"}


def test_the_overview_names_the_best_and_least_liked_by_rate_with_impressions(client, monkeypatch):
    monkeypatch.setenv("GARDEN_ADMIN_KEY", ADMIN["x-api-key"])
    context.forget()
    store, index = context.current().store, context.current().engagement
    # likes per 20 impressions; "fresh" was seen too little to be judged; "famous" has the most
    # likes but the lowest rate (shown 200 times)
    plan = {"a": (20, 15), "b": (20, 9), "c": (20, 5), "d": (20, 3), "e": (20, 1), "fresh": (4, 4),
            "famous": (200, 20)}
    for name, (seen, likes) in plan.items():
        key = f"emotions/HAPPY/{name}h.jpeg"
        store.put(key, jpeg())
        for v in range(seen):
            body = {"id": f"{name}-{v}", "itemIds": [key], "context": {"generation": "adult"}}
            garden.impressions(index, body)
            if v < likes:
                garden.like(index, {"id": f"{name}-{v}", "itemId": key})
    response = client.http.get("/admin/overview", headers=ADMIN)
    assert response.status_code == 200
    rows = {r["emotion"]: r for r in json.loads(response.body)["emotions"]}
    loved = rows["HAPPY"]["loved"]
    assert [i["key"].split("/")[-1] for i in loved["best"]] == ["ah.jpeg", "bh.jpeg", "ch.jpeg"]
    assert [i["key"].split("/")[-1] for i in loved["least"]] == ["eh.jpeg", "famoush.jpeg", "dh.jpeg"]
    assert loved["best"][0] == {"key": "emotions/HAPPY/ah.jpeg", "likeRate": 0.75, "likes": 15,
                                "impressions": 20, "favorite": None,
                                "url": "http://127.0.0.1:8000/emotions/HAPPY/ah.jpeg"}
    assert loved["least"][1]["impressions"] == 200 and loved["least"][1]["likes"] == 20
    assert loved["judged"] == 6 and loved["judgedAfter"] == 10
    assert rows["SAD"]["loved"] == {"best": [], "least": [], "judged": 0, "judgedAfter": 10}
