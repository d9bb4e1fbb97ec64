"""HTTP endpoints beside `/mcp`: metrics, health, readiness (and, later, admin and REST)."""
