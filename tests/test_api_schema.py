"""The API against its own OpenAPI document, fuzzed with schemathesis.

An app on the small election (SQLite: one backend is enough for fuzzing)
with actas of every kind and one published bulletin. Every operation but the
live streams (/events and /timeline/events never end) gets generated requests, valid and not;
each response must be no server error, carry a documented status code and
content type, and match the documented schema. Requests carry an admin
token, so that every write is exercised past its token check.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from escrutinio.intake.actas import Record
from escrutinio.services import ingest_records, init_election, open_store, publish_bulletin
from escrutinio.services.tokens import create_token
from escrutinio.settings import load_settings
from escrutinio.web.app import create_app

from .factory import acta, small_election

OPENAPI = "/api/v1/openapi.json"
EXAMPLES = int(os.environ.get("ESCRUTINIO_FUZZ_EXAMPLES", "30"))  # per operation; more for a longer hunt
# schemathesis's defaults for the two checks configured below (schemathesis 4)
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
NEGATIVE = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]


def _seeded_app(url: str):
    store = open_store(url)
    init_election(store, small_election())
    records = [acta("T1"), acta("T1", "R", blank=5), acta("T2", votes={"YES": 10, "NO": 5}),
               acta("T3", cast=1000), acta("T5"), acta("T5", votes={"YES": 59, "NO": 41}), acta("T6")]
    ingest_records(store, [Record("seed", n, r) for n, r in enumerate(records, 1)])
    publish_bulletin(store)
    admin = create_token(store, "fuzzer", "admin")[1]
    # No rate limit here: the fuzzer sends far more than a reader would (tests/test_api.py tests the limit).
    return store, create_app(load_settings(database_url=url, max_body_bytes=20_000, rate_limit_per_second=0),
                             store), admin


# Two statuses the checks' defaults do not expect, both documented for POST /actas and right there:
# - 422 for a schema-valid acta: the schema gives the shape of an acta, but only the election knows
#   its tables, contests and options, so {"table": "0", ...} has the shape and still breaks a rule;
# - 413 for any body over max_body_bytes (a setting, which no schema can state; kept small here so
#   that it is exercised), and for a batch of more than 10,000 actas (the schema's maxItems).
# - 400 for a schema-valid SMS webhook body: the schema says "a form or a JSON object", but only a
#   body with the gateway's own fields is a message (the others are refused, nothing stored).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"operations": [{
    "include-path-regex": "^/api/v1/sms/", "include-method": "POST",
    "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, "400", "413"]},
               "negative_data_rejection": {"expected-statuses": [*NEGATIVE, "413"]}}}, {
    "include-path": "/api/v1/actas", "include-method": "POST",
    "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE, "413", "422"]},
               "negative_data_rejection": {"expected-statuses": [*NEGATIVE, "413"]}}}]})

# Writes whose rules reach beyond what a schema can say, answered 422 naming the problem: only the election
# knows its tables, contests and options (actas) and its places (incidents); a claim has a grammar of its own;
# an entry needs a text or a media link (one of two optional fields); releasing a bulletin before the
# publication policy allows (override) needs a reason (one optional field that another makes required).
RULES_BEYOND_THE_SCHEMA = {"POST /api/v1/actas", "POST /api/v1/incidents", "POST /api/v1/claims",
                           "POST /api/v1/timeline/entries", "POST /api/v1/bulletins"}

# schemathesis reads the document when the module is collected (its lazy, fixture-based loader does
# not work with the installed pytest), so the app is built here, in a directory removed at the end.
_WHERE = tempfile.TemporaryDirectory(prefix="escrutinio-schema-")
STORE, APP, ADMIN = _seeded_app(f"sqlite:///{Path(_WHERE.name) / 'escrutinio.db'}")
STREAMS = ["/api/v1/events", "/api/v1/timeline/events"]  # live streams never end: documented, not fuzzed
schema = schemathesis.openapi.from_asgi(OPENAPI, APP, config=CONFIG).exclude(path=STREAMS)


@pytest.fixture(scope="module", autouse=True)
def _clean_up():
    yield
    STORE.close()
    _WHERE.cleanup()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):
    """With an admin token, so that every write is exercised past its token check."""
    response = case.call(headers={"Authorization": f"Bearer {ADMIN}"})
    beyond = f"{case.method.upper()} {case.path}" in RULES_BEYOND_THE_SCHEMA and response.status_code == 422
    case.validate_response(response, excluded_checks=[positive_data_acceptance] if beyond else [])


def test_the_live_stream_is_documented_but_not_fuzzed():
    with TestClient(APP) as client:
        paths = client.get(OPENAPI).json()["paths"]
    for stream in STREAMS:
        assert "text/event-stream" in paths[stream]["get"]["responses"]["200"]["content"]


def test_every_error_is_documented_as_problem_details():
    with TestClient(APP) as client:
        doc = client.get(OPENAPI).json()
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "{" in path:
                assert {"404", "422"} <= set(responses), (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400 and not (path.endswith("/actas") and status == "409"):
                    assert response["content"] == {"application/problem+json": {"schema": {
                        "$ref": "#/components/schemas/Problem"}}}, (method, path, status)
    csv_ok = doc["paths"]["/api/v1/bulletins/{number}/csv"]["get"]["responses"]["200"]["content"]
    assert list(csv_ok) == ["text/csv"]
    body = doc["paths"]["/api/v1/actas"]["post"]["requestBody"]
    assert body["required"] and "application/json" in body["content"]
