"""Urban fire and smoke detection: image features, a still-image classifier and video confirmation."""
