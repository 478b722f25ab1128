"""The HTTP edge: REST, server-sent events, the dashboard's static files, Prometheus metrics."""
