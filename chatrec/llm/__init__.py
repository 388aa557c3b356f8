"""The one seam for the chat model: the protocol, llama.cpp, an OpenAI-compatible server, model files, the fake."""
