"""Privacy: masking faces, heads and plates before images leave a worker; retention."""
