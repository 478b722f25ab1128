"""Ingest: turn files, RTSP streams and ONVIF cameras into timed frames."""
