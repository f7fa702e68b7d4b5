"""Rules for the suite itself: no async test may depend on pytest-tornado's 5-second default, or
on a short timeout of its own (a loaded CI machine makes honest tests slow)."""
import os

import pytest

from tests.conftest import SUITE_ASYNC_TIMEOUT


def test_every_async_test_has_the_generous_timeout(request):
    if os.environ.get("ASYNC_TEST_TIMEOUT"):
        pytest.skip("ASYNC_TEST_TIMEOUT is set for this run")
    from pytest_tornado.plugin import _timeout

    short = sorted({item.nodeid.split("[")[0] for item in request.session.items
                    if item.get_closest_marker("gen_test") and _timeout(item) < SUITE_ASYNC_TIMEOUT})
    assert not short, (f"async tests with a timeout under {SUITE_ASYNC_TIMEOUT:.0f} s (drop the explicit "
                       f"gen_test(timeout=...) and wait on conditions): {', '.join(short)}")
