"""Tests land generated operators without vendors: see ingestion.generator.publish."""

from ingestion.generator.publish import land_published, publication_days

__all__ = ["land_published", "publication_days"]
