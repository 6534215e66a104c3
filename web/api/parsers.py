"""The API reads JSON only; a body that cannot be parsed is a 400, never a 500."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:  # absurdly nested arrays/objects; json raises this, not ValueError
            raise ParseError("JSON parse error - nested too deeply") from None
