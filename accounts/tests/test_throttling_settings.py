"""Throttling settings fail loudly: a limit of 0 would lock everyone out, or let everyone through."""

import pytest

from medly.tests.test_production_settings import run_manage


@pytest.mark.parametrize(
    "name",
    [
        "AXES_FAILURE_LIMIT",
        "AXES_IP_FAILURE_LIMIT",
        "LOGIN_ACCOUNT_INTERVAL_SECONDS",
        "SIGNUPS_PER_HOUR_PER_ADDRESS",
        "PASSWORD_RESETS_PER_HOUR_PER_ADDRESS",
        "PASSWORD_RESETS_PER_HOUR_PER_EMAIL",
    ],
)
def test_a_throttling_limit_below_one_refuses_to_start(name):
    result = run_manage("check", **{name: "0"})

    assert result.returncode != 0
    assert f"{name} must be 1 or more" in result.stderr
