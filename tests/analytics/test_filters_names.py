"""`Filters` takes the models' `Name` rule for its name filters: a NUL or an over-long name is refused.

A NUL in a filter would reach PostgreSQL, whose text cannot hold it (a DataError, not an empty
answer); the error names the field and says why.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tooltrack.analytics.filters import Filters
from tooltrack.models import MAX_NAME


@pytest.mark.parametrize("field", ["workflow_template", "phase", "tool"])
def test_a_nul_in_a_name_filter_is_refused_naming_the_field(field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Filters.model_validate({field: "Re\x00ad"})
    (error,) = caught.value.errors()
    assert error["loc"] == (field,) and error["type"] == "string_nul"
    assert "NUL" in error["msg"]


@pytest.mark.parametrize("field", ["workflow_template", "phase", "tool"])
def test_name_filters_keep_their_length_bound_and_take_good_names(field: str) -> None:
    with pytest.raises(ValidationError, match="at most 200 characters"):
        Filters.model_validate({field: "x" * (MAX_NAME + 1)})
    assert getattr(Filters.model_validate({field: "x" * MAX_NAME}), field) == "x" * MAX_NAME
    assert getattr(Filters.model_validate({field: "mcp__odd \ufffd tool"}), field) == "mcp__odd \ufffd tool"


def test_an_empty_template_still_means_task_logs_without_one() -> None:
    assert Filters(workflow_template="").workflow_template == ""
