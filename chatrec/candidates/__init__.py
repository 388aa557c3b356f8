"""What may be shown (the hard limits) and what is worth ranking (candidate sources, retrieval)."""
