"""`make demo` and the stand-ins that it, the tests and the benchmarks use (not the service)."""
