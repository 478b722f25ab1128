"""Who may do what: roles, camera scopes, passwords, tokens, API keys and the audit chain."""
