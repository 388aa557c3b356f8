"""Explanations: true ties between an item and the user, the model's phrase, the fact check, their quality."""
