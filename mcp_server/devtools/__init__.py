"""Development tools: code analysis, performance sampling and test runs."""
