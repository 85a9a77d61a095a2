"""LLM side-car of stage 3: incident classification and root-cause analysis over any
OpenAI-compatible chat-completions API, with a deterministic rule-based fallback."""
