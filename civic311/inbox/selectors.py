"""Reads of the inbox (being built)."""
