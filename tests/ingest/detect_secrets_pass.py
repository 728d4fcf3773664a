"""detect-secrets 1.5 as a redaction pass: the maintained scanner tooltrack's patterns are measured against.

Used by `test_redaction_scanner.py` and `bench/bench_redaction.py` (a dev dependency, never loaded
by tooltrack itself: see docs/security.md for why it is not a second pass at run time). Every
plugin of the library with its default filters, run by its ad hoc entry point `scan_line` on each
line of a text. Its entropy plugins report every word of their alphabet on an ad hoc scan and
leave the limit to the caller: a value counts when its entropy is above the plugin's limit, as
`detect-secrets scan --string` marks it "True".
"""

from __future__ import annotations

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_line
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.settings import get_plugins, get_settings

from tooltrack.core import MARKER

# What `detect_secrets.settings.default_settings()` enables (every plugin), set once for the process.
KINDS: list[type] = list(get_mapping_from_secret_type_to_class().values())
get_settings().configure_plugins([{"name": kind.__name__} for kind in KINDS])
PLUGINS = {plugin.secret_type: plugin for plugin in get_plugins()}


def secrets_in(text: str) -> set[str]:
    """The secret values detect-secrets finds in `text`."""
    found: set[str] = set()
    for line in text.splitlines():
        for secret in scan_line(line):
            plugin, value = PLUGINS[secret.type], secret.secret_value
            if not value:
                continue
            if (
                isinstance(plugin, HighEntropyStringsPlugin)
                and plugin.calculate_shannon_entropy(value) <= plugin.entropy_limit
            ):
                continue
            found.add(value)
    return found


def redact(text: str) -> str:
    """`text` with every value detect-secrets finds replaced by `MARKER` (longest first)."""
    for value in sorted(secrets_in(text), key=len, reverse=True):
        text = text.replace(value, MARKER)
    return text
