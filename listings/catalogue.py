"""The seed waste catalogue (listings/data/): 32 streams with codes, CO2e factors and the sources behind them.

Used by the data migration and by tests; staff correct the catalogue in the admin afterwards.
"""

import csv
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read_rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_catalogue(category_model, source_model) -> None:
    """Create or update the sources and categories from the CSV files (idempotent)."""
    sources = {}
    for row in read_rows("catalogue_sources.csv"):
        sources[row["key"]], _ = source_model.objects.update_or_create(
            key=row["key"], defaults={"title": row["title"], "status": row["status"]}
        )
    for row in read_rows("waste_categories.csv"):
        category_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_id": row["name_id"],
                "name_en": row["name_en"],
                "group": row["group"],
                "hazardous": row["hazardous"],
                "indonesian_code": row["indonesian_code"],
                "indonesian_code_source": sources.get(row["indonesian_code_source"]),
                "usual_unit": row["usual_unit"],
                "co2e_t_per_t": Decimal(row["co2e_t_per_t"]) if row["co2e_t_per_t"] else None,
                "co2e_route": row["co2e_route"],
                "co2e_source": sources.get(row["co2e_source"]),
            },
        )


def ensure_catalogue() -> None:
    """Seed the catalogue when it is empty (a flushed test database, a database restored without it)."""
    from .models import CatalogueSource, WasteCategory

    if not WasteCategory.objects.exists():
        seed_catalogue(WasteCategory, CatalogueSource)
