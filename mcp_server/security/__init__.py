"""Pure security policies (paths, commands) and their I/O wrappers."""
