"""Tool groups; each module has `register(registry, services)` and thin handlers."""
