"""Benchmarked summaries, digests and evidence: built, rendered, charted, delivered."""
