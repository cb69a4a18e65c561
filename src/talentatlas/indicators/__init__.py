"""Indicators: functions from careers tables to result tables (Ibis expressions)."""
