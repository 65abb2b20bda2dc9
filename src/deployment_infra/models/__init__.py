"""Executable models of AWS behaviour the modules rely on (used by property tests and docs)."""
