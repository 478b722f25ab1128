"""Analytics (ONVIF Profile M names): zones, lines, loitering and intrusion on tracked objects."""
