"""Load the organisation (departments, categories, reject reasons) from the district JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import Category, Department, RejectReason


@transaction.atomic
def load_district(path: Path | None = None) -> dict[str, int]:
    """Create or update every row from the file; idempotent. Returns counts per table."""
    data = json.loads(Path(path or settings.SEED_DATA_PATH).read_text(encoding="utf-8"))
    depts: dict[str, Department] = {}
    for row in data["departments"]:
        dept, _ = Department.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row.get("name_en", ""),
                "is_dispatch": bool(row.get("dispatch", False)),
                "parent": depts.get(row.get("parent") or ""),
            },
        )
        depts[dept.code] = dept
    cats: dict[str, Category] = {}
    for row in data["categories"]:
        cat, _ = Category.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row.get("name_en", ""),
                "parent": cats.get(row.get("parent") or ""),
                "default_department": depts.get(row.get("department") or ""),
                "kinds": row.get("kinds", []),
            },
        )
        cats[cat.code] = cat
    for row in data["reject_reasons"]:
        RejectReason.objects.update_or_create(
            code=row["code"], defaults={"name_zh": row["name_zh"], "name_en": row.get("name_en", "")}
        )
    return {"departments": len(depts), "categories": len(cats), "reject_reasons": len(data["reject_reasons"])}
