"""The take-home page and its QR code through Chalice's test client, on the local stack: the
page for a garden image (Open Graph tags, no prompt, the favorite in words, credit line, both
languages), the
original's /image?content= form, and 404 for anything that is not a published garden image."""
from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
import segno

from chalicelib.web import context
from tests.images import jpeg
from tests.stacks import threaded_server

PUBLIC = "http://127.0.0.1:8000"   # the settings' default public URL
CRAFT = ", trending on artstation, 8 k, highly detailed, octane render"
HOSTILE_PROMPT = '<script>alert("x")</script> & \'quoted\' "rose" <img src=x onerror=alert(1)>'


class Parsed(HTMLParser):
    """The tags and the text of each data-field of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.fields: dict[str, str] = {}
        self._field: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if "data-field" in attributes:
            self._field = attributes["data-field"]
            self.fields[self._field] = ""

    def handle_endtag(self, tag):
        if tag in ("dd", "p"):
            self._field = None

    def handle_data(self, data):
        if self._field:
            self.fields[self._field] += data

    def meta(self, name: str) -> str | None:
        return next((a.get("content") for t, a in self.tags
                     if t == "meta" and name in (a.get("property"), a.get("name"))), None)

    def find(self, tag: str, **wanted: str) -> dict[str, str] | None:
        return next((a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in wanted.items())), None)


def plant(key: str, **prov) -> None:
    context.current().store.put(key, jpeg(prov={"prompt": "a rose at dawn", "createdAt": "2026-03-01T10:00:00Z",
                                          "endpoint": "painter:", **prov}))


def get(client, path: str, **headers):
    response = client.http.get(path, headers=headers)
    return response.status_code, response.headers, (response.body or b"").decode("utf-8")


def test_the_page_of_a_garden_image(client):
    plant("emotions/HAPPY/rose/ah.jpeg", prompt=HOSTILE_PROMPT + CRAFT, width=1280, height=800)
    status, headers, html = get(client, "/share/HAPPY/rose/ah")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = Parsed(html)
    # Open Graph and Twitter cards, absolute URLs on the public URL
    assert page.meta("og:url") == f"{PUBLIC}/share/HAPPY/rose/ah"
    assert page.meta("og:image") == f"{PUBLIC}/emotions/HAPPY/rose/ah.jpeg"
    assert page.meta("og:type") == "website" and page.meta("twitter:card") == "summary_large_image"
    assert page.meta("og:image:width") == "1280" and page.meta("og:image:height") == "800"
    assert page.meta("twitter:image") == page.meta("og:image")
    assert "Happy" in page.meta("og:title") and "“Happy”" in page.meta("og:description")
    assert page.find("link", rel="canonical")["href"] == f"{PUBLIC}/share/HAPPY/rose/ah"
    # the page speaks to a visitor: the prompt and its craft words are nowhere, not even escaped
    assert "prompt" not in page.fields and "artstation" not in html.lower() and "alert" not in html
    assert not any(tag == "script" for tag, _ in page.tags)
    assert page.find("img", src="x") is None and "<script>" not in html
    assert page.fields["emotion"] == "Happy" and page.fields["favorite"] == "Rose"
    assert page.fields["made"] == "1 March 2026"
    assert page.find("time")["datetime"] == "2026-03-01T10:00:00.000Z"
    # the image, its download, the painter's credit, the page in the other language
    assert page.find("img", id="flower")["src"] == f"{PUBLIC}/emotions/HAPPY/rose/ah.jpeg"
    download = page.find("a", id="download")
    assert download["href"] == f"{PUBLIC}/emotions/HAPPY/rose/ah.jpeg" and download["download"].endswith(".jpeg")
    assert "procedural painter" in page.fields["credit"]
    assert page.find("a", id="other-language")["href"] == f"{PUBLIC}/share/HAPPY/rose/ah?lang=ko"
    # the pages' policy: styles from /css/ only, the security headers on the answer itself
    assert {a["href"] for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"} == \
        {"/css/base.css", "/css/share.css"}
    assert not any(t == "style" or "style" in a for t, a in page.tags)
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path, headers, language", [
    ("/share/SAD/bv?lang=ko", {}, "ko"),
    ("/share/SAD/bv", {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}, "ko"),
    ("/share/SAD/bv?lang=en", {"Accept-Language": "ko-KR"}, "en"),
    ("/share/SAD/bv", {"Accept-Language": "fr-FR,fr"}, "en"),
    ("/share/SAD/bv?lang=xx", {}, "en"),
])
def test_both_languages_by_lang_then_accept_language(client, path, headers, language):
    plant("emotions/SAD/bv.jpeg")
    status, answer, html = get(client, path, **headers)
    page = Parsed(html)
    assert status == 200 and page.find("html")["lang"] == language
    assert answer["Content-Language"] == language
    if language == "ko":
        assert page.fields["emotion"] == "슬픔" and page.fields["made"] == "2026년 3월 1일"
        assert page.meta("og:locale") == "ko_KR" and "감정 정원" in page.meta("og:title")
        assert "절차적 페인터" in page.fields["credit"]
    else:
        assert page.fields["emotion"] == "Sad" and page.meta("og:locale") == "en_US"


@pytest.mark.parametrize("language, favorite", [("en", "Spring · cloudy · day"), ("ko", "봄 · 흐림 · 낮")])
def test_the_favorite_in_words_and_one_name_for_the_garden(client, language, favorite):
    plant("emotions/CALM/spring,cloudy,day/ah.jpeg")
    _, _, html = get(client, f"/share/CALM/spring,cloudy,day/ah?lang={language}")
    page = Parsed(html)
    assert page.fields["favorite"] == favorite
    assert ("좋아하는 것" in html) == (language == "ko")
    assert "spring,cloudy,day" not in "".join(page.fields.values())
    # the installation's one Korean name, as the kiosk, desk, about and text-to-image pages say it
    assert "이모션 가든" not in html
    if language == "ko":
        assert html.count("감정 정원") >= 3 and "감정 정원" in page.fields["credit"]
    else:
        assert "Emotion Garden’s own procedural painter" in page.fields["credit"] and "'" not in page.fields["credit"]


@pytest.mark.parametrize("endpoint, expected", [
    ("sagemaker:garden-sd", "CreativeML Open RAIL-M"),
    ("sagemaker:garden-sdxl", "Open RAIL++-M"),
    ("bedrock:stability.sd3-5-large-v1:0", "Stability AI"),
    ("painter:", "procedural painter"),
])
def test_the_credit_line_follows_the_endpoint(client, endpoint, expected):
    plant("emotions/CALM/ah.jpeg", endpoint=endpoint)
    _, _, html = get(client, "/share/CALM/ah")
    assert expected in Parsed(html).fields["credit"]


def test_the_operators_credit_line_wins(client, monkeypatch):
    monkeypatch.setenv("GARDEN_CREDITS", '{"sagemaker:garden-": {"en": "Made on our own <b>SD</b>", '
                                         '"ko": "우리 SD로 만듦", "url": "https://example.org/l?a=1&b=2"}}')
    context.rebuild()
    plant("emotions/CALM/ah.jpeg", endpoint="sagemaker:garden-sdxl")
    _, _, html = get(client, "/share/CALM/ah")
    page = Parsed(html)
    assert page.fields["credit"].startswith("Made on our own <b>SD</b>")
    assert page.find("a", rel="license noopener noreferrer")["href"] == "https://example.org/l?a=1&b=2"
    assert "우리 SD로 만듦" in Parsed(get(client, "/share/CALM/ah?lang=ko")[2]).fields["credit"]


def test_the_public_url_makes_the_absolute_urls(client, monkeypatch):
    monkeypatch.setenv("GARDEN_PUBLIC_URL", "https://garden.example")
    context.rebuild()
    plant("emotions/HAPPY/spring,cloudy,day/img_3h.jpeg")
    _, _, html = get(client, "/share/HAPPY/spring,cloudy,day/img_3h")
    page = Parsed(html)
    assert page.meta("og:url") == "https://garden.example/share/HAPPY/spring,cloudy,day/img_3h"
    assert page.meta("og:image") == "https://garden.example/emotions/HAPPY/spring%2Ccloudy%2Cday/img_3h.jpeg"
    assert page.meta("og:image:secure_url") == page.meta("og:image")


@pytest.mark.parametrize("content", ["emotions/HAPPY/ah.jpeg", "/emotions/HAPPY/ah", "emotions/happy/ah.jpeg",
                                     "http://127.0.0.1:8000/emotions/HAPPY/ah.jpeg"])
def test_the_originals_image_page(client, content):
    plant("emotions/HAPPY/ah.jpeg")
    status, _, html = get(client, "/image?content=" + content.replace("/", "%2F").replace(":", "%3A"))
    page = Parsed(html)
    assert status == 200 and page.meta("og:url") == f"{PUBLIC}/share/HAPPY/ah"


def test_an_original_lower_case_key_keeps_its_own_path(client):
    plant("emotions/happy/img_1v.jpeg")
    _, _, html = get(client, "/image?content=emotions/happy/img_1v")
    assert Parsed(html).meta("og:url") == f"{PUBLIC}/share/happy/img_1v"
    assert get(client, "/share/happy/img_1v")[0] == 200
    assert get(client, "/share/HAPPY/img_1v")[0] == 404


def test_names_outside_the_plain_characters_are_shared_too(client):
    from chalicelib.rules.share import share_path
    key = "emotions/CALM/with cat/꽃 한 송이h.jpeg"
    plant(key)
    status, _, html = get(client, share_path(key))
    assert status == 200 and Parsed(html).meta("og:url") == PUBLIC + share_path(key)


NOT_SHAREABLE = [
    "/share/HAPPY/nothing-hereh", "/share/HAPPY/rose/nothing-hereh", "/share/HAPPY/ah.jpeg",
    "/share/POOL/ah", "/share/HAPPY/%00h", "/share/HAPPY/..", "/share/HAPPY/%2e%2e", "/share/HAPPY/" + "a" * 5000,
    "/share/HAPPY/%ED%A0%80h", "/share/HAPPY/~ZGVtby0xaA", "/image", "/image?content=",
    "/image?content=pool/HAPPY/ph.jpeg", "/image?content=imgPool/happy/ph.jpeg",
    "/image?content=text2image/job-1/0.jpeg", "/image?content=debug-photos/2026-01-01/v.jpeg",
    "/image?content=emotions/HAPPY/missingh.jpeg", "/image?content=emotions/HAPPY/%00h.jpeg",
    "/image?content=emotions/HAPPY/..%2Fah.jpeg", "/image?content=" + "a" * 5000,
    "/image?content=emotions/HAPPY/%ED%A0%80h.jpeg", "/image?content=../../etc/passwd",
]


@pytest.mark.parametrize("path", NOT_SHAREABLE)
def test_anything_but_a_published_garden_image_is_not_found(client, path):
    plant("pool/HAPPY/ph.jpeg")
    plant("text2image/job-1/0.jpeg")
    context.current().store.put("debug-photos/2026-01-01/v.jpeg", jpeg())
    status, headers, html = get(client, path)
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "not in the garden" in html and "<script" not in html


def test_a_removed_image_is_not_found(client):
    plant("emotions/FEAR/ah.jpeg")
    assert get(client, "/share/FEAR/ah")[0] == 200
    context.current().store.delete("emotions/FEAR/ah.jpeg")
    assert get(client, "/share/FEAR/ah")[0] == 404
    assert get(client, "/share/FEAR/ah/qr.svg")[0] == 404


def _svg(url: str) -> str:
    from chalicelib.web.share_page import qr_svg
    return qr_svg(url)


@pytest.mark.parametrize("key, path", [("emotions/HAPPY/ah.jpeg", "/share/HAPPY/ah"),
                                       ("emotions/HAPPY/rose/bv.jpeg", "/share/HAPPY/rose/bv")])
def test_the_qr_code_holds_the_share_url(client, key, path):
    plant(key)
    response = client.http.get(path + "/qr.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "immutable" in response.headers["Cache-Control"]
    body = response.body.decode()
    # segno draws the same symbol for the same text: the answer is the share URL's code ...
    expected = io.BytesIO()
    segno.make_qr(PUBLIC + path, error="m", boost_error=False).save(
        expected, kind="svg", scale=1, border=4, xmldecl=False, svgns=True, title="QR code",
        dark="#000", light="#fff", nl=False)
    assert body == expected.getvalue().decode() == _svg(PUBLIC + path)
    # ... and not another URL's
    assert body != _svg(PUBLIC + path + "x") and body.startswith("<svg") and "<script" not in body


@pytest.mark.parametrize("path", ["/share/HAPPY/missingh/qr.svg", "/share/HAPPY/rose/missingh/qr.svg",
                                  "/share/POOL/ph/qr.svg", "/share/HAPPY/%00/qr.svg"])
def test_no_qr_code_for_what_is_not_shareable(client, path):
    plant("pool/HAPPY/ph.jpeg")
    status, headers, _ = get(client, path)
    assert status == 404 and headers["Content-Type"].startswith("application/json")


@pytest.fixture
def origin():
    with threaded_server() as server:
        yield server.url


def test_the_local_server_answers_the_page_with_one_set_of_headers(origin):
    import http.client
    from urllib.parse import urlsplit
    plant("emotions/HAPPY/ah.jpeg")
    parts = urlsplit(origin)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/share/HAPPY/ah", headers={"Accept-Language": "ko"})
    response = conn.getresponse()
    html = response.read().decode()
    assert response.status == 200 and response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert len(response.headers.get_all("Content-Security-Policy")) == 1
    assert Parsed(html).meta("og:url") == f"{origin}/share/HAPPY/ah"      # the server's own address
    conn.request("GET", "/share/HAPPY/missingh")
    missing = conn.getresponse()
    assert missing.status == 404 and b"not in the garden" in missing.read()
    head = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)   # its own connection
    head.request("HEAD", "/share/HAPPY/ah/qr.svg")
    answer = head.getresponse()
    assert answer.status == 200 and answer.getheader("Content-Type").startswith("image/svg+xml")
    head.close()


@pytest.mark.parametrize("path", [
    "/share/%48APPY/demo%2D1h", "/share/HAPPY/demo%2D1h", "/share/HAPPY/%64emo-1h",
    "/share/%48APPY/demo-1h/qr.svg", "/share/HAPPY/demo-1h/qr%2Esvg", "/share/HAPPY/demo-1%68",
    "/share/happy/demo-1h", "/share/HAPPY/rose/demo%2D1h"])
def test_over_http_each_image_has_one_share_path(origin, path):
    # the README promises one path per key: another spelling of it is not found, so a page
    # and its QR code live at one address (one cache entry, one link to pass on)
    import http.client
    from urllib.parse import urlsplit
    plant("emotions/HAPPY/demo-1h.jpeg")
    plant("emotions/HAPPY/rose/demo-1h.jpeg")
    parts = urlsplit(origin)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/share/HAPPY/demo-1h")
        found = conn.getresponse()
        assert found.status == 200, found.read()
        found.read()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == 404, path
    finally:
        conn.close()
