"""The text parameters of GET requests (path and query), refused like the body's text fields.

Every text a read sends into SQL (a run's adw_id, the tool / phase / template filters) takes the
models' own rules (`RequiredName`, `Name`: length bound, no NUL), so a NUL in a URL is a 422
naming the parameter on both databases instead of a 500 from PostgreSQL, whose text cannot hold
U+0000. Lone surrogates cannot arrive here: URLs are decoded with replacement characters.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from tooltrack.models import Name, RequiredName

#: A workflow run's id in the URL path: `/redundancy/{adw_id:path}`. The route takes the rest of the
#: path, so an id with `/` (`feat/issue-42`) is one id, sent as it is or as `feat%2Fissue-42` (the
#: server decodes `%2F` before routing: with a plain `{adw_id}` either form was a 404).
AdwIdPath = Annotated[
    RequiredName, Path(description="The workflow run (adw_id); it may contain `/`, as it is or as `%2F`.")
]
#: A workflow run's id in the query string: `?adw_id=…`.
AdwIdQuery = Annotated[RequiredName, Query(description="The workflow run (adw_id).")]
#: An optional name filter in the query string (tool, phase, workflow template).
NameQuery = Annotated[Name | None, Query()]
