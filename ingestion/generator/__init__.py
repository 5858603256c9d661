"""A deterministic simulated operator: every source entity of the landing contract."""

from ingestion.generator.operator import OperatorData, generate_operator, without_invalid_records
from ingestion.generator.truth import write_ground_truth

__all__ = ["OperatorData", "generate_operator", "without_invalid_records", "write_ground_truth"]
