"""Persistent stores (the shared context store)."""
