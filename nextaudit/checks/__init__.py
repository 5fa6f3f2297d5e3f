"""One module per rule id (`no-explicit-any` -> `no_explicit_any.py`), each defining
`check(source, ctx)` (file rules) or `check_project(project, ctx)` (project rules)."""
