"""Property 4, Staging Validation: a production deploy of a version succeeds iff that exact version
passed staging.

Random sequences of builds (a tag may be rebuilt: same tag, another repository digest stands in as
another repository name), staging integration outcomes recorded as CD records them, and production
deploy attempts. The gate (`promotion.gate`, what `infra deploy --env prod` calls before touching
anything) reads the records from SSM (moto, in process); the oracle is a plain dict of the newest
outcome per tag. The CLI path of the same gate runs in tests/integration/test_deploy.py.
"""

from __future__ import annotations

import boto3
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.deploy import promotion
from deployment_infra.deploy.images import Image
from deployment_infra.deploy.service import ServiceRef

STAGING = ServiceRef("ngapp", "staging", "api", "af-south-1")
TAGS = ["3f2a9c1", "3f2a9c2", "v1.2.0", "v1.2.1"]
REPOSITORIES = ["ngapp/api", "ngapp/api-rebuilt"]

images = st.builds(Image, st.sampled_from(REPOSITORIES), st.sampled_from(TAGS))
events = st.lists(
    st.one_of(
        st.tuples(st.just("staging"), images, st.sampled_from(promotion.RESULTS)),
        st.tuples(st.just("prod"), images, st.none()),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(events)
def test_prod_deploy_succeeds_iff_that_exact_version_passed_staging(
    sequence: list[tuple[str, Image, str | None]],
) -> None:
    with mock_aws():
        ssm = boto3.client("ssm", region_name=STAGING.region)
        newest: dict[str, tuple[str, str]] = {}  # tag -> (image reference, outcome) of the newest record
        for kind, image, outcome in sequence:
            if kind == "staging":
                assert outcome is not None
                promotion.record(ssm, STAGING, image, outcome=outcome, actor="property")
                newest[image.tag] = (image.reference, outcome)
                continue
            refused = promotion.gate(ssm, STAGING, image)
            expected_allowed = newest.get(image.tag) == (image.reference, promotion.PASSED)
            assert (refused is None) == expected_allowed, (image, newest, refused)
