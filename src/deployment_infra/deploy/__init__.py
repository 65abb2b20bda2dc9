"""Delivery: what acts on a running environment (CDN invalidation; rollouts and rollbacks later)."""
