"""Alerting: rules, alert lifecycle and Web Push delivery."""
