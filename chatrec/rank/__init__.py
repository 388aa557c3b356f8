"""Ranking: the ranker, its scored components and weights; learned signals live in signals/."""
