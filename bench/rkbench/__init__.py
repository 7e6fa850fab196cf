"""reportkit's benchmark (run by bench/run.py): processes, projects, measures and the report."""
