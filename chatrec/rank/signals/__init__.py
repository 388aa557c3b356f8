"""Learned signals a catalog may carry: co-occurrence neighbours, the sequence model, rating prediction."""
