"""Operational checks on running environments: backup verification (restore and compare)."""
