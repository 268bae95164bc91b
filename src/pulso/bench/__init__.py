"""`pulso bench`: the import and dashboard benchmarks (results in docs/benchmarks.md)."""
