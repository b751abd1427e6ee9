"""`make bench`: our engine against the stock LlamaIndex pipeline, and our engine at scale."""
