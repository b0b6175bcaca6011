"""Schemathesis over the served OpenAPI schema: no 5xx, and every answer conforms to the schema (status codes,
content types, JSON bodies). Bounded: a few dozen examples per operation, no deadline."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis (dev extra) is not installed")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.server.conftest import fake_opener, running  # noqa: E402

from studio.server.options import Limits, ServeOptions  # noqa: E402


@pytest.fixture(scope="module")
def api_schema():
    limits = Limits(max_body_bytes=1024 * 1024, max_pixels=1_000_000, max_side=2000, request_timeout_s=10,
                    workers=1, queue_depth=8)
    with running(ServeOptions(limits=limits), opener=fake_opener(), telemetry=True) as server:
        yield schemathesis.openapi.from_url(server.url + "/openapi.json")


# schemathesis.pytest.from_fixture trips over pytest 9 (it reads Function._nodeid); drive each operation's
# hypothesis strategy directly instead, which is what it does underneath.
OPERATIONS = [("POST", "/process"), ("POST", "/tiles"), ("GET", "/health"), ("GET", "/metrics"), ("GET", "/")]


@pytest.mark.parametrize("method,path", OPERATIONS)
def test_no_5xx_and_every_answer_fits_the_schema(api_schema, method, path):
    from hypothesis import given

    op = api_schema[path][method]

    # Every check but "schema-valid data is accepted": the schema says "binary", so most generated bodies are
    # rightly refused as not a picture (400), which that check would count as a failure.
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    @given(case=op.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate(timeout=30, excluded_checks=[positive_data_acceptance])

    run()


def test_the_schema_lists_exactly_these_operations(api_schema):
    ops = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert ops == set(OPERATIONS)
