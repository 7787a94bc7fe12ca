"""Self-registration forms: versioned definitions, validated responses, contact requests."""
