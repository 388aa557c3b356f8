"""Reading a message: the reader, the catalog's words, mentions, hard constraints, commands, the model's proposals."""
