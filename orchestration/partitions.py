"""Partitions: daily for ingestion and the warehouse, monthly for payouts."""

import os

from dagster import DailyPartitionsDefinition, MonthlyPartitionsDefinition

# The first day a deployment has data for; an operator sets it to its history's start.
FIRST_DAY = os.environ.get("IGW_FIRST_DAY", "2025-01-01")

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
monthly_partitions = MonthlyPartitionsDefinition(start_date=FIRST_DAY[:8] + "01", timezone="UTC")
