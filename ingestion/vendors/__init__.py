"""The simulated vendors: their delivery files (REST pages, bulk exports, file drops)."""

from ingestion.vendors.outbox import list_delivery_days, write_entity, write_vendor_outbox

__all__ = ["list_delivery_days", "write_entity", "write_vendor_outbox"]
