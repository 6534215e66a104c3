"""Formatting for the public statistics and the reports: rates as percentages, bar widths."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """0.9861 → "98.6%"; None (no denominator) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def width(value: float | int | None, whole: float | int = 1) -> str:
    """A bar's length in whole percent, value ÷ whole clamped to 0–100, for the .w-N / .h-N
    classes of public.css (the Content-Security-Policy allows no style="..." attributes)."""
    if not value or not whole:
        return "0"
    return str(round(max(0.0, min(100.0, float(value) / float(whole) * 100))))


@register.filter
def get(mapping: dict, key: str) -> object:
    return mapping.get(key, 0) if isinstance(mapping, dict) else ""
