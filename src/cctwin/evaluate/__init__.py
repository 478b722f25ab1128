"""Evaluation: score our outputs against third-party ground truth with standard metrics."""
