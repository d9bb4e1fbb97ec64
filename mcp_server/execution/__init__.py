"""Running commands: strategies (direct, sandbox), limits, bounded output, the process manager."""
