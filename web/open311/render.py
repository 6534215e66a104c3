"""JSON and XML bodies the way GeoReport v2 shapes them (arrays; XML root elements per the spec)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse


def _to_xml(parent: ET.Element, key: str, value: Any, list_item: dict[str, str]) -> None:
    if isinstance(value, list):
        holder = ET.SubElement(parent, key)
        for entry in value:
            _to_xml(holder, list_item.get(key, "item"), entry, list_item)
    elif isinstance(value, dict):
        node = ET.SubElement(parent, key)
        for k, v in value.items():
            _to_xml(node, k, v, list_item)
    else:
        node = ET.SubElement(parent, key)
        if isinstance(value, bool):
            node.text = "true" if value else "false"
        elif value is not None:
            node.text = str(value)


def respond(
    data: Any, fmt: str, *, root: str, item: str = "", list_item: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    """``data`` is a list (each entry becomes ``<item>`` under ``<root>``) or a dict (children of ``<root>``)."""
    if fmt == "json":
        return HttpResponse(
            json.dumps(data, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
        )
    top = ET.Element(root)
    mapping = list_item or {}
    if isinstance(data, list):
        for entry in data:
            _to_xml(top, item, entry, mapping)
    else:
        for key, value in data.items():
            _to_xml(top, key, value, mapping)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def error(fmt: str, status: int, description: str = "", *, errors: list[tuple[int, str]] | None = None) -> HttpResponse:
    """The spec's error array: [{"code", "description"}] / <errors><error><code/><description/></error></errors>."""
    items = [{"code": code, "description": text} for code, text in (errors or [(status, description)])]
    return respond(items, fmt if fmt in {"json", "xml"} else "json", root="errors", item="error", status=status)
