"""The q language and @context term maps, without HTTP."""

import pytest

from cctwin.ngsi.context import DEFAULT_VOCAB, ContextStore, link_context
from cctwin.ngsi.entities import parse_entity
from cctwin.ngsi.problems import NgsiError
from cctwin.ngsi.query import parse_geo, parse_q

TERMS = ContextStore().terms(None)
ENTITY = parse_entity(
    {
        "id": "urn:ngsi-ld:Sensor:1",
        "type": "Sensor",
        "level": {
            "type": "Property",
            "value": 42.5,
            "observedAt": "2026-12-06T01:00:00Z",
            "quality": {"type": "Property", "value": "good"},
        },
        "address": {"type": "Property", "value": {"district": "Mapo", "dong": "Gongdeok"}},
        "tags": {"type": "Property", "value": ["river", "bridge"]},
        "online": True,
        "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Org:seoul"},
        "location": {"type": "Point", "coordinates": [126.95, 37.54]},
    },
    TERMS,
)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("level>40", True),
        ("level>=42.5;level<=42.5", True),
        ("level!=42.5", False),
        ("level==40..50", True),
        ("level==1,2,42.5", True),
        ("(level<10|online==true);owner==urn:ngsi-ld:Org:seoul", True),
        ("level<10|online==false", False),
        ('level.quality=="good"', True),
        ("level.observedAt>2026-12-06T00:00:00Z", True),
        ('address[district]=="Mapo"', True),
        ('address[district]=="Jung"', False),
        ('tags=="bridge"', True),
        ("address[dong]~=Gong.*", True),
        ("address[dong]!~=^Gong", False),
        ("missing", False),
        ("level", True),
        ("missing==1|level==42.5", True),
    ],
)
def test_q(q: str, expected: bool) -> None:
    assert parse_q(q, TERMS)(ENTITY) is expected


@pytest.mark.parametrize("q", ["", "level==", "(level==1", "level==1)", "level>>1", "==1", "a[b"])
def test_malformed_q_is_bad_request_data(q: str) -> None:
    with pytest.raises(NgsiError) as error:
        parse_q(q, TERMS)
    assert error.value.problem.status == 400


def test_geo_relations() -> None:
    square = "[[[126.9,37.5],[127.0,37.5],[127.0,37.6],[126.9,37.6],[126.9,37.5]]]"
    assert parse_geo("within", "Polygon", square, "location", TERMS)(ENTITY)
    assert parse_geo("intersects", "Polygon", square, "location", TERMS)(ENTITY)
    assert not parse_geo("disjoint", "Polygon", square, "location", TERMS)(ENTITY)
    assert parse_geo("near;minDistance==500", "Point", "[126.96, 37.54]", "location", TERMS)(ENTITY)
    assert not parse_geo("near;maxDistance==800", "Point", "[126.96, 37.54]", "location", TERMS)(
        ENTITY
    )
    with pytest.raises(NgsiError):
        parse_geo("near", "Point", "[126.96, 37.54]", "location", TERMS)
    with pytest.raises(NgsiError):
        parse_geo("within", "Polygon", "not json", "location", TERMS)


def test_terms_expand_and_compact() -> None:
    user = ContextStore().terms(
        [{"level": "https://example.org/waterLevel", "ex": "https://example.org/"}]
    )
    assert user.expand("level") == "https://example.org/waterLevel"
    assert user.expand("ex:flow") == "https://example.org/flow"
    assert user.expand("other") == DEFAULT_VOCAB + "other"
    assert user.expand("location") == "https://uri.etsi.org/ngsi-ld/location"
    assert user.compact("https://example.org/waterLevel") == "level"
    assert user.compact("https://example.org/flow") == "ex:flow"
    assert TERMS.compact("https://example.org/waterLevel") == "https://example.org/waterLevel"


def test_preloaded_context_is_never_fetched(tmp_path) -> None:  # type: ignore[no-untyped-def]
    document = tmp_path / "ctx.jsonld"
    document.write_text('{"@context": {"level": "https://example.org/waterLevel"}}')
    store = ContextStore({"https://offline.example/ctx.jsonld": document})
    assert (
        store.terms("https://offline.example/ctx.jsonld").expand("level")
        == "https://example.org/waterLevel"
    )


def test_unreachable_remote_context_is_503() -> None:
    store = ContextStore(fetch_timeout_s=0.5)
    with pytest.raises(NgsiError) as error:
        store.terms("http://127.0.0.1:9/ctx.jsonld")
    assert error.value.problem.status == 503


def test_link_header() -> None:
    link = '<https://x/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    assert link_context(link) == "https://x/ctx.jsonld"
    assert link_context('<https://x/a>; rel="next"') is None
