"""Benchmarks: real RTSP servers, generated clips and throughput measurements."""
