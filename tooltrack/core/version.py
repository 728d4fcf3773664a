"""tooltrack's version, in one place (the package's `__version__`, the API's OpenAPI document)."""

from typing import Final

VERSION: Final = "0.1.0"
