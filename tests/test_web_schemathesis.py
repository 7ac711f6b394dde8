"""Property-based API tests: schemathesis generates requests from /openapi.json (valid ones and
deliberately invalid ones) and sends them with an analyst's token; no operation may answer
with a 5xx. Driven through hypothesis directly, a bounded number of examples per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from web_helpers import BACKENDS, app_for, bearer, database, seed

EXAMPLES = 20


@pytest.fixture(scope="module", params=BACKENDS)
def api_env(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    with database(request.param, folder) as db:
        store = seed(folder, n_ads=30, db=db)
        app = app_for(store, max_body_bytes=256 * 1024)
        headers = bearer(store, "ana")
        yield schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers), headers
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_5xx(api_env, mode) -> None:
    schema, headers = api_env
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4  # the push API's four, and the alert desk's
    seen: set[int] = set()

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:
            response = case.call(headers=headers)
            seen.add(response.status_code)
            assert response.status_code < 500, (case.method, case.formatted_path,
                                                 response.text[:300])

        try:
            call()
        except Unsatisfiable:
            # an operation with nothing to make invalid (no parameters, an XML body)
            assert mode == GenerationMode.NEGATIVE, operation
    # the requests really reached the app: accepted ones, or refused with a reason
    assert seen & ({200} if mode == GenerationMode.POSITIVE else {404, 413, 422}), seen
