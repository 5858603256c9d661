"""A deterministic simulated operator: every source entity of the landing contract."""

from ingestion.generator.operator import OperatorData, generate_operator

__all__ = ["OperatorData", "generate_operator"]
