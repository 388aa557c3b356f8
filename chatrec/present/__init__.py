"""What the user reads: reply wording, suggested phrases, answers about one item, the LangChain interface."""
