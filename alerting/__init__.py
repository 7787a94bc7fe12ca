"""Alerting: the rules engine (`engine/`), the alert lifecycle, the delivery worker, Web Push
(`push/`), the units' notification policies (`notify/`) and the clinicians' views."""
