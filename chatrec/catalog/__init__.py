"""Catalogs: the manifest a domain declares, the items, their validation, the vector index and its recovery."""
