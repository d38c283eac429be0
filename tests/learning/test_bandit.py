"""The learned order's sampler (chalicelib/rules/bandit.py), seeded."""
from __future__ import annotations

import random

import pytest

from chalicelib.rules.bandit import (
    ALL,
    K_SEGMENT,
    WARM_UP,
    Counts,
    draw,
    emotion_prior,
    image_rate,
    segment_of,
    segments,
    thompson_order,
)


def test_segments_name_only_what_the_visit_told():
    assert segment_of() is None and segments(None) == (ALL,)
    assert segment_of("adult") == "g=adult"
    assert segment_of("adult", "rose", "female") == "g=adult|f=rose|s=female"
    assert segments("g=child") == (ALL, "g=child")


def test_the_same_seed_gives_the_same_order_and_another_seed_another():
    keys = [f"k{n}" for n in range(30)]
    first = thompson_order(keys, {}, None, random.Random(1))
    assert first == thompson_order(keys, {}, None, random.Random(1))
    assert sorted(first) == sorted(keys)
    assert first != thompson_order(keys, {}, None, random.Random(2))


def test_a_like_rate_wins_not_a_like_count():
    # "popular" has more likes but was shown 50 times as often: its rate is far lower
    counters = {"popular": {ALL: Counts(1000, 50)}, "gem": {ALL: Counts(20, 10)}}
    firsts = [thompson_order(["popular", "gem"], counters, None, random.Random(s))[0]
              for s in range(200)]
    assert firsts.count("gem") > 190


def test_a_new_image_takes_the_warm_up_place_until_it_has_been_seen_enough():
    counters = {"good": {ALL: Counts(200, 60)}, "dud": {ALL: Counts(200, 2)},
                "newer": {ALL: Counts(3, 0)}}
    for seed in range(50):   # the least seen of those short of WARM_UP leads
        assert thompson_order(["good", "dud", "new", "newer"], counters, None,
                              random.Random(seed))[0] == "new"
    counters["new"] = {ALL: Counts(WARM_UP, 0)}
    assert {thompson_order(["good", "new", "newer"], counters, None, random.Random(s))[0]
            for s in range(50)} == {"newer"}


def test_once_warm_a_seen_dud_sinks_and_an_unproven_image_gets_a_fair_chance():
    counters = {"good": {ALL: Counts(200, 60)}, "dud": {ALL: Counts(200, 2)},
                "unproven": {ALL: Counts(WARM_UP, 3)}}
    firsts = [thompson_order(["good", "dud", "unproven"], counters, None, random.Random(s))[0]
              for s in range(1000)]
    assert firsts.count("dud") == 0
    assert 50 < firsts.count("unproven") < 700   # a fair chance, not a takeover


def test_an_image_loved_by_one_generation_rises_for_it_only():
    counters = {
        "teen-favourite": {ALL: Counts(400, 50), "g=teenager": Counts(100, 45)},   # all warm
        "steady": {ALL: Counts(400, 100), "g=teenager": Counts(100, 25)},
    }
    def share(segment, data=counters):
        return sum(thompson_order(["teen-favourite", "steady"], data, segment,
                                  random.Random(s))[0] == "teen-favourite" for s in range(300))
    assert share("g=teenager") > 280
    # for elders (no data of their own) it backs off to the image's rate elsewhere (5 likes
    # in 300): it mostly loses, but is still tried now and then …
    assert 0 < share("g=elder") < 60
    # … until the elders' own impressions say it is not theirs either
    counters["teen-favourite"]["g=elder"] = Counts(40, 0)
    counters["steady"]["g=elder"] = Counts(40, 10)
    assert share("g=elder") < 5


def test_back_off_uses_the_other_segments_then_the_emotions_prior():
    prior = emotion_prior([Counts(100, 30), Counts(100, 10)])
    assert prior == pytest.approx(41 / 202)
    # no data at all: the emotion's prior
    assert image_rate(Counts(), Counts(), prior) == pytest.approx(prior)
    # the segment's own counts are left out of the image's rate (no double counting)
    everyone, own = Counts(110, 11), Counts(10, 10)
    assert image_rate(everyone, own, prior) == pytest.approx((1 + 6 * prior) / (100 + 6))
    # likes before impressions (a fast like: the like arrived, its impression not yet): each
    # like counts as seen, so the image has three successes and no failure — never a
    # negative failure count — and draws exactly as one seen three times and liked three times
    early, settled = Counts(0, 3), Counts(3, 3)
    assert early.seen == 3 and early.rate() == 1.0
    for seed in range(20):
        assert draw(early, early, prior, random.Random(seed)) == \
            draw(settled, settled, prior, random.Random(seed))
    assert image_rate(Counts(2, 5), Counts(0, 3), prior) == \
        image_rate(Counts(5, 5), Counts(3, 3), prior)


def test_draws_follow_the_beta_posterior_mean():
    rng = random.Random(5)
    own = Counts(1000, 300)   # no other segment: the back-off is the prior, 0.5
    mean = sum(draw(own, own, 0.5, rng) for _ in range(2000)) / 2000
    assert mean == pytest.approx((300 + K_SEGMENT * 0.5) / (1000 + K_SEGMENT), abs=0.01)
    assert mean < 0.33
