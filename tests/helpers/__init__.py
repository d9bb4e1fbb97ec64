"""Test helpers: fakes at process boundaries (OTLP receivers) and server subprocesses."""
