"""The public import for LangChain users: `from chatrec.langchain import ChatrecRetriever, ChatrecTool`.
The code lives in chatrec/present/langchain.py (what the user reads, beside the reply wording)."""
from chatrec.present.langchain import ChatrecRetriever, ChatrecTool, RecommendInput, default_recommender, to_document

__all__ = ["ChatrecRetriever", "ChatrecTool", "RecommendInput", "default_recommender", "to_document"]
