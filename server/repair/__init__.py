"""Repair: parse-verified fixes for syntax errors."""
