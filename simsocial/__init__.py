"""simsocial — social dialogue simulation with Mesa agents that sample from LLM-verbalized distributions."""

__version__ = "0.1.0"
