"""Messaging between the parts of the service: in-process fan-out (NATS/MQTT later)."""
