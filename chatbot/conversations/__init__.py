"""Conversations: the SQL tables, the conversation history (PII-masked), hand-off tickets and their
policy, and the chat service that runs one customer turn end to end."""
