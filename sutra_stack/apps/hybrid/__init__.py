"""sutra-hybrid (:8001): the OpenAI-compatible API over the reasoning engine.

Programs written for OpenAI's API (the `openai` SDKs, LangChain, anything that speaks `/v1`) point
their base URL here: chat completions are answered from the knowledge base with the reasoning
behind them, embeddings come from the storage server's embedder. All state stays in the storage
server, so what sutra-api learns is answered here at once and the other way round.
"""
