"""One turn as typed stages over a TurnContext: the events it streams and the reply it ends with."""
